package main

import (
	"errors"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod"
)

// errNoBackend is returned until the NetBSD backend (secmodel_jail, issue
// 9) is wired into jailctl: the commands that only read definitions work.
var errNoBackend = errors.New("starting jails on NetBSD needs the secmodel_jail backend, which jailctl does not drive yet")

func keep(st *Store, r *Resolved, jinit string, report func(error), log hclog.Logger) error {
	report(errNoBackend)
	return errNoBackend
}

func destroyKernelState(rt *Runtime) error { return nil }

func jailUsage(rt *Runtime) kmod.Usage { return kmod.Usage{} }

// procStart: without a start time to compare, a live pid is taken as the
// keeper.
func procStart(pid int) (uint64, error) {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, err
	}
	return 0, nil
}
