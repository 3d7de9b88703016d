package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
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

// waitJail is the keeper's life once jinit runs: SIGTERM, SIGINT or SIGHUP
// to the keeper ask jinit for its orderly shutdown; when jinit exits, for
// whatever reason, teardown removes the jail and the reason is recorded.
func waitJail(st *store.Store, name string, jinit *exec.Cmd, teardown func() error, log hclog.Logger) error {
	sigC := make(chan os.Signal, 4)
	signal.Notify(sigC, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for range sigC {
			st.MarkStopping(name)
			jinit.Process.Signal(syscall.SIGTERM)
		}
	}()
	werr := jinit.Wait()
	stopping := st.Stopping(name)
	reason := exitReason(werr, stopping)
	if err := teardown(); err != nil {
		log.Error("jail teardown incomplete; the next command on it retries", "jail", name, "error", err)
	}
	st.WriteLast(name, reason)
	log.Info("jail stopped", "jail", name, "reason", reason)
	if werr != nil && !stopping {
		return fmt.Errorf("jail %s: %s", name, reason)
	}
	return nil
}
