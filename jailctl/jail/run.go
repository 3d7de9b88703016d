package jail

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
)

// Run starts the jail and keeps it in this process until jinit exits
// (jailctl run, for systemd's jail@.service): the same start as Start,
// with this process as the jail's keeper. ready is called once the services are ready, or
// with why they are not (the jail is then stopped, and Run returns that
// reason). SIGTERM, SIGINT or SIGHUP stop the jail.
func (h *Host) Run(ctx context.Context, name string, timeout time.Duration, ready func(error)) error {
	if err := h.mustExist("run", name); err != nil {
		return err
	}
	lk, err := h.lock(name)
	if err != nil {
		return opError("run", name, err)
	}
	if h.Store.Running(name) != nil {
		lk.Unlock()
		return &Error{Op: "run", Name: name, Err: ErrRunning}
	}
	l, err := h.launch(ctx, name, StartOptions{Timeout: timeout}, true)
	if err == nil {
		l.rt.Phase = store.Kept
		if err = h.Store.WriteRuntime(name, &l.rt); err != nil {
			l.abandon(h)
		}
	}
	lk.Unlock()
	if err != nil {
		return opError("run", name, err)
	}
	l.guard.Leave() // the teardown removes the programs
	k := &held{name: name, incarnation: l.incarnation, jinitPid: l.proc.Pid(), pidfd: l.proc.PidFD,
		sock: l.keeperEnd, kernel: l.kernel}
	readyC := make(chan error, 1)
	go func() {
		var notReady error
		if err := l.waitReady(ctx, timeout); err != nil {
			notReady = fmt.Errorf("services did not start: %w", err)
			h.Store.MarkStopping(name)
			kmod.Signal(k.pidfd, k.jinitPid, syscall.SIGTERM)
		}
		ready(notReady)
		readyC <- notReady
	}()
	err = h.keep(k)
	l.console.Close()
	l.proc.Cmd.Wait() // jinit is this process's child: reap it
	// jinit has exited: the wait for readiness has its answer too.
	if notReady := <-readyC; notReady != nil {
		h.Store.WriteLast(name, notReady.Error())
		return opError("run", name, notReady)
	}
	return err
}
