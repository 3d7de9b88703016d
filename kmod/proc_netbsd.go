package kmod

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	kernProc2   = 47 // KERN_PROC2
	kernProcPID = 1  // KERN_PROC_PID
)

// ProcStart returns a live process's start time (microseconds since the
// epoch) from kern.proc2; an exited one (a zombie nobody reaped yet) is
// an error. With the pid it tells a process from a later one that reused
// its pid.
func ProcStart(pid int) (uint64, error) {
	mib := []int32{unix.CTL_KERN, kernProc2, kernProcPID, int32(pid), KinfoProc2Size, 1}
	buf := make([]byte, KinfoProc2Size)
	n := uintptr(len(buf))
	_, _, e := unix.Syscall6(unix.SYS___SYSCTL, uintptr(unsafe.Pointer(&mib[0])), uintptr(len(mib)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0, 0)
	if e != 0 {
		return 0, fmt.Errorf("read process %d: %w", pid, e)
	}
	if n == 0 {
		return 0, fmt.Errorf("read process %d: %w", pid, unix.ESRCH)
	}
	return parseKinfoStart(buf[:n], pid)
}
