// Command jinit is the jail's PID 1: a supervisor of s6/runit-style service
// directories, and, with `--`, a tini-compatible single-command init.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// exitCode is an error that carries the process exit status to use.
type exitCode struct {
	code int
	err  error
}

func (e exitCode) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit %d", e.code)
}

func main() {
	args := os.Args[1:]
	if a, ok := stageArgs(); ok {
		args = a[1:]
	}
	err := run(context.Background(), args)
	if err == nil {
		exit(0)
	}
	var ec exitCode
	if errors.As(err, &ec) {
		if ec.err != nil {
			fmt.Fprintln(console, "jinit:", ec.err)
		}
		exit(ec.code)
	}
	fmt.Fprintln(console, "jinit:", err)
	exit(1)
}

func run(ctx context.Context, args []string) error {
	resetIgnoredSignals()
	if len(args) > 0 {
		switch args[0] {
		case "--version", "-version":
			fmt.Printf("jinit %s\n", version)
			return nil
		case "-h", "--help", "-help":
			fmt.Print(usage)
			return nil
		case "ctl":
			return runCtl(ctx, args[1:])
		case "rlimit-exec":
			return rlimitExec(args[1:])
		}
	}
	opts, err := parseFlags(args)
	if err != nil {
		return exitCode{code: 2, err: err}
	}
	if len(opts.cmd) > 0 {
		return runSingle(ctx, opts)
	}
	return supervise(ctx, opts)
}
