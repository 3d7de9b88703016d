// Command jailctl creates and operates jails on the host; `jls` and
// `jexec` are aliases of `jailctl list` and `jailctl exec`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	runStage()
	os.Exit(runMain(context.Background(), filepath.Base(os.Args[0]), os.Args[1:], os.Stdout, os.Stderr))
}

// runMain runs a command line and turns its outcome into an exit status
// and messages, as documented in jailctl(8).
func runMain(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	switch prog {
	case "jls":
		args = alias(args, "list")
	case "jexec":
		args = alias(args, "exec")
	default:
		prog = "jailctl"
	}
	err := run(ctx, prog, args, stdout, stderr)
	var es exitStatus
	var ue usageError
	var hr helpRequested
	var ce cmdError
	cmd := ""
	if errors.As(err, &ce) {
		cmd = ce.cmd
	}
	switch {
	case err == nil:
		return 0
	case errors.As(err, &hr):
		if hr.cmd == "" {
			writeUsage(stdout)
		} else {
			writeHelp(stdout, hr.cmd, hr.fs)
		}
		return 0
	case errors.As(err, &es):
		return int(es)
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		if d, ok := docOf(cmd); ok {
			fmt.Fprintf(stderr, "usage: jailctl %s %s\nRun 'jailctl help %s' for its options.\n", d.name, d.args, d.name)
		} else {
			fmt.Fprint(stderr, "Run 'jailctl help' for the commands.\n")
		}
		return exitUsage
	default:
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return exitFailure
	}
}

// alias turns `jls [GLOBAL FLAGS] ARGS` into `jailctl [GLOBAL FLAGS] list ARGS`:
// the global flags (--state-dir DIR, --debug, --version) stay in front of
// the command.
func alias(args []string, cmd string) []string {
	i := 0
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--debug" || a == "-debug" || a == "--version" || a == "-version" ||
			strings.HasPrefix(a, "--state-dir=") || strings.HasPrefix(a, "-state-dir="):
			i++
		case (a == "--state-dir" || a == "-state-dir") && i+1 < len(args):
			i += 2
		default:
			return append(append(append([]string{}, args[:i]...), cmd), args[i:]...)
		}
	}
	return append(append([]string{}, args...), cmd)
}
