package services

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Exit is one reaped process.
type Exit struct {
	Pid    int
	Status syscall.WaitStatus
}

// Reaper is the single owner of wait(2) in the process. It reaps every
// child — the services it started and the orphans the kernel hands to a PID
// 1 or a subreaper — and delivers each exit on C. Nothing else may wait:
// a second waiter (exec.Cmd.Wait, os.Process.Wait) would steal statuses.
type Reaper struct {
	C    <-chan Exit
	c    chan Exit
	sigC chan os.Signal
	done chan struct{}
}

// StartReaper installs the SIGCHLD handler and starts reaping.
func StartReaper() *Reaper {
	c := make(chan Exit, 4096)
	r := &Reaper{C: c, c: c, sigC: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(r.sigC, syscall.SIGCHLD)
	go r.loop()
	return r
}

func (r *Reaper) loop() {
	defer close(r.c)
	for {
		r.reapAll()
		select {
		case <-r.sigC:
		case <-r.done:
			r.reapAll()
			return
		}
	}
}

// reapAll collects every exited child; SIGCHLD coalesces, so one signal may
// stand for many exits.
func (r *Reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if ws.Stopped() || ws.Continued() {
			continue
		}
		r.c <- Exit{Pid: pid, Status: ws}
	}
}

// Stop ends the reaper after a last sweep; C is closed when it is done.
func (r *Reaper) Stop() {
	signal.Stop(r.sigC)
	close(r.done)
}
