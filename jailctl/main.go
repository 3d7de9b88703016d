// Command jailctl creates and operates jails on the host; `jls` and
// `jexec` are aliases of `jailctl list` and `jailctl exec`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jailsproject/jails/kmod"
)

// Exit codes: 0 success, 1 failure, 2 usage; exec and attach return the
// command's own status.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	if kmod.IsStage() {
		kmod.StageMain() // the first process of a new jail; never returns
	}
	args := os.Args[1:]
	switch filepath.Base(os.Args[0]) {
	case "jls":
		args = append([]string{"list"}, args...)
	case "jexec":
		args = append([]string{"exec"}, args...)
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
