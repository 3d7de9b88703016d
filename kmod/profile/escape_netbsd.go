package profile

import (
	"errors"
	"syscall"
)

// The escape checks are Linux attempts; on NetBSD the jail-level escape
// suite has its own. These stubs keep EscapeChecks buildable and report
// ENOSYS ("not applicable").
func notOnNetBSD(string) syscall.Errno { return syscall.ENOSYS }

var (
	checkFinitModule    = notOnNetBSD
	checkInitModule     = notOnNetBSD
	checkDeleteModule   = notOnNetBSD
	checkReboot         = notOnNetBSD
	checkKexecLoad      = notOnNetBSD
	checkKexecFileLoad  = notOnNetBSD
	checkSettimeofday   = notOnNetBSD
	checkClockSettime   = notOnNetBSD
	checkSyslog         = notOnNetBSD
	checkIoperm         = notOnNetBSD
	checkSwapon         = notOnNetBSD
	checkSwapoff        = notOnNetBSD
	checkMountTmpfs     = notOnNetBSD
	checkUmount         = notOnNetBSD
	checkMknodChr       = notOnNetBSD
	checkMknodFifo      = notOnNetBSD
	checkChroot         = notOnNetBSD
	checkRawSocket      = notOnNetBSD
	checkPacketSocket   = notOnNetBSD
	checkNetlinkSocket  = notOnNetBSD
	checkVsockSocket    = notOnNetBSD
	checkAlgSocket      = notOnNetBSD
	checkTCPSocket      = notOnNetBSD
	checkUnshareUserns  = notOnNetBSD
	checkCloneUserns    = notOnNetBSD
	checkClone3         = notOnNetBSD
	checkSetns          = notOnNetBSD
	checkBPF            = notOnNetBSD
	checkPerfEventOpen  = notOnNetBSD
	checkKeyctl         = notOnNetBSD
	checkAddKey         = notOnNetBSD
	checkRequestKey     = notOnNetBSD
	checkOpenByHandle   = notOnNetBSD
	checkAcct           = notOnNetBSD
	checkPtracePid1     = notOnNetBSD
	checkSysctlHostname = notOnNetBSD
	checkSysWritable    = notOnNetBSD
	checkChownOther     = notOnNetBSD
)

func probePath(string) func(string) syscall.Errno     { return notOnNetBSD }
func probeWritable(string) func(string) syscall.Errno { return notOnNetBSD }

// ReadStatus is Linux-only.
func ReadStatus(pid int) (Status, error) {
	return Status{}, errors.New("read process status: /proc/PID/status is Linux-only")
}
