package main

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod"
)

// keeper is jinit's end of the keeper socket (--keeper-fd), shared by
// watchKeeper and exit.
var keeper atomic.Pointer[os.File]

// watchKeeper ends the jail when the host process that keeps it is gone:
// the keeper never writes to the keeper socket, so a read returns only
// when the keeper's end is closed, that is, when it has exited. jinit then
// exits at once, as a parent-death signal would have killed it; the
// kernel ends every process of the jail with it, and the next jailctl
// command on the jail removes what the keeper left. Before it exits,
// abandon hands the log lines no collector took to the next one
// (Capture.Abandon).
func watchKeeper(fd int, log hclog.Logger, abandon func()) {
	syscall.CloseOnExec(fd)
	// Non-blocking, so that the socket is a pollable file whose writes can
	// time out (exit); exec passes descriptors blocking.
	syscall.SetNonblock(fd, true)
	f := os.NewFile(uintptr(fd), "keeper")
	keeper.Store(f)
	var b [1]byte
	for {
		if _, err := f.Read(b[:]); err != nil {
			break
		}
	}
	keeper.Store(nil)
	log.Error("the jail's keeper has exited: ending the jail")
	abandon()
	os.Exit(1)
}

// exit tells the keeper jinit's exit status, where the kernel would not
// tell it (kmod.WaitJinit), or, with no keeper, leaves it on the console
// for the next command, and exits. The word never holds the exit up: a
// full socket (anything that holds its end can fill it) gets none.
func exit(code int) {
	if f := keeper.Load(); f != nil {
		f.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		f.Write(kmod.KeeperWord(code))
	}
	console.finish(code)
	os.Exit(code)
}
