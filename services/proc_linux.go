package services

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// killDescendants signals every process left below jinit. As PID 1 of a
// PID namespace, kill(-1) reaches exactly the namespace minus jinit. As a
// subreaper elsewhere, orphans are re-parented to jinit, so signalling its
// children round after round reaches the whole subtree; never kill(-1)
// there, which would reach the host.
func killDescendants(sig syscall.Signal) {
	if os.Getpid() == 1 {
		syscall.Kill(-1, sig)
		return
	}
	for _, pid := range children(os.Getpid()) {
		syscall.Kill(pid, sig)
	}
}

// anyDescendants reports whether jinit has any child left, without reaping
// (WNOWAIT): the reaper stays the only waiter.
func anyDescendants() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return !errors.Is(err, unix.ECHILD)
}

// children lists the pids whose parent is ppid, from /proc.
func children(ppid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the parenthesised command: state ppid ...
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			out = append(out, pid)
		}
	}
	return out
}
