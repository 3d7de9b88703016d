package jail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

// Stop asks jinit for its orderly shutdown and waits until the keeper has
// torn the jail down; past timeout every process of the jail is killed.
// It returns nil only once nothing of the jail is left (Leftovers). A
// stopped jail is not an error.
func (h *Host) Stop(ctx context.Context, name string, timeout time.Duration) error {
	if err := h.mustExist("stop", name); err != nil {
		return err
	}
	lk, err := h.lock(name)
	if err != nil {
		return opError("stop", name, err)
	}
	defer lk.Unlock()
	return opError("stop", name, h.stopLocked(ctx, name, timeout))
}

func (h *Host) stopLocked(ctx context.Context, name string, timeout time.Duration) error {
	// A jail stopped through its record (the lock held since) can have no
	// keeper the record does not name: the recovery that took the lock
	// recorded any. Others are looked for among all processes.
	rt := h.Store.Running(name)
	if rt != nil {
		h.Store.MarkStopping(name)
		if err := h.askShutdown(ctx, name); err != nil {
			h.Log.Warn("orderly shutdown request failed; signalling jinit", "error", err)
			signalJinit(rt, syscall.SIGTERM)
		}
		if !waitGone(rt, timeout) {
			h.Log.Warn("jail did not stop in time: killing it", "jail", name, "timeout", timeout)
			signalJinit(rt, syscall.SIGKILL)
			if !waitGone(rt, 5*time.Second) {
				return fmt.Errorf("the keeper (pid %d) did not exit", rt.KeeperPid)
			}
		}
	}
	// The keeper is gone, or was never there: whatever is left, the
	// recovery removes, and only then is the jail stopped.
	if err := h.recover(name); err != nil {
		return err
	}
	if left := h.leftovers(name, rt == nil); len(left) > 0 {
		return fmt.Errorf("left behind: %s", strings.Join(left, "; "))
	}
	return nil
}

func (h *Host) askShutdown(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := control.Dial(ctx, h.Store.SockPath(name))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(ctx, control.Request{Verb: services.VerbShutdown})
	return err
}

// signalJinit signals the jail's jinit, if the record names it (a record
// written before jinit was cloned does not: kill(0) would signal our own
// process group).
func signalJinit(rt *store.Runtime, sig syscall.Signal) {
	if rt.JinitPid > 0 {
		syscall.Kill(rt.JinitPid, sig)
	}
}

// waitGone waits for the keeper to exit, which happens after it removed
// the jail's kernel state.
func waitGone(rt *store.Runtime, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for rt.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// Leftovers lists what of a jail that is not running is still on the
// host: its kernel state (processes, cgroups or the module's jail), keeper
// processes, a runtime directory, mounts there.
func (h *Host) Leftovers(name string) []string { return h.leftovers(name, true) }

func (h *Host) leftovers(name string, keepers bool) []string {
	var out []string
	found, err := h.findKernel(name)
	if err != nil {
		out = append(out, "kernel state unknown: "+err.Error())
	}
	for _, k := range found {
		out = append(out, "kernel state "+k.String())
	}
	if keepers {
		for _, p := range h.keepersOf(name) {
			out = append(out, fmt.Sprintf("keeper pid %d", p.pid))
		}
	}
	if _, err := os.Lstat(h.Store.RunDir(name)); err == nil {
		out = append(out, "runtime directory "+h.Store.RunDir(name))
	}
	return out
}

// Destroy removes a stopped jail: its definition, writable layer and
// logs. With force a running jail is stopped first. A directory a killed
// create left under the name is removed too.
func (h *Host) Destroy(ctx context.Context, name string, force bool) error {
	if err := store.ValidName(name); err != nil {
		return err
	}
	if _, err := os.Lstat(h.Store.JailDir(name)); err != nil {
		return &Error{Op: "destroy", Name: name, Err: ErrNotExist}
	}
	lk, err := h.lock(name)
	if err != nil {
		return opError("destroy", name, err)
	}
	defer lk.Unlock()
	if h.Store.Running(name) != nil {
		if !force {
			return &Error{Op: "destroy", Name: name, Err: fmt.Errorf("%w (stop it first, or use --force)", ErrRunning)}
		}
	}
	if err := h.stopLocked(ctx, name, 30*time.Second); err != nil {
		return opError("destroy", name, err)
	}
	if err := os.RemoveAll(h.Store.JailDir(name)); err != nil {
		return opError("destroy", name, err)
	}
	os.RemoveAll(h.Store.LogDir(name))
	os.Remove(filepath.Join(h.Store.Lib, "."+name+".lock"))
	return nil
}
