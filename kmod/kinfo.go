package kmod

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// NetBSD's kern.proc2 answers with struct kinfo_proc2 (sys/sysctl.h), a
// layout of fixed-width fields that only grows at its end; the kernel
// copies min(sizeof, requested) bytes. We ask for the prefix up to
// p_realstat and read the few fields a start time needs. Offsets as
// computed from the NetBSD 10 header (identical on every port).
const (
	kinfoPid        = 116 // int32 p_pid
	kinfoUvalid     = 448 // int64 p_uvalid: p_ustart_* are valid
	kinfoUstartSec  = 456 // uint32 p_ustart_sec
	kinfoUstartUsec = 460 // uint32 p_ustart_usec
	kinfoRealstat   = 632 // uint64 p_realstat: SIDL..SDEAD of the process
	KinfoProc2Size  = 640 // the prefix requested
)

// Process states of sys/proc.h that mean the process has exited.
const (
	sDying = 3 // SDYING
	sZomb  = 5 // SZOMB
	sDead  = 6 // SDEAD
)

// errExited says a process is a zombie (exited, not yet reaped).
var errExited = errors.New("process has exited")

// parseKinfoStart reads pid's start time, in microseconds since the epoch,
// from one kinfo_proc2 prefix.
func parseKinfoStart(b []byte, pid int) (uint64, error) {
	if len(b) < KinfoProc2Size {
		return 0, fmt.Errorf("decode kinfo_proc2: %d bytes, want %d", len(b), KinfoProc2Size)
	}
	le := binary.NativeEndian
	if got := int32(le.Uint32(b[kinfoPid:])); int(got) != pid {
		return 0, fmt.Errorf("decode kinfo_proc2: pid %d, want %d", got, pid)
	}
	switch le.Uint64(b[kinfoRealstat:]) {
	case sDying, sZomb, sDead:
		return 0, errExited
	}
	if le.Uint64(b[kinfoUvalid:]) == 0 {
		return 0, fmt.Errorf("decode kinfo_proc2: pid %d: no start time", pid)
	}
	sec, usec := uint64(le.Uint32(b[kinfoUstartSec:])), uint64(le.Uint32(b[kinfoUstartUsec:]))
	return sec*1_000_000 + usec, nil
}
