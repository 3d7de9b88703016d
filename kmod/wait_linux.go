package kmod

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// WaitGone waits up to within for process pid, which started at start
// (ProcStart), to exit, and reports whether it has (a process already gone,
// or whose pid now names another, has). The caller need not be its parent:
// it polls a pidfd (Linux 5.3).
func WaitGone(pid int, start uint64, within time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return errors.Is(err, unix.ESRCH) || !sameProcess(pid, start)
	}
	defer unix.Close(fd)
	if !sameProcess(pid, start) { // checked after the open: the pidfd is ours
		return true
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(within)
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		n, err := unix.Poll(fds, int(left.Milliseconds()))
		switch {
		case err == nil && n > 0:
			return true
		case err == nil || left == 0:
			return false
		case !errors.Is(err, unix.EINTR):
			return !sameProcess(pid, start)
		}
	}
}

func sameProcess(pid int, start uint64) bool {
	st, err := ProcStart(pid)
	return err == nil && st == start
}
