package jail

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
)

// recover brings the jail's runtime record in line with the kernel, its
// lock held:
//   - a record whose keeper is alive: the jail runs; nothing to do;
//   - a record whose keeper died: a start killed after it started the
//     jail's keeper but before it recorded it leaves a live keeper of the
//     same incarnation, which is recorded now (the jail runs on);
//     otherwise what the record names is removed and the reason recorded;
//   - no record, or a damaged one: the jail is looked for in the kernel.
//     If a live keeper holds it, the record is rebuilt from what the
//     kernel and the keeper say, and the jail runs on; otherwise whatever
//     is found is removed.
func (h *Host) recover(name string) error {
	rt, err := h.Store.ReadRuntime(name)
	switch {
	case err == nil && rt.Alive():
		return nil
	case err == nil:
		return h.removeDead(name, rt)
	default:
		return h.recoverLost(name, err)
	}
}

// removeDead adopts the unrecorded keeper of the record's incarnation,
// or removes what the record of a dead keeper names.
func (h *Host) removeDead(name string, rt *store.Runtime) error {
	for _, k := range h.keepersOf(name) {
		if k.incarnation == rt.Incarnation && k.jinitPid == rt.JinitPid {
			h.Log.Warn("recording the keeper of a start that was killed", "jail", name, "keeper", k.pid)
			rt.Phase, rt.KeeperPid = store.Kept, k.pid
			return h.Store.WriteRuntime(name, rt)
		}
	}
	if rt.Kernel != nil {
		if err := destroyKernel(rt.Kernel, h.Log); err != nil && !errors.Is(err, kmod.ErrOtherIncarnation) {
			return fmt.Errorf("clean up jail %s: %w", name, err)
		}
	}
	if l := h.Store.ReadLast(name); l == nil || l.At.Before(rt.Started) {
		h.Store.WriteLast(name, "the jail's keeper process died; cleaned up by a later command")
	}
	return h.Store.RemoveRunDir(name)
}

// recoverLost handles a jail without a readable record: why says why.
func (h *Host) recoverLost(name string, why error) error {
	kernels, err := h.findKernel(name)
	if err != nil {
		return fmt.Errorf("look for jail %s in the kernel: %w", name, err)
	}
	_, dirErr := os.Lstat(h.Store.RunDir(name))
	if len(kernels) == 0 && errors.Is(dirErr, os.ErrNotExist) {
		return nil // stopped, and nothing left: the usual case
	}
	if rt := h.rebuild(name, kernels); rt != nil {
		h.Log.Warn("the jail's runtime record was lost or damaged: rebuilt it from the kernel", "jail", name, "error", why, "keeper", rt.KeeperPid)
		if err := os.MkdirAll(h.Store.RunDir(name), 0o700); err != nil {
			return err
		}
		return h.Store.WriteRuntime(name, rt)
	}
	for _, k := range h.keepersOf(name) {
		syscall.Kill(k.pid, syscall.SIGKILL) // holds nothing any more
	}
	for _, k := range kernels {
		if err := destroyKernel(k, h.Log); err != nil {
			return fmt.Errorf("clean up jail %s: %w", name, err)
		}
	}
	if len(kernels) > 0 {
		h.Store.WriteLast(name, "the jail's runtime record was lost; cleaned up by a later command")
	}
	return h.Store.RemoveRunDir(name)
}

// rebuild returns the record of a jail that a live keeper still holds,
// from the keeper's command line and the kernel, or nil.
func (h *Host) rebuild(name string, kernels []*kmod.Jail) *store.Runtime {
	for _, k := range h.keepersOf(name) {
		for _, kernel := range kernels {
			if !kernel.Holds(k.jinitPid) {
				continue
			}
			return &store.Runtime{Incarnation: k.incarnation, Phase: store.Kept, KeeperPid: k.pid,
				JinitPid: k.jinitPid, Started: time.Now().UTC(), Kernel: kernel}
		}
	}
	return nil
}

// findKernel looks for the jail's kernel state wherever it may be.
func (h *Host) findKernel(name string) ([]*kmod.Jail, error) {
	return kmod.FindJails(kmod.Spec{Name: name, Mnt: h.Store.MntDir(name)}, h.Store.CgroupGroup())
}
