package store

import (
	"errors"
	"syscall"

	"github.com/jailsproject/jails/kmod"
)

func destroyKernelState(rt *Runtime) error { return nil }

// Usage: no kernel accounting until the NetBSD backend is wired in.
func (rt *Runtime) Usage() kmod.Usage { return kmod.Usage{} }

// procStart: without a start time to compare, a live pid is taken as the
// keeper.
func procStart(pid int) (uint64, error) {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, err
	}
	return 0, nil
}
