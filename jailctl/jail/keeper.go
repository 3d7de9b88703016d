package jail

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/services"
)

// A jail started by `jailctl start` runs on its own; one started by
// `jailctl run` (systemd's jail@NAME, rc.d) is kept by that process for
// its life: it holds jinit's pidfd and one end of the keeper socket,
// learns how jinit ended, and removes the jail at once.

// held is what a keeper holds of its jail.
type held struct {
	name, incarnation string
	jinitPid          int
	pidfd, sock       *os.File
	kernel            *kmod.Jail
}

func (k *held) close() {
	for _, f := range []*os.File{k.pidfd, k.sock} {
		if f != nil {
			f.Close()
		}
	}
}

// keep waits for jinit's exit and tears the jail down.
func (h *Host) keep(k *held) error {
	sigC := make(chan os.Signal, 4)
	signal.Notify(sigC, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for range sigC {
			h.Store.MarkStopping(k.name)
			kmod.Signal(k.pidfd, k.jinitPid, syscall.SIGTERM)
		}
	}()
	stopConsole := watchConsole(h.Store, k.name, h.Log)
	ws, werr := kmod.WaitJinit(k.pidfd, k.jinitPid, k.sock)
	stopConsole()
	stopping := h.Store.Stopping(k.name)
	reason := exitReason(ws, werr, stopping)
	if !h.teardown(k, reason) {
		return nil
	}
	h.Log.Info("jail stopped", "jail", k.name, "reason", reason)
	if (werr != nil || !ws.Exited() || ws.ExitStatus() != 0) && !stopping {
		return fmt.Errorf("jail %s: %s", k.name, reason)
	}
	return nil
}

// teardown removes what the keeper's incarnation of the jail made, and
// records reason. It reports false if a later start owns the jail now,
// which it then leaves alone.
func (h *Host) teardown(k *held, reason string) bool {
	kmod.Signal(k.pidfd, k.jinitPid, syscall.SIGKILL)
	err := destroyKernel(k.kernel, h.Log)
	k.close()
	if errors.Is(err, kmod.ErrOtherIncarnation) {
		h.Log.Warn("the jail was started again meanwhile: leaving it alone", "jail", k.name)
		return false
	}
	if err != nil {
		h.Log.Error("jail teardown incomplete; the next command on it retries", "jail", k.name, "error", err)
	}
	if rt, rerr := h.Store.ReadRuntime(k.name); rerr == nil && rt.Incarnation != k.incarnation {
		return false
	}
	if err := h.Store.RemoveRunDir(k.name); err != nil {
		h.Log.Error("remove the runtime directory", "jail", k.name, "error", err)
	}
	h.Store.WriteLast(k.name, reason)
	return true
}

// exitReason is how jinit ended, in the words `jailctl list` shows: from
// its wait status, or from err if it could not be learned.
func exitReason(ws syscall.WaitStatus, err error, stopping bool) string {
	switch {
	case errors.Is(err, kmod.ErrNoStatus) && stopping:
		return "stopped"
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
