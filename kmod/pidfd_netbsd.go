package kmod

// ExitInfoSupported reports whether a process that is not jinit's parent
// can learn how jinit ended. NetBSD has no pidfd: only the parent can.
func ExitInfoSupported() bool { return false }
