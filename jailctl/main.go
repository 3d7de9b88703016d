// Command jailctl creates and operates jails on the host; `jls` and
// `jexec` are aliases of `jailctl list` and `jailctl exec`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Exit codes: 0 success, 1 failure, 2 usage; exec and attach return the
// command's own status.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	runStage()
	args := os.Args[1:]
	switch filepath.Base(os.Args[0]) {
	case "jls":
		args = alias(args, "list")
	case "jexec":
		args = alias(args, "exec")
	}
	err := run(context.Background(), args)
	var es exitStatus
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &es):
		os.Exit(int(es))
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "jailctl: %v\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "jailctl: %v\n", err)
		os.Exit(1)
	}
}

// alias turns `jls [GLOBAL FLAGS] ARGS` into `jailctl [GLOBAL FLAGS] list ARGS`:
// the global flags (--state-dir DIR, --debug) stay in front of the command.
func alias(args []string, cmd string) []string {
	i := 0
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--debug" || a == "-debug" || strings.HasPrefix(a, "--state-dir=") || strings.HasPrefix(a, "-state-dir="):
			i++
		case (a == "--state-dir" || a == "-state-dir") && i+1 < len(args):
			i += 2
		default:
			return append(append(append([]string{}, args[:i]...), cmd), args[i:]...)
		}
	}
	return append(append([]string{}, args...), cmd)
}
