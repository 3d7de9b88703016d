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
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/services"
)

// Stop asks jinit for its orderly shutdown, waits for it to end and tears
// the jail down (a jail that `jailctl run` keeps, its keeper does); past
// timeout every process of the jail is killed.
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
				return fmt.Errorf("%s did not exit", holder(rt))
			}
		}
	}
	// Whatever is left, the recovery removes, and only then is the jail
	// stopped.
	if err := h.recover(name); err != nil {
		return err
	}
	if left := h.leftovers(name, rt); len(left) > 0 {
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

// signalJinit signals the jail's jinit, if the record names it and it
// still runs (a record written before jinit was cloned names none:
// kill(0) would signal our own process group).
func signalJinit(rt *store.Runtime, sig syscall.Signal) {
	if rt.JinitPid > 0 && (rt.JinitStart == 0 || rt.JinitAlive()) {
		syscall.Kill(rt.JinitPid, sig)
	}
}

// waitGone waits for what holds the jail to exit: its jinit, or the
// keeper that runs it, which exits once it has removed the jail.
func waitGone(rt *store.Runtime, within time.Duration) bool {
	if rt.Phase == store.Released {
		return kmod.WaitGone(rt.JinitPid, rt.JinitStart, within)
	}
	return kmod.WaitGone(rt.KeeperPid, rt.KeeperStart, within)
}

// holder names what holds the jail, for an error.
func holder(rt *store.Runtime) string {
	if rt.Phase == store.Released {
		return fmt.Sprintf("jinit (pid %d)", rt.JinitPid)
	}
	return fmt.Sprintf("the keeper (pid %d)", rt.KeeperPid)
}

// Leftovers lists what of a jail that is not running is still on the
// host: its kernel state (processes, cgroups or the module's jail), its
// port programs on the cgroup2 root, a runtime directory, mounts there.
func (h *Host) Leftovers(name string) []string { return h.leftovers(name, nil) }

// leftovers is Leftovers, with the record the jail last ran with, if any.
func (h *Host) leftovers(name string, rt *store.Runtime) []string {
	var out []string
	found, err := h.findKernel(name)
	if err != nil {
		out = append(out, "kernel state unknown: "+err.Error())
	}
	for _, k := range found {
		out = append(out, "kernel state "+k.String())
		out = append(out, guardLeft(k)...)
	}
	if rt != nil && rt.Kernel != nil {
		out = append(out, guardLeft(rt.Kernel)...)
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
