package kmod

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startWithPidfd starts argv with a pidfd, as jailctl start does with jinit.
func startWithPidfd(t *testing.T, argv ...string) (*exec.Cmd, *os.File) {
	t.Helper()
	pidfd := -1
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{PidFD: &pidfd}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if pidfd < 0 {
		t.Fatal("no pidfd from clone")
	}
	f := os.NewFile(uintptr(pidfd), "pidfd")
	t.Cleanup(func() { f.Close() })
	return cmd, f
}

// A zombie nobody has reaped yet: the status comes from /proc.
func TestWaitExitZombie(t *testing.T) {
	cmd, pidfd := startWithPidfd(t, "/bin/sh", "-c", "exit 7")
	ws, err := WaitExit(pidfd, cmd.Process.Pid)
	cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 7 {
		t.Fatalf("status %#x, want exit 7", ws)
	}
}

// Reaped by its parent before the waiter looks: the status comes from the
// pidfd (PIDFD_INFO_EXIT).
func TestWaitExitReaped(t *testing.T) {
	cmd, pidfd := startWithPidfd(t, "/bin/sleep", "100")
	cmd.Process.Kill()
	cmd.Wait()
	ws, err := WaitExit(pidfd, cmd.Process.Pid)
	if errors.Is(err, ErrNoStatus) {
		t.Skip("kernel before Linux 6.15: no PIDFD_INFO_EXIT, the status of a reaped process is gone")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("status %#x, want killed by SIGKILL", ws)
	}
	if err := Signal(pidfd, cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatalf("signalling an exited process: %v", err)
	}
}

// WaitExit blocks while the process runs.
func TestWaitExitBlocks(t *testing.T) {
	cmd, pidfd := startWithPidfd(t, "/bin/sleep", "100")
	got := make(chan syscall.WaitStatus, 1)
	go func() {
		ws, _ := WaitExit(pidfd, cmd.Process.Pid)
		got <- ws
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case ws := <-got:
		t.Fatalf("WaitExit returned %#x while the process runs", ws)
	default:
	}
	if err := Signal(pidfd, cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ws := <-got
	cmd.Wait()
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("status %#x, want killed by SIGTERM", ws)
	}
}

// jinit's last word on the keeper socket stands in for the status where
// the kernel has none; anything else is no word.
func TestKeeperWord(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	jinit, keeper := os.NewFile(uintptr(fds[0]), "jinit"), os.NewFile(uintptr(fds[1]), "keeper")
	defer keeper.Close()
	jinit.Write(KeeperWord(3))
	jinit.Close()
	ws, ok := ReadKeeperWord(keeper)
	if !ok || !ws.Exited() || ws.ExitStatus() != 3 {
		t.Fatalf("ReadKeeperWord = %#x, %v; want exit 3", ws, ok)
	}
	for _, bad := range []string{"", "exit", "exit 3", "exit -1\n", "exit 256\n", "exit 3\nexit 4\n", "exit x\n", "quit 0\n"} {
		if ws, ok := ParseKeeperWord([]byte(bad)); ok {
			t.Errorf("ParseKeeperWord(%q) = %#x, want no word", bad, ws)
		}
	}
}
