package kmod

import (
	"testing"
	"time"

	"github.com/jailsproject/jails/kmod/secmodel"
)

func TestUsageOf(t *testing.T) {
	in := secmodel.Info{NProcs: 3, NZombies: 1, CPUTicks: 256 + 64, ChildCPUUsec: 1500, RSSPages: 10}
	u := usageOf(in, 128, 4096)
	want := 2500*time.Millisecond + 1500*time.Microsecond
	if u.CPU != want || u.Procs != 3 || u.MemBytes != 40960 {
		t.Fatalf("usage %+v, want CPU %v", u, want)
	}
	if u := usageOf(secmodel.Info{CPUTicks: 1 << 62}, 100, 4096); u.CPU <= 0 {
		t.Fatalf("large tick counts overflow: %v", u.CPU)
	}
	if u := usageOf(in, 0, 4096); u.CPU != 1500*time.Microsecond {
		t.Fatalf("unknown clock rate: %v", u.CPU)
	}
}
