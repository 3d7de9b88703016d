package jail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/services"
)

// StartOptions say how to start a jail.
type StartOptions struct {
	// Timeout bounds the wait for the services to be ready.
	Timeout time.Duration
	// NoServices starts jinit supervising none of the jail's services
	// (jailctl apply on a stopped jail).
	NoServices bool
}

// Start starts a stopped jail and returns once jinit reports every service
// ready. The jail then runs on its own: no host process holds it (its
// jinit is the jail's life; the next command that finds it gone removes
// what is left, Recover). On failure nothing of the jail is left and the
// error says why (ErrRunning if it already runs).
func (h *Host) Start(ctx context.Context, name string, o StartOptions) error {
	if err := h.mustExist("start", name); err != nil {
		return err
	}
	lk, err := h.lock(name)
	if err != nil {
		return opError("start", name, err)
	}
	defer lk.Unlock()
	if h.Store.Running(name) != nil {
		return &Error{Op: "start", Name: name, Err: ErrRunning}
	}
	l, err := h.launch(ctx, name, o, false)
	if err != nil {
		return opError("start", name, err)
	}
	if err := l.waitReady(ctx, o.Timeout); err != nil {
		err = fmt.Errorf("services did not start: %w", err)
		l.fail(ctx, h, err)
		return opError("start", name, err)
	}
	if err := l.letGo(h); err != nil {
		l.abandon(h)
		return opError("start", name, err)
	}
	return nil
}

// launched is a jail that a start built and holds until it lets it go
// (letGo), or the start itself keeps it (Run).
type launched struct {
	name, incarnation string
	kernel            *kmod.Jail
	proc              *kmod.Process
	guard             guard
	keeperEnd         *os.File // our end of the keeper socket (Run only)
	console           *os.File
	ready             *readyWait
	rt                store.Runtime
}

// letGo records the jail as running on its own and lets go of it: its
// port programs stay attached (to its cgroup, and to the root until its
// teardown), jinit is no longer this process's to reap.
func (l *launched) letGo(h *Host) error {
	l.rt.Phase, l.rt.KeeperPid = store.Released, 0
	if err := h.Store.WriteRuntime(l.name, &l.rt); err != nil {
		return err
	}
	l.guard.Leave()
	l.release()
	return nil
}

// fail stops a jail whose services did not start: jinit stops what did
// start, in order, within failStop; then everything is removed, and why
// it stopped is recorded.
func (l *launched) fail(ctx context.Context, h *Host, why error) {
	h.Store.MarkStopping(l.name)
	if err := h.askShutdown(ctx, l.name); err != nil {
		kmod.Signal(l.proc.PidFD, l.proc.Pid(), syscall.SIGTERM)
	}
	waitExit(l.proc, failStop)
	l.abandon(h)
	reason, _, _ := strings.Cut(why.Error(), "\n") // the rest is the failed services' last lines
	h.Store.WriteLast(l.name, reason)
}

// failStop bounds the orderly stop of a start that failed.
const failStop = 10 * time.Second

// launch builds the jail's kernel state, clones jinit into it and returns
// once jinit runs. Each step is recorded before it is made, so a start
// killed at any point leaves what the next command's Recover removes. On
// failure nothing is left.
func (h *Host) launch(ctx context.Context, name string, o StartOptions, kept bool) (*launched, error) {
	r, err := store.LoadDef(h.Store.DefPath(name))
	if err != nil {
		return nil, err
	}
	if err := h.Store.Reserve(r); err != nil {
		return nil, err
	}
	if err := h.Store.CheckPorts(name, r.Ports); err != nil {
		return nil, err
	}
	jinit, err := FindJinit(h.Exe)
	if err != nil {
		return nil, err
	}
	l := &launched{name: name, incarnation: newIncarnation()}
	if err := l.build(ctx, h, r, jinit, o, kept); err != nil {
		l.abandon(h)
		return nil, err
	}
	return l, nil
}

