package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture (sysconf(_SC_CLK_TCK) needs cgo to ask).
const clockTicks = 100

// procGroups sums /proc/PID/stat per process group. It reports false when
// /proc is not the procfs of jinit's own PID namespace (pids would not
// match the services' pids). Plain openat/read/close on a /proc
// descriptor: with os.Open (an extra fstat, and os.File bookkeeping) a jail
// of 12 processes took 340 µs instead of 200 µs on the test VM.
func procGroups() (map[int]groupUsage, bool) {
	if self, err := os.Readlink("/proc/self"); err != nil || self != strconv.Itoa(os.Getpid()) {
		return nil, false
	}
	d, err := os.Open("/proc")
	if err != nil {
		return nil, false
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, false
	}
	dfd := int(d.Fd())
	page := int64(os.Getpagesize())
	out := map[int]groupUsage{}
	buf := make([]byte, 1024)
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		st, ok := readStat(dfd, n+"/stat", buf)
		if !ok {
			continue // exited meanwhile
		}
		g := out[st.pgrp]
		g.cpu += float64(st.ticks) / clockTicks
		if !st.zombie {
			g.rss += st.rssPages * page
			g.procs++
		}
		out[st.pgrp] = g
	}
	return out, true
}

type procStat struct {
	pgrp     int
	ticks    uint64 // utime + stime + cutime + cstime
	rssPages int64
	zombie   bool
}

// readStat reads and parses one /proc/PID/stat below the /proc descriptor.
func readStat(dfd int, name string, buf []byte) (procStat, bool) {
	fd, err := syscall.Openat(dfd, name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return procStat{}, false
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return procStat{}, false
	}
	return parseStat(buf[:n])
}

// parseStat parses the fields we need. The command name may hold spaces
// and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 22 {
		return procStat{}, false
	}
	var st procStat
	st.zombie = len(f[0]) == 1 && (f[0][0] == 'Z' || f[0][0] == 'X')
	pg, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return procStat{}, false
	}
	st.pgrp = pg
	for _, k := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, err := strconv.ParseUint(string(f[k]), 10, 64)
		if err != nil {
			return procStat{}, false
		}
		st.ticks += v
	}
	st.rssPages, err = strconv.ParseInt(string(f[21]), 10, 64)
	if err != nil {
		return procStat{}, false
	}
	return st, true
}

// selfUsage is jinit's own resident memory (statm) and CPU time.
func selfUsage() (rss int64, cpu float64) {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := bytes.Fields(b); len(f) > 1 {
			pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
			rss = pages * int64(os.Getpagesize())
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu = rusageSeconds(&ru)
	}
	return rss, cpu
}
