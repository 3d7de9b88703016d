package store

import "github.com/jailsproject/jails/kmod"

// defaultRun is the runtime directory: NetBSD has /var/run, not /run.
const defaultRun = "/var/run/jails"

// procStart returns a live process's start time from kern.proc2; an exited
// one (a zombie nobody reaped yet) is an error.
func procStart(pid int) (uint64, error) { return kmod.ProcStart(pid) }
