//go:build linux && !amd64

package profile

import "syscall"

// checkIoperm: there is no ioperm outside x86.
func checkIoperm(string) syscall.Errno { return syscall.ENOSYS }
