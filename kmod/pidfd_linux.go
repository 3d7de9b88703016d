package kmod

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A process that is not jinit's parent can still learn how jinit ended:
// since Linux 6.15 a pidfd answers with the exit status once the process
// has been reaped (PIDFD_GET_INFO with PIDFD_INFO_EXIT), and until then a
// zombie's status is in /proc/PID/stat. That lets jailctl start clone
// jinit itself and hand the jail to a keeper that starts beside jinit
// instead of before it (docs/ARCHITECTURE.md, "Where a jail's start goes").

// ExitInfoSupported reports whether this kernel gives a pidfd holder the
// exit status of a process it did not reap (Linux 6.15 or later).
func ExitInfoSupported() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	major, minor, ok := kernelVersion(unix.ByteSliceToString(u.Release[:]))
	return ok && (major > 6 || major == 6 && minor >= 15)
}

// kernelVersion parses the leading "MAJOR.MINOR" of a kernel release.
func kernelVersion(release string) (major, minor int, ok bool) {
	maj, rest, found := strings.Cut(release, ".")
	if !found {
		return 0, 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		rest = rest[:end]
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(maj)
	minor, err2 = strconv.Atoi(rest)
	return major, minor, err1 == nil && err2 == nil
}

// WaitExit blocks until the process behind pidfd (whose pid is pid) has
// exited, and returns its wait status. The caller need not be its parent.
func WaitExit(pidfd, pid int) (syscall.WaitStatus, error) {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return 0, fmt.Errorf("wait for pid %d: %w", pid, err)
		}
	}
	// Exited: either reaped (the pidfd has the status) or a zombie whose
	// parent (whoever adopted it) has not reaped it yet.
	for i := 0; ; i++ {
		if ws, ok := exitInfo(pidfd); ok {
			return ws, nil
		}
		code, zerr := zombieStatus(pid)
		// The pid cannot name another process before ours is reaped, and
		// the kernel records the exit status before it frees the pid: if
		// the pidfd still has no status, what stat showed was ours.
		if ws, ok := exitInfo(pidfd); ok {
			return ws, nil
		}
		if zerr == nil {
			return syscall.WaitStatus(code), nil
		}
		if i == 500 {
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
func Signal(pidfd int, sig syscall.Signal) error {
	err := unix.PidfdSendSignal(pidfd, sig, nil, 0)
	if err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal process: %w", err)
	}
	return nil
}
