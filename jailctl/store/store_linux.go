package store

import (
	"encoding/json"
	"fmt"

	"github.com/jailsproject/jails/kmod"
)

// defaultRun is the runtime directory: on tmpfs, gone at boot.
const defaultRun = "/run/jails"

// destroyKernelState removes what a dead keeper left.
func destroyKernelState(rt *Runtime) error {
	if len(rt.Cgroup) == 0 {
		return nil
	}
	var cg kmod.Cgroup
	if err := json.Unmarshal(rt.Cgroup, &cg); err != nil {
		return fmt.Errorf("decode cgroup: %w", err)
	}
	return cg.Destroy()
}

// Usage reads a running jail's accounting.
func (rt *Runtime) Usage() kmod.Usage {
	var cg kmod.Cgroup
	if json.Unmarshal(rt.Cgroup, &cg) != nil {
		return kmod.Usage{}
	}
	return cg.Usage()
}

// procStart returns a live process's start time in clock ticks since
// boot; an exited one (a zombie nobody reaped yet) is an error.
func procStart(pid int) (uint64, error) { return kmod.ProcStart(pid) }