func (l *launched) build(ctx context.Context, h *Host, r *store.Resolved, jinit string, o StartOptions, kept bool) error {
	st, name := h.Store, l.name
	if err := checkGuard(r); err != nil {
		return err
	}
	for _, d := range []string{st.RunDir(name), st.MntDir(name), st.LogDir(name)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	spec := jailSpec(st, r, jinit, o.NoServices, h.Log.IsDebug())
	spec.Incarnation, spec.ConsoleMax = l.incarnation, consoleMax(r)
	kernel, err := kmod.PlanJail(spec, st.CgroupGroup())
	if err != nil {
		return err
	}
	l.kernel = kernel
	l.rt = store.Runtime{Incarnation: l.incarnation, Phase: store.Planned, KeeperPid: os.Getpid(), Started: time.Now().UTC(), Kernel: kernel}
	if err := st.WriteRuntime(name, &l.rt); err != nil {
		return err
	}
	control, err := listenControl(st.SockPath(name))
	if err != nil {
		return err
	}
	defer control.Close() // jinit's, once spawned
	// The wait for readiness connects now: the connection waits in the
	// socket's backlog and is answered the moment the services are ready.
	l.ready = startReadyWait(ctx, st.SockPath(name), o.Timeout)
	if l.console, err = openConsole(st.ConsolePath(name), r); err != nil {
		return err
	}
	if err := kernel.Create(spec, h.Log); err != nil {
		return err
	}
	// The port programs load (the verifier: milliseconds) while the stage
	// starts; both only need the cgroup.
	guarded := make(chan error, 1)
	go func() {
		var err error
		l.guard, err = attachGuard(kernel, r, h.HostPrivate, h.Log)
		guarded <- err
	}()
	err = l.spawn(kernel, spec, control, kept)
	if gerr := <-guarded; err == nil {
		err = gerr
	}
	if err != nil {
		return err
	}
	l.rt.Phase, l.rt.JinitPid = store.Spawned, l.proc.Pid()
	if err := st.WriteRuntime(name, &l.rt); err != nil {
		return err
	}
	return l.proc.Release(spec)
}

// spawn clones jinit into the jail; a kept jail's jinit gets its end of
// the keeper socket.
func (l *launched) spawn(kernel *kmod.Jail, spec kmod.Spec, control *os.File, kept bool) error {
	o := kmod.SpawnOptions{Control: control, Console: l.console}
	if kept {
		jinitEnd, keeperEnd, err := socketPair()
		if err != nil {
			return fmt.Errorf("create keeper socket: %w", err)
		}
		defer jinitEnd.Close()
		l.keeperEnd, o.Keeper = keeperEnd, jinitEnd
	}
	var err error
	l.proc, err = kernel.Spawn(spec, o)
	return err
}

func jailSpec(st *store.Store, r *store.Resolved, jinit string, noServices, debug bool) kmod.Spec {
	name := r.Def.Name
	s := kmod.Spec{
		Name: name, Hostname: r.Def.HostnameOrName(), Root: r.Def.Root, Writable: st.RWDir(name),
		Mounts: r.Mounts, NetNone: r.Def.Net == "none", Profile: r.Def.Profile, Jinit: jinit, Mnt: st.MntDir(name),
		Debug: debug, NoServices: noServices, LogBuffer: r.LogBuffer, LogLineMax: r.LogLineMax,
		Limits: r.Limits, AllowUnreserved: r.Def.AllowUnreservedPorts, UserNS: r.UserNS(),
	}
	byNum := map[uint16]int{}
	for _, p := range r.Ports {
		i, ok := byNum[p.Num]
		if !ok {
			i = len(s.Reserved)
			byNum[p.Num] = i
			s.Reserved = append(s.Reserved, kmod.Reservation{Port: p.Num})
		}
		switch p.Proto.String() {
		case "tcp":
			s.Reserved[i].TCP = true
		case "udp":
			s.Reserved[i].UDP = true
		}
	}
	return s
}

// listenControl creates jinit's listening control socket.
func listenControl(path string) (*os.File, error) {
	os.Remove(path) // a leftover of a start that died: the run directory is ours under the lock
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("create control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	f, err := ln.File()
	ln.Close()
	if err != nil {
		return nil, fmt.Errorf("create control socket: %w", err)
	}
	os.Chmod(path, 0o600)
	return f, nil
}

// socketPair makes the keeper socket: jinit's end and the keeper's. Each
// side makes its end non-blocking again once it has it (exec passes
// descriptors blocking), so that neither side's read or write can hang on
// the other (kmod.ReadKeeperWord and jinit's last word use deadlines).
func socketPair() (*os.File, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	syscall.CloseOnExec(fds[0])
	syscall.CloseOnExec(fds[1])
	return os.NewFile(uintptr(fds[0]), "keeper-socket-jinit"), os.NewFile(uintptr(fds[1]), "keeper-socket"), nil
}

// abandon removes a jail whose start failed. jinit is this process's
// child until this process exits, so it is killed and reaped here.
func (l *launched) abandon(h *Host) {
	if l.ready != nil {
		l.ready.cancel()
	}
	if l.proc != nil && l.proc.Cmd.ProcessState == nil {
		l.proc.Cmd.Process.Kill()
		l.proc.Cmd.Wait()
	}
	if l.kernel != nil {
		if err := destroyKernel(l.kernel, h.Log); err != nil && !errors.Is(err, kmod.ErrOtherIncarnation) {
			h.Log.Error("remove the jail's kernel state", "jail", l.name, "error", err)
		}
	}
	l.guard.Close()
	l.release()
	if err := h.Store.RemoveRunDir(l.name); err != nil {
		h.Log.Error("remove the runtime directory", "jail", l.name, "error", err)
	}
}

// release closes this process's hold on the jail.
func (l *launched) release() {
	for _, f := range []*os.File{l.keeperEnd, l.console} {
		if f != nil {
			f.Close()
		}
	}
	if l.proc != nil && l.proc.PidFD != nil {
		l.proc.PidFD.Close()
	}
}

// readyWait is a wait-ready request made while the jail starts.
type readyWait struct {
	done   chan struct{}
	cancel func()
	err    error // valid once done is closed
}

// startReadyWait connects to the control socket, which exists but has no
// server yet, and asks for wait-ready once jinit answers the handshake.
func startReadyWait(ctx context.Context, sock string, timeout time.Duration) *readyWait {
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	w := &readyWait{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(w.done)
		_, w.err = control.DialDo(ctx, sock, control.Request{Verb: services.VerbWaitReady, TimeoutMS: timeout.Milliseconds()})
	}()
	return w
}

// waitReady waits for jinit's answer to wait-ready.
func (l *launched) waitReady(ctx context.Context, timeout time.Duration) error {
	defer l.ready.cancel()
	<-l.ready.done
	return l.ready.err
}
