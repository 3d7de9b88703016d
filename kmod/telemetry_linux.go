package kmod

import (
	"path/filepath"
	"time"
)

// CPUTime reads only the jail's cumulative CPU time (the same source as
// Usage: v2 cpu.stat, else v1 cpuacct), the one figure a 1 Hz sampler of
// recent CPU use needs; one small file read instead of Usage's walk.
func (cg *Cgroup) CPUTime() (time.Duration, bool) {
	if us, ok := statField(filepath.Join(cg.V2, "cpu.stat"), "usage_usec"); ok {
		return time.Duration(us) * time.Microsecond, true
	}
	if ns, ok := readInt(filepath.Join(cg.V1["cpuacct"], "cpuacct.usage")); ok && cg.V1["cpuacct"] != "" {
		return time.Duration(ns), true
	}
	return 0, false
}
