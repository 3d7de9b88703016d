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

// exitReason is how jinit ended, in the words `jailctl list` shows: from
// its wait status, or from err if it could not be waited for.
func exitReason(ws syscall.WaitStatus, err error, stopping bool) string {
	switch {
	case err != nil:
		return "jinit: " + err.Error()
	case ws.Signaled():
		return "jinit was killed by signal " + services.SignalName(ws.Signal())
	case ws.ExitStatus() == 0 && stopping:
		return "stopped"
	default:
		return fmt.Sprintf("jinit exited with status %d", ws.ExitStatus())
	}
}

// jinitProc is the keeper's hold on jinit: as its parent (an exec.Cmd), or
// through a pidfd (a keeper started beside jinit, Linux 6.15).
type jinitProc interface {
	// wait returns jinit's wait status once it has exited, or why it
	// could not be waited for.
	wait() (syscall.WaitStatus, error)
	terminate()
}

// childJinit is jinit as the keeper's child.
type childJinit struct{ cmd *exec.Cmd }

func (c childJinit) wait() (syscall.WaitStatus, error) {
	err := c.cmd.Wait()
	if ps := c.cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			return ws, nil
		}
	}
	if err == nil {
		err = errors.New("no wait status")
	}
	return 0, err
}

func (c childJinit) terminate() { c.cmd.Process.Signal(syscall.SIGTERM) }

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
	stopConsole := watchConsole(st, name, log)
	ws, werr := jinit.wait()
	stopConsole()
	stopping := st.Stopping(name)
	reason := exitReason(ws, werr, stopping)
	if err := teardown(); err != nil {
		log.Error("jail teardown incomplete; the next command on it retries", "jail", name, "error", err)
	}
	st.WriteLast(name, reason)
	log.Info("jail stopped", "jail", name, "reason", reason)
	if (werr != nil || !ws.Exited() || ws.ExitStatus() != 0) && !stopping {
		return fmt.Errorf("jail %s: %s", name, reason)
	}
	return nil
}
