package kmod

import (
	"math"
	"time"

	"github.com/jailsproject/jails/kmod/secmodel"
)

// usageOf turns a secmodel_jail list entry into a Usage: CPU from the
// statclock ticks of live members (at hz per second) plus the reaped
// children's time, memory from resident pages (shared pages counted once
// per member, as the module sums them).
func usageOf(in secmodel.Info, hz, pageSize int64) Usage {
	u := Usage{
		Procs:    int(in.NProcs),
		MemBytes: int64(in.RSSPages) * pageSize,
		CPU:      time.Duration(in.ChildCPUUsec) * time.Microsecond,
	}
	if hz > 0 {
		t, h := in.CPUTicks, uint64(hz)
		if t/h >= uint64(math.MaxInt64/time.Second) {
			u.CPU = math.MaxInt64 // beyond what a Duration holds (292 years)
			return u
		}
		u.CPU += time.Duration(t/h)*time.Second + time.Duration(t%h)*time.Second/time.Duration(h)
	}
	return u
}
