package main

import (
	"syscall"
	"unsafe"
)

// resetIgnoredSignals sets every signal jinit inherited as ignored back to
// its default action. exec keeps SIG_IGN, and the Go runtime never touches
// some signals (32 and 33, which it leaves to the C library), so without
// this a service would inherit whatever jinit's parent ignored. Go installs
// its own handlers for the signals it uses; only SIG_IGN ones are changed.
func resetIgnoredSignals() {
	// struct sigaction as the kernel sees it; the handler comes first on
	// every architecture, which is all this reads or sets.
	var act [4]uintptr
	for sig := 1; sig <= 64; sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		act = [4]uintptr{}
		_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&act)), 8, 0, 0)
		if e != 0 || act[0] != 1 { // 1 is SIG_IGN
			continue
		}
		def := [4]uintptr{} // SIG_DFL, no flags, empty mask
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&def)), 0, 8, 0, 0)
	}
}
