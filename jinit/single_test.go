//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func runJinit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(jinitBin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("run jinit %v: %v", args, err)
	}
	return 0, string(out)
}

func TestSingleExitCodes(t *testing.T) {
	for code := 0; code <= 255; code++ {
		if got, out := runJinit(t, "--", "sh", "-c", fmt.Sprintf("exit %d", code)); got != code {
			t.Fatalf("exit %d: got %d (%s)", code, got, out)
		}
	}
}

func TestSingleSpecialCodes(t *testing.T) {
	noexec := filepath.Join(t.TempDir(), "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"killed by signal", []string{"--", "sh", "-c", "kill -USR1 $$"}, 128 + int(syscall.SIGUSR1)},
		{"not found", []string{"--", "/nonexistent/cmd"}, 127},
		{"not found in PATH", []string{"--", "no-such-command-anywhere"}, 127},
		{"not executable", []string{"--", noexec}, 126},
		{"remapped", []string{"-e", "3", "--", "sh", "-c", "exit 3"}, 0},
		{"not remapped", []string{"-e", "3", "--", "sh", "-c", "exit 4"}, 4},
		{"bad -e", []string{"-e", "x", "--", "true"}, 2},
	}
	for _, c := range cases {
		if got, out := runJinit(t, c.args...); got != c.want {
			t.Errorf("%s: exit %d, want %d (%s)", c.name, got, c.want, out)
		}
	}
}

// Signals jinit receives reach the child (and with -g its whole group).
func TestSingleForwardsSignals(t *testing.T) {
	for _, group := range []bool{false, true} {
		dir := t.TempDir()
		ready, got := filepath.Join(dir, "ready"), filepath.Join(dir, "got")
		// The child traps USR2; with -g, its own child (in the same group)
		// records the signal too. Without -g nothing ends that grandchild:
		// it ends itself once the test's directory is gone.
		script := fmt.Sprintf(`trap 'echo parent >> %[2]s; exit 0' USR2
sh -c 'trap "echo child >> %[2]s; exit 0" USR2; touch %[1]s; while [ -d %[3]s ]; do sleep 0.05; done' &
wait`, ready, got, dir)
		args := []string{"--", "sh", "-c", script}
		if group {
			args = append([]string{"-g"}, args...)
		}
		cmd := exec.Command(jinitBin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "child ready", func() bool { _, err := os.Stat(ready); return err == nil })
		cmd.Process.Signal(syscall.SIGUSR2)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("group=%v: %v", group, err)
		}
		waitFor(t, 5*time.Second, "signal record", func() bool { b, _ := os.ReadFile(got); return len(b) > 0 })
		time.Sleep(200 * time.Millisecond)
		b, _ := os.ReadFile(got)
		rec := strings.Fields(string(b))
		want := "parent"
		if group {
			want = "child parent"
		}
		if strings.Join(sorted(rec), " ") != want {
			t.Errorf("group=%v: signal reached %v, want %s", group, rec, want)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestSingleChildSignalState(t *testing.T) {
	ignoreRealtime32(t)
	out := filepath.Join(t.TempDir(), "status")
	if code, o := runJinit(t, "--", "sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status > "+out); code != 0 {
		t.Fatalf("exit %d: %s", code, o)
	}
	checkSigState(t, out)
}

// stdin passes through to the child.
func TestSingleStdin(t *testing.T) {
	cmd := exec.Command(jinitBin, "--", "cat")
	cmd.Stdin = strings.NewReader("hello through jinit\n")
	out, err := cmd.Output()
	if err != nil || string(out) != "hello through jinit\n" {
		t.Fatalf("stdin: %q %v", out, err)
	}
}

// As PID 1 of a new namespace with -s semantics irrelevant, orphans are reaped
// and the exit status is the child's.
func TestSinglePID1ReapsOrphans(t *testing.T) {
	requireRoot(t) // a new pid namespace
	cmd := exec.Command(jinitBin, "--", "sh", "-c", "for i in 1 2 3 4 5; do (sleep 0.1 &) ; done; sleep 0.5; exit 9")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 9 {
		t.Fatalf("want exit 9, got %v", err)
	}
}
