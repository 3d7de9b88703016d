package kmod

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestKernelVersion(t *testing.T) {
	cases := []struct {
		in           string
		major, minor int
		ok           bool
	}{
		{"6.18.44-fc-v769", 6, 18, true},
		{"6.15.0", 6, 15, true},
		{"5.10.0-28-amd64", 5, 10, true},
		{"6.1", 6, 1, true},
		{"7.0-rc1", 7, 0, true},
		{"", 0, 0, false},
		{"six.one", 0, 0, false},
		{"6", 0, 0, false},
		{"6.x", 0, 0, false},
	}
	for _, c := range cases {
		major, minor, ok := kernelVersion(c.in)
		if ok != c.ok || ok && (major != c.major || minor != c.minor) {
			t.Errorf("kernelVersion(%q) = %d, %d, %v; want %d, %d, %v", c.in, major, minor, ok, c.major, c.minor, c.ok)
		}
	}
}

// startWithPidfd starts argv with a pidfd, as jailctl start does with jinit.
func startWithPidfd(t *testing.T, argv ...string) (*exec.Cmd, int) {
	t.Helper()
	if !ExitInfoSupported() {
		t.Skip("kernel before Linux 6.15: no PIDFD_INFO_EXIT")
	}
	pidfd := -1
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{PidFD: &pidfd}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if pidfd < 0 {
		t.Fatal("no pidfd from clone")
	}
	t.Cleanup(func() { syscall.Close(pidfd) })
	return cmd, pidfd
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
	if err != nil {
		t.Fatal(err)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("status %#x, want killed by SIGKILL", ws)
	}
	if err := Signal(pidfd, syscall.SIGTERM); err != nil {
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
	if err := Signal(pidfd, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ws := <-got
	cmd.Wait()
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("status %#x, want killed by SIGTERM", ws)
	}
}
