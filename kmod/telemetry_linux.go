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

// Usage reads the jail's accounting, limits included (see Sample).
func (cg *Cgroup) Usage() Usage {
	u, _ := cg.Sample(true)
	return u
}

// Sample reads the jail's accounting, choosing the best source per figure:
// CPU from v2 cpu.stat (present even without the cpu controller, and it
// keeps the time of exited processes), else v1 cpuacct; memory from the
// hierarchy that has the memory controller (v1 on hybrid hosts), as the
// working set (usage minus inactive file cache, as cAdvisor reports it);
// processes by counting cgroup.procs over the v2 subtree; OOM kills and
// CPU throttling from where the memory and cpu controllers are; pressure
// from v2 (its files exist without controllers). It runs for every jail on
// every scrape, so files are read with plain open/read/close into one
// buffer, and files the host cannot have are not probed. ok is false when
// the cgroup is gone (the jail stopped meanwhile), whose figures would
// read as zeros. With limits false the limit files are not read (MemLimit
// and PidsLimit stay 0): a scraper reads them once per jail run, since
// they do not change while it runs.
func (cg *Cgroup) Sample(limits bool) (u Usage, ok bool) {
	buf := make([]byte, 8192) // memory.stat is the largest file, about 1 KiB (v1) to 2 KiB (v2)
	if u.CPU, ok = cg.cpuTime(buf); !ok {
		return Usage{}, false
	}
	u.OOMKnown = cg.memory(&u, limits, buf)
	u.ThrottleKnown = cg.throttling(&u, buf)
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
	u.Pressure = cg.pressure(buf)
	return u, true
}

// memory reads the working set, the limit and the OOM kills; false if
// the OOM counter is not there.
func (cg *Cgroup) memory(u *Usage, limits bool, buf []byte) bool {
	if dir := cg.V1["memory"]; dir != "" {
		cur, _ := fileInt(filepath.Join(dir, "memory.usage_in_bytes"), buf)
		inactive, _ := fileField(filepath.Join(dir, "memory.stat"), "total_inactive_file", buf)
		u.MemBytes = max(cur-inactive, 0)
		if limits {
			if lim, ok := fileInt(filepath.Join(dir, "memory.limit_in_bytes"), buf); ok && lim < 1<<62 {
				u.MemLimit = lim
			}
		}
		var ok bool
		u.OOMKills, ok = fileField(filepath.Join(dir, "memory.oom_control"), "oom_kill", buf)
		return ok
	}
	cur, ok := fileInt(filepath.Join(cg.V2, "memory.current"), buf)
	if !ok {
		return false
	}
	inactive, _ := fileField(filepath.Join(cg.V2, "memory.stat"), "inactive_file", buf)
	u.MemBytes = max(cur-inactive, 0)
	if limits {
		u.MemLimit, _ = fileInt(filepath.Join(cg.V2, "memory.max"), buf)
	}
	// memory.events counts for the subtree (memory.events.local would not).
	u.OOMKills, ok = fileField(filepath.Join(cg.V2, "memory.events"), "oom_kill", buf)
	return ok
}

// throttling reads the CPU limit's periods from the cpu controller's
// cpu.stat (v1 on hybrid hosts: throttled_time in ns; v2: throttled_usec);
// false if they are not there.
func (cg *Cgroup) throttling(u *Usage, buf []byte) bool {
	dir, unit, key := cg.V2, time.Microsecond, "throttled_usec"
	if d := cg.V1["cpu"]; d != "" {
		dir, unit, key = d, time.Nanosecond, "throttled_time"
	}
	f, ok := fileFields(filepath.Join(dir, "cpu.stat"), buf, "nr_periods", "nr_throttled", key)
	if !ok {
		return false
	}
	u.CPUPeriods, u.CPUThrottled, u.ThrottledTime = f[0], f[1], time.Duration(f[2])*unit
	return true
}

// pressure reads the v2 PSI files; nil without PSI (CONFIG_PSI off, or
// psi=0 on the kernel's command line).
func (cg *Cgroup) pressure(buf []byte) *Pressure {
	var p Pressure
	for _, r := range []struct {
		file       string
		some, full *time.Duration
	}{{"cpu.pressure", &p.CPU, &p.CPUFull}, {"memory.pressure", &p.Memory, &p.MemoryFull}, {"io.pressure", &p.IO, &p.IOFull}} {
		b, ok := readInto(filepath.Join(cg.V2, r.file), buf)
		if !ok {
			return nil
		}
		some, full, ok := parsePressure(b)
		if !ok {
			return nil
		}
		*r.some, *r.full = some, full
	}
	return &p
}

// parsePressure reads the total= fields (µs) of a PSI file:
//
//	some avg10=0.00 avg60=0.00 avg300=0.00 total=1234
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=567
func parsePressure(b []byte) (some, full time.Duration, ok bool) {
	var seen int
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		kind, rest, _ := bytes.Cut(line, []byte{' '})
		i := bytes.LastIndex(rest, []byte("total="))
		if i < 0 {
			continue
		}
		n, err := strconv.ParseInt(string(rest[i+len("total="):]), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		switch string(kind) {
		case "some":
			some, seen = time.Duration(n)*time.Microsecond, seen|1
		case "full":
			full, seen = time.Duration(n)*time.Microsecond, seen|2
		}
	}
	return some, full, seen&1 != 0
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

// fileFields reads several keys of a "key value" file; ok only if all are there.
func fileFields(path string, buf []byte, keys ...string) ([]int64, bool) {
	b, ok := readInto(path, buf)
	if !ok {
		return nil, false
	}
	out, found := make([]int64, len(keys)), 0
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		k, v, _ := bytes.Cut(line, []byte{' '})
		for i, key := range keys {
			if string(k) == key {
				n, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil {
					return nil, false
				}
				out[i] = n
				found++
			}
		}
	}
	return out, found == len(keys)
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
