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

// jinitProc is the keeper's hold on jinit: as its parent (an exec.Cmd), or
// through a pidfd (a keeper started beside jinit, Linux 6.15).
type jinitProc interface {
	// wait returns once jinit has exited: nil for status 0, else an error
	// with ExitCode and Sys (a syscall.WaitStatus), like exec.Cmd.Wait.
	wait() error
	terminate()
}

// childJinit is jinit as the keeper's child.
type childJinit struct{ cmd *exec.Cmd }

func (c childJinit) wait() error { return c.cmd.Wait() }
func (c childJinit) terminate()  { c.cmd.Process.Signal(syscall.SIGTERM) }

// waitStatusError is a non-zero wait status in exec.ExitError's shape.
type waitStatusError struct{ ws syscall.WaitStatus }

func (e waitStatusError) Error() string { return "jinit: " + exitReason(e, false) }
func (e waitStatusError) ExitCode() int { return e.ws.ExitStatus() }
func (e waitStatusError) Sys() any      { return e.ws }
func statusError(ws syscall.WaitStatus) error {
	if ws.Exited() && ws.ExitStatus() == 0 {
		return nil
	}
	return waitStatusError{ws}
}

// waitJail is the keeper's life once jinit runs: SIGTERM, SIGINT or SIGHUP
// to the keeper ask jinit for its orderly shutdown; when jinit exits, for
// whatever reason, teardown removes the jail and the reason is recorded.
func waitJail(st *store.Store, name string, jinit jinitProc, teardown func() error, log hclog.Logger) error {
	sigC := make(chan os.Signal, 4)
	signal.Notify(sigC, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for range sigC {
			st.MarkStopping(name)
			jinit.terminate()
		}
	}()
	werr := jinit.wait()
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
