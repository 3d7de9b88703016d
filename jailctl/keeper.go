package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/jailsproject/jails/services"
)

// exitReason is jinit's exit status in the words `jailctl list` shows.
func exitReason(err error, stopping bool) string {
	if err == nil {
		if stopping {
			return "stopped"
		}
		return "jinit exited with status 0"
	}
	var xe interface {
		ExitCode() int
		Sys() any
	}
	if errors.As(err, &xe) {
		if ws, ok := xe.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "jinit was killed by signal " + services.SignalName(ws.Signal())
		}
		return fmt.Sprintf("jinit exited with status %d", xe.ExitCode())
	}
	return "jinit: " + err.Error()
}
