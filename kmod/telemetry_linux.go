package kmod

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CPUTime reads only the jail's cumulative CPU time (the same source as
// Usage: v2 cpu.stat, else v1 cpuacct), the one figure a 1 Hz sampler of
// recent CPU use needs; one small file read instead of Usage's walk.
func (cg *Cgroup) CPUTime() (time.Duration, bool) {
	var b [4096]byte
	return cg.cpuTime(b[:])
}

func (cg *Cgroup) cpuTime(buf []byte) (time.Duration, bool) {
	if us, ok := fileField(filepath.Join(cg.V2, "cpu.stat"), "usage_usec", buf); ok {
		return time.Duration(us) * time.Microsecond, true
	}
	if dir := cg.V1["cpuacct"]; dir != "" {
		if ns, ok := fileInt(filepath.Join(dir, "cpuacct.usage"), buf); ok {
			return time.Duration(ns), true
		}
	}
	return 0, false
}

// Sample is Usage for a scraper, which runs it for every jail on every
// scrape: the same figures from the same sources, read with plain
// open/read/close into one buffer, without probing files the host cannot
// have (v2 memory files when memory is a v1 controller). ok is false when
// the cgroup is gone (the jail stopped meanwhile), whose figures would
// read as zeros. The kernel's side of the reads dominates: Sample costs
// about 290 µs against Usage's 335 µs on the test VM (BenchmarkSample).
// With limits false the limit files are not read (MemLimit and PidsLimit
// stay 0): a scraper reads them once per jail run, since they do not
// change while it runs.
func (cg *Cgroup) Sample(limits bool) (u Usage, ok bool) {
	buf := make([]byte, 8192) // memory.stat is the largest file, about 1 KiB (v1) to 2 KiB (v2)
	if u.CPU, ok = cg.cpuTime(buf); !ok {
		return Usage{}, false
	}
	if dir := cg.V1["memory"]; dir != "" {
		cur, _ := fileInt(filepath.Join(dir, "memory.usage_in_bytes"), buf)
		inactive, _ := fileField(filepath.Join(dir, "memory.stat"), "total_inactive_file", buf)
		u.MemBytes = max(cur-inactive, 0)
		if limits {
			if lim, ok := fileInt(filepath.Join(dir, "memory.limit_in_bytes"), buf); ok && lim < 1<<62 {
				u.MemLimit = lim
			}
		}
	} else if cur, ok := fileInt(filepath.Join(cg.V2, "memory.current"), buf); ok {
		inactive, _ := fileField(filepath.Join(cg.V2, "memory.stat"), "inactive_file", buf)
		u.MemBytes = max(cur-inactive, 0)
		if limits {
			u.MemLimit, _ = fileInt(filepath.Join(cg.V2, "memory.max"), buf)
		}
	}
	u.Procs = cg.countProcs(cg.V2, buf)
	pids := cg.V2
	if dir := cg.V1["pids"]; dir != "" {
		pids = dir
	}
	t, _ := fileInt(filepath.Join(pids, "pids.current"), buf)
	u.Tasks = int(t)
	if limits {
		u.PidsLimit, _ = fileInt(filepath.Join(pids, "pids.max"), buf)
	}
	return u, true
}

// countProcs counts the lines of cgroup.procs in dir and every cgroup below.
func (cg *Cgroup) countProcs(dir string, buf []byte) int {
	n := 0
	if b, ok := readInto(filepath.Join(dir, "cgroup.procs"), buf); ok {
		n = bytes.Count(b, []byte{'\n'})
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return n
	}
	for _, e := range ents {
		if e.IsDir() {
			n += cg.countProcs(filepath.Join(dir, e.Name()), buf)
		}
	}
	return n
}

// readInto reads a small file into buf (cgroup files are read whole in
// one read; a longer one is cut at len(buf)).
func readInto(path string, buf []byte) ([]byte, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], true
}

// fileInt reads a file holding one integer ("max" reads as not ok).
func fileInt(path string, buf []byte) (int64, bool) {
	b, ok := readInto(path, buf)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil
}

// fileField reads "key value" lines (cpu.stat, memory.stat).
func fileField(path, key string, buf []byte) (int64, bool) {
	b, ok := readInto(path, buf)
	if !ok {
		return 0, false
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v, ok := bytes.Cut(line, []byte{' '})
		if ok && string(k) == key {
			n, err := strconv.ParseInt(string(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
