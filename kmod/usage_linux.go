package kmod

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Usage reads the jail's accounting, choosing the best source per figure:
// CPU from v2 cpu.stat (present even without the cpu controller, and it
// keeps the time of exited processes), else v1 cpuacct; memory from v2
// memory.current, else v1 memory usage, both minus inactive file cache
// (the working set, as cAdvisor reports it); processes by counting
// cgroup.procs over the subtree.
func (cg *Cgroup) Usage() Usage {
	var u Usage
	if us, ok := statField(filepath.Join(cg.V2, "cpu.stat"), "usage_usec"); ok {
		u.CPU = time.Duration(us) * time.Microsecond
	} else if ns, ok := readInt(filepath.Join(cg.V1["cpuacct"], "cpuacct.usage")); ok {
		u.CPU = time.Duration(ns)
	}
	if cur, ok := readInt(filepath.Join(cg.V2, "memory.current")); ok {
		inactive, _ := statField(filepath.Join(cg.V2, "memory.stat"), "inactive_file")
		u.MemBytes = max(cur-inactive, 0)
		u.MemLimit, _ = readInt(filepath.Join(cg.V2, "memory.max"))
	} else if dir := cg.V1["memory"]; dir != "" {
		cur, _ := readInt(filepath.Join(dir, "memory.usage_in_bytes"))
		inactive, _ := statField(filepath.Join(dir, "memory.stat"), "total_inactive_file")
		u.MemBytes = max(cur-inactive, 0)
		if lim, ok := readInt(filepath.Join(dir, "memory.limit_in_bytes")); ok && lim < 1<<62 {
			u.MemLimit = lim
		}
	}
	u.Procs = len(cg.Procs())
	if dir := cg.V1["pids"]; dir != "" {
		t, _ := readInt(filepath.Join(dir, "pids.current"))
		u.Tasks = int(t)
		u.PidsLimit, _ = readInt(filepath.Join(dir, "pids.max"))
	} else {
		t, _ := readInt(filepath.Join(cg.V2, "pids.current"))
		u.Tasks = int(t)
		u.PidsLimit, _ = readInt(filepath.Join(cg.V2, "pids.max"))
	}
	return u
}

// readInt reads a file holding one integer ("max" reads as not ok).
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// statField reads "key value" lines (cpu.stat, memory.stat).
func statField(path, key string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
