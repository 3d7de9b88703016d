package telemetry

import (
	"time"

	"github.com/jailsproject/jails/jailctl/store"
)

// CPUReader: no per-jail CPU accounting until the NetBSD kernel backend
// reports it (store.Runtime.Usage is empty there too).
func CPUReader(rt *store.Runtime) func() (time.Duration, bool) { return nil }
