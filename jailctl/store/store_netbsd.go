package store

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod"
)

// defaultRun is the runtime directory: NetBSD has /var/run, not /run.
const defaultRun = "/var/run/jails"

// On NetBSD the runtime record's kernel state (the "cgroup" field, kept
// under its Linux name so the file format is one) is a kmod.Jail: the
// secmodel_jail id and the root composed in the host's mount table.

func decodeJail(rt *Runtime) (*kmod.Jail, error) {
	if len(rt.Cgroup) == 0 || string(rt.Cgroup) == "null" {
		return nil, nil
	}
	var j kmod.Jail
	if err := json.Unmarshal(rt.Cgroup, &j); err != nil {
		return nil, fmt.Errorf("decode jail state: %w", err)
	}
	return &j, nil
}

// destroyKernelState removes what a dead keeper left: every process still
// in the jail (with no parent-death signal on NetBSD, jinit outlives its
// keeper), the module's jail, and the mounts of its root. It fails if any
// of that is left, so Reconcile keeps the run directory: removing it with
// the writable layer still null-mounted inside would delete through it.
func destroyKernelState(rt *Runtime) error {
	j, err := decodeJail(rt)
	if err != nil || j == nil {
		return err
	}
	return j.Destroy(hclog.NewNullLogger())
}

// Usage reads a running jail's accounting from the module.
func (rt *Runtime) Usage() kmod.Usage {
	j, err := decodeJail(rt)
	if err != nil || j == nil {
		return kmod.Usage{}
	}
	return j.Usage()
}

// procStart returns a live process's start time from kern.proc2; an exited
// one (a zombie nobody reaped yet) is an error.
func procStart(pid int) (uint64, error) { return kmod.ProcStart(pid) }
