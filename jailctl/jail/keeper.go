package jail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/services"
)

// KeeperCommand is the hidden jailctl command that runs a jail's keeper:
// `jailctl [--state-dir DIR] __keeper --adopt PID --incarnation I --links N NAME`,
// with jinit's pidfd as descriptor 3 (none on NetBSD), the keeper socket
// as 4, a pipe with the jail's kernel state (JSON) as 5, and N eBPF link
// descriptors from 6 on. The keeper learns what it keeps from start
// itself, not from the runtime record, which may be damaged.
const KeeperCommand = "__keeper"

const (
	keeperPidFD    = 3
	keeperSockFD   = 4
	keeperKernelFD = 5
	keeperLinksFD  = 6
)

// Adoption is what a keeper is started with.
type Adoption struct {
	Name, Incarnation string
	JinitPid, Links   int
}

// handOff starts the jail's keeper with jinit's pidfd, the keeper socket
// and the port links, and records it. If it cannot, the jail is removed.
func (l *launched) handOff(h *Host) error {
	cmd, err := l.startKeeper(h)
	if err == nil {
		l.rt.Phase, l.rt.KeeperPid = store.Kept, cmd.Process.Pid
		if err = h.Store.WriteRuntime(l.name, &l.rt); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	if err != nil {
		l.abandon(h)
		return err
	}
	cmd.Process.Release()
	l.guard.Close() // the keeper holds its own copies
	l.release()
	return nil
}

func (l *launched) startKeeper(h *Host) (*exec.Cmd, error) {
	links, err := l.guard.Files()
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range links {
			f.Close()
		}
	}()
	var global []string
	if h.Store.Dir != "" {
		global = append(global, "--state-dir", h.Store.Dir)
	}
	if h.Log.IsDebug() {
		global = append(global, "--debug")
	}
	args := append(global, KeeperCommand, "--adopt", strconv.Itoa(l.proc.Pid()),
		"--incarnation", l.incarnation, "--links", strconv.Itoa(len(links)), l.name)
	kernel, err := kernelPipe(l.kernel)
	if err != nil {
		return nil, err
	}
	defer kernel.Close()
	cmd := exec.Command(h.Exe, args...)
	cmd.Stdout, cmd.Stderr = l.console, l.console
	cmd.ExtraFiles = append([]*os.File{l.proc.PidFD, l.keeperEnd, kernel}, links...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// A keeper waits: one P is all it uses, and each further one costs
	// the host threads and memory for as long as the jail runs.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start keeper: %w", err)
	}
	return cmd, nil
}

// held is what a keeper holds of its jail.
type held struct {
	name, incarnation string
	jinitPid          int
	pidfd, sock       *os.File
	links             []*os.File
	kernel            *kmod.Jail
}

func (k *held) close() {
	for _, f := range append([]*os.File{k.pidfd, k.sock}, k.links...) {
		if f != nil {
			f.Close()
		}
	}
}

// Keep is the life of a jail's keeper, a process of its own started by
// start's hand-off: it waits for jinit to exit, for whatever reason, then
// removes the jail and records why. SIGTERM, SIGINT or SIGHUP ask jinit
// for its orderly shutdown. It acts only on the incarnation of the jail it
// was started for.
func (h *Host) Keep(a Adoption) error {
	// Non-blocking, so that the socket is a pollable file whose reads can
	// time out (exec passes descriptors blocking).
	syscall.SetNonblock(keeperSockFD, true)
	k := &held{name: a.Name, incarnation: a.Incarnation, jinitPid: a.JinitPid,
		pidfd: os.NewFile(keeperPidFD, "pidfd"), sock: os.NewFile(keeperSockFD, "keeper-socket")}
	for i := range a.Links {
		k.links = append(k.links, os.NewFile(uintptr(keeperLinksFD+i), "bpf-link"))
	}
	for _, f := range append([]*os.File{k.pidfd, k.sock}, k.links...) {
		syscall.CloseOnExec(int(f.Fd()))
	}
	kernel, err := readKernel(os.NewFile(keeperKernelFD, "kernel"))
	if rt, rerr := h.Store.ReadRuntime(a.Name); err == nil && rerr == nil && rt.Incarnation != a.Incarnation {
		err = fmt.Errorf("the jail was started again (%s)", rt.Incarnation)
	}
	if err != nil {
		// Not ours to keep: end our jinit; the next command recovers.
		kmod.Signal(k.pidfd, k.jinitPid, syscall.SIGKILL)
		k.close()
		return fmt.Errorf("keep jail %s: %w", a.Name, err)
	}
	k.kernel = kernel
	return h.keep(k)
}

// kernelPipe is a pipe holding the jail's kernel state, for the keeper.
func kernelPipe(j *kmod.Jail) (*os.File, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil { // far below a pipe's buffer
		r.Close()
		return nil, fmt.Errorf("hand the jail to its keeper: %w", err)
	}
	return r, nil
}

func readKernel(f *os.File) (*kmod.Jail, error) {
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read the jail's kernel state: %w", err)
	}
	var j kmod.Jail
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("read the jail's kernel state: %w", err)
	}
	return &j, nil
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
	k.close() // detaches the port programs
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
