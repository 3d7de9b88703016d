package kmod

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// NetBSD has no pidfd: a keeper that is not jinit's parent watches jinit's
// pid with kqueue (EVFILT_PROC, NOTE_EXIT), whose event carries the exit
// status. If jinit has already exited when the keeper asks (ESRCH), the
// status is jinit's own last word on the keeper socket (WaitJinit).
// Not run on NetBSD yet (docs/NETBSD.md).

// WaitExit blocks until process pid has exited and returns its wait
// status, or ErrNoStatus if it was gone before the watch was set. pidfd
// is unused (nil).
func WaitExit(pidfd *os.File, pid int) (syscall.WaitStatus, error) {
	kq, err := unix.Kqueue()
	if err != nil {
		return 0, fmt.Errorf("wait for pid %d: %w", pid, err)
	}
	defer unix.Close(kq)
	ev := []unix.Kevent_t{{}}
	unix.SetKevent(&ev[0], pid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	ev[0].Fflags = unix.NOTE_EXIT
	if _, err := unix.Kevent(kq, ev, nil, nil); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return 0, fmt.Errorf("pid %d: %w", pid, ErrNoStatus)
		}
		return 0, fmt.Errorf("wait for pid %d: %w", pid, err)
	}
	out := make([]unix.Kevent_t, 1)
	for {
		n, err := unix.Kevent(kq, nil, out, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for pid %d: %w", pid, err)
		}
		if n == 1 && out[0].Fflags&unix.NOTE_EXIT != 0 {
			return syscall.WaitStatus(out[0].Data), nil
		}
	}
}

// Signal sends sig to process pid; one that has already exited is not an
// error.
func Signal(pidfd *os.File, pid int, sig syscall.Signal) error {
	err := syscall.Kill(pid, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process: %w", err)
	}
	return nil
}
