package kmod

import "time"

// WaitGone waits up to within for process pid, which started at start
// (ProcStart), to exit, and reports whether it has. NetBSD has no pidfd:
// it polls the process's start time. Not run on NetBSD yet
// (docs/NETBSD.md).
func WaitGone(pid int, start uint64, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		if st, err := ProcStart(pid); err != nil || st != start {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
