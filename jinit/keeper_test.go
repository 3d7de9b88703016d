//go:build linux

package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/kmod"
)

// jinit tells its keeper how it exits, on the keeper socket (the keeper's
// source of the status where the kernel keeps none for it), and ends when
// the keeper's end closes.
func TestKeeperSocket(t *testing.T) {
	requireRoot(t)
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	jinitEnd, keeperEnd := os.NewFile(uintptr(fds[0]), "jinit"), os.NewFile(uintptr(fds[1]), "keeper")
	cmd := exec.Command(jinitBin, "--services", t.TempDir(), "--keeper-fd", "3")
	cmd.ExtraFiles = []*os.File{jinitEnd}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	jinitEnd.Close()
	time.Sleep(300 * time.Millisecond) // jinit up and watching
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("jinit: %v", err)
	}
	if ws, ok := kmod.ReadKeeperWord(keeperEnd); !ok || !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("keeper word %#x %v, want exit 0", ws, ok)
	}
	keeperEnd.Close()

	// The keeper's end closed: jinit ends at once.
	fds, _ = syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	jinitEnd, keeperEnd = os.NewFile(uintptr(fds[0]), "jinit"), os.NewFile(uintptr(fds[1]), "keeper")
	cmd = exec.Command(jinitBin, "--services", t.TempDir(), "--keeper-fd", "3")
	cmd.ExtraFiles = []*os.File{jinitEnd}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	jinitEnd.Close()
	time.Sleep(300 * time.Millisecond)
	keeperEnd.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("jinit did not end when its keeper's end closed")
	}

	// A keeper socket filled by another holder of jinit's end does not
	// hold jinit's exit up: it exits without its word.
	fds, _ = syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	jinitEnd, keeperEnd = os.NewFile(uintptr(fds[0]), "jinit"), os.NewFile(uintptr(fds[1]), "keeper")
	defer keeperEnd.Close()
	cmd = exec.Command(jinitBin, "--services", t.TempDir(), "--keeper-fd", "3")
	cmd.ExtraFiles = []*os.File{jinitEnd}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	syscall.SetNonblock(fds[0], true)
	junk := make([]byte, 64<<10)
	for {
		if _, err := syscall.Write(fds[0], junk); err != nil {
			break // full
		}
	}
	jinitEnd.Close()
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("jinit's exit hung on a full keeper socket")
	}
}
