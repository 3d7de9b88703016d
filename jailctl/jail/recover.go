package jail

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
)

// recover brings the jail's runtime record in line with the kernel, its
// lock held:
//   - a record of a jail still held — by the jailctl that starts or runs
//     it, or, released, by its own jinit — says the jail runs: nothing to
//     do;
//   - a record of a jail no longer held: whatever it names is removed
//     (the processes of a start that was killed midway too), and why the
//     jail ended is recorded: jinit's last word on its console, or what
//     the kernel tells;
//   - no record, or a damaged one: the jail is looked for in the kernel.
//     If its jinit still runs there, the record is rebuilt from the
//     kernel and the jail runs on; otherwise whatever is found is removed.
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

// removeDead removes what the record of a jail no longer held names.
func (h *Host) removeDead(name string, rt *store.Runtime) error {
	reason := h.endReason(name, rt)
	if rt.Kernel != nil {
		// Destroy kills what still runs: the jail of a start or a keeper
		// that was killed.
		if err := destroyKernel(rt.Kernel, h.Log); err != nil && !errors.Is(err, kmod.ErrOtherIncarnation) {
			return fmt.Errorf("clean up jail %s: %w", name, err)
		}
	}
	if l := h.Store.ReadLast(name); l == nil || l.At.Before(rt.Started) {
		h.Store.WriteLast(name, reason)
	}
	return h.Store.RemoveRunDir(name)
}

// endReason says why a jail that is no longer held ended, in the words
// `jailctl list` shows.
func (h *Host) endReason(name string, rt *store.Runtime) string {
	switch {
	case rt.Phase == store.Kept:
		return "the jail's keeper process died; cleaned up by a later command"
	case rt.Phase != store.Released:
		return "its start was killed before it reported the jail started; cleaned up by a later command"
	}
	stopping := h.Store.Stopping(name)
	if ws, ok := h.lastWord(name, rt.Incarnation); ok {
		return exitReason(ws, nil, stopping)
	}
	if stopping {
		return "stopped"
	}
	reason := "jinit was killed by signal SIGKILL, or it crashed: it left no exit status"
	if rt.Kernel != nil {
		if u := rt.Kernel.Usage(); u.OOMKnown && u.OOMKills > 0 {
			reason += fmt.Sprintf(" (the jail reached its memory limit: %d processes killed by the kernel)", u.OOMKills)
		}
	}
	return reason
}

// consoleTail is how much of the console's end is searched for jinit's
// last word: what jinit writes after it is bounded (jinit/console.go).
const consoleTail = 8 << 10

// lastWord finds the last word of incarnation's jinit on the jail's
// console, a file the jail writes: opened without following links or
// blocking, and read only at its end.
func (h *Host) lastWord(name, incarnation string) (syscall.WaitStatus, bool) {
	f, err := os.OpenFile(h.Store.ConsolePath(name), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	at := max(fi.Size()-consoleTail, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, at, consoleTail))
	if err != nil {
		return 0, false
	}
	return kmod.FindConsoleWord(b, incarnation)
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
	if rt := rebuild(kernels); rt != nil {
		h.Log.Warn("the jail's runtime record was lost or damaged: rebuilt it from the kernel", "jail", name, "error", why, "jinit", rt.JinitPid)
		if err := os.MkdirAll(h.Store.RunDir(name), 0o700); err != nil {
			return err
		}
		return h.Store.WriteRuntime(name, rt)
	}
	for _, k := range kernels {
		if err := destroyKernel(k, h.Log); err != nil {
			return fmt.Errorf("clean up jail %s: %w", name, err)
		}
	}
	// A lost record may have named a cgroup that is gone already: its
	// host port programs are found by what they carry.
	if err := ports.Sweep(); err != nil {
		h.Log.Warn("remove the port programs of removed jails", "error", err)
	}
	if len(kernels) > 0 {
		h.Store.WriteLast(name, "the jail's runtime record was lost; cleaned up by a later command")
	}
	return h.Store.RemoveRunDir(name)
}

// rebuild returns the record of a jail whose jinit still runs in its
// kernel state, or nil. Which start it was is lost: it gets a new
// incarnation.
func rebuild(kernels []*kmod.Jail) *store.Runtime {
	for _, k := range kernels {
		pid := k.Init()
		if pid <= 0 {
			continue
		}
		return &store.Runtime{Incarnation: newIncarnation(), Phase: store.Released, JinitPid: pid,
			Started: time.Now().UTC(), Kernel: k}
	}
	return nil
}

// findKernel looks for the jail's kernel state wherever it may be.
func (h *Host) findKernel(name string) ([]*kmod.Jail, error) {
	return kmod.FindJails(kmod.Spec{Name: name, Mnt: h.Store.MntDir(name)}, h.Store.CgroupGroup())
}
