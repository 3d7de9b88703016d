package kmod

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A process that is not jinit's parent can learn that jinit ended by
// polling a pidfd (Linux 5.3), and how: since Linux 6.15 the pidfd answers
// with the exit status once the process has been reaped (PIDFD_GET_INFO
// with PIDFD_INFO_EXIT), and until then a zombie's status is in
// /proc/PID/stat. On older kernels, once the host's init has reaped jinit,
// the status is jinit's own last word on the keeper socket (KeeperWord),
// or unknown if it was killed.

// WaitExit blocks until the process behind pidfd (whose pid is pid) has
// exited, and returns its wait status, or ErrNoStatus once it has been
// reaped on a kernel that keeps no status for pidfd holders. The caller
// need not be its parent.
func WaitExit(pidfd *os.File, pid int) (syscall.WaitStatus, error) {
	fd := int(pidfd.Fd())
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return 0, fmt.Errorf("wait for pid %d: %w", pid, err)
		}
	}
	// Exited: either reaped (the pidfd may have the status) or a zombie
	// whose parent (whoever adopted it) has not reaped it yet.
	for i := 0; ; i++ {
		if ws, ok := exitInfo(fd); ok {
			return ws, nil
		}
		code, zerr := zombieStatus(pid)
		// The pid cannot name another process before ours is reaped, and
		// the kernel records the exit status before it frees the pid: if
		// the pidfd still has no status, what stat showed was ours.
		if ws, ok := exitInfo(fd); ok {
			return ws, nil
		}
		switch {
		case zerr == nil:
			return syscall.WaitStatus(code), nil
		case errors.Is(zerr, os.ErrNotExist):
			return 0, fmt.Errorf("pid %d: %w", pid, ErrNoStatus) // reaped
		case i == 500:
			return 0, fmt.Errorf("exit status of pid %d: %w", pid, zerr)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func exitInfo(pidfd int) (syscall.WaitStatus, bool) {
	info := unix.PidfdInfo{Mask: unix.PIDFD_INFO_EXIT}
	if unix.IoctlPidfdInfo(pidfd, &info) != nil || info.Mask&unix.PIDFD_INFO_EXIT == 0 {
		return 0, false
	}
	return syscall.WaitStatus(info.Exit_code), true
}

// zombieStatus reads a zombie's wait status (field 52 of /proc/PID/stat).
func zombieStatus(pid int) (int, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	// f[0] is field 3 (state); field 52 is f[49].
	if len(f) < 50 {
		return 0, errors.New("stat has no exit_code")
	}
	if f[0] != "Z" {
		return 0, fmt.Errorf("pid %d is in state %s, not a zombie", pid, f[0])
	}
	return strconv.Atoi(f[49])
}

// Signal sends sig to the process behind pidfd; a process that has
// already exited is not an error.
func Signal(pidfd *os.File, pid int, sig syscall.Signal) error {
	err := unix.PidfdSendSignal(int(pidfd.Fd()), sig, nil, 0)
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal process: %w", err)
	}
	return nil
}
