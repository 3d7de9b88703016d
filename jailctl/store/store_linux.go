package store

import "github.com/jailsproject/jails/kmod"

// defaultRun is the runtime directory: on tmpfs, gone at boot.
const defaultRun = "/run/jails"

// procStart returns a live process's start time in clock ticks since
// boot; an exited one (a zombie nobody reaped yet) is an error.
func procStart(pid int) (uint64, error) { return kmod.ProcStart(pid) }
