package metrics

import (
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
)

// kernelUsage: store.Runtime.Usage has no NetBSD source yet (the
// secmodel_jail module's counters are not wired in), so the kernel
// families are left out rather than exported as zeros.
const kernelUsage = false

// CPUReader: no per-jail CPU accounting until the NetBSD kernel backend
// reports it (store.Runtime.Usage is empty there too).
func CPUReader(rt *store.Runtime) func() (time.Duration, bool) { return nil }

// kernelSampler: no kernel accounting yet.
func kernelSampler(rt *store.Runtime) func(limits bool) (kmod.Usage, bool) { return nil }
