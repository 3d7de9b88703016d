package metrics

import (
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
)

// kernelUsage: store.Runtime.Usage reads the jail's cgroup.
const kernelUsage = true

// CPUReader returns a reader of a running jail's cumulative CPU time (its
// cgroup's), or nil where there is none.
func CPUReader(rt *store.Runtime) func() (time.Duration, bool) {
	if rt.Kernel == nil || rt.Kernel.V2 == "" {
		return nil
	}
	return rt.Kernel.CPUTime
}

// kernelSampler returns a reader of a running jail's accounting
// (kmod.Cgroup.Sample), or nil if its record names no cgroup.
func kernelSampler(rt *store.Runtime) func(limits bool) (kmod.Usage, bool) {
	if rt.Kernel == nil || rt.Kernel.V2 == "" {
		return nil
	}
	return rt.Kernel.Sample
}
