package main

import (
	"fmt"
	"os"

	"github.com/jailsproject/jails/services"
	"golang.org/x/sys/unix"
)

// rlimitExec is the internal `jinit rlimit-exec SPEC -- PATH ARGV0 ARGS...`:
// it sets a service's rlimits in the already-forked process and execs the
// service, because Go's fork+exec has no hook to set them in between.
func rlimitExec(args []string) error {
	if len(args) < 4 || args[1] != "--" {
		return exitCode{code: 2, err: fmt.Errorf("usage: jinit rlimit-exec SPEC -- PATH ARGV0 [ARGS...]")}
	}
	rl, err := services.ParseRlimitArg(args[0])
	if err != nil {
		return exitCode{code: 111, err: err}
	}
	for _, r := range rl {
		if err := unix.Setrlimit(r.Resource, &unix.Rlimit{Cur: r.Soft, Max: r.Hard}); err != nil {
			return exitCode{code: 111, err: fmt.Errorf("set rlimit %d: %w", r.Resource, err)}
		}
	}
	err = unix.Exec(args[2], args[3:], os.Environ())
	return exitCode{code: 126, err: fmt.Errorf("exec %s: %w", args[2], err)}
}
