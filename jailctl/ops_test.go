package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// start --all starts every autostart jail and goes on past the broken
// ones (a service that dies, a definition that cannot be read), exiting
// non-zero and naming them; stop --all stops the autostart jails only.
func TestStartAllGoesOnPastBrokenJails(t *testing.T) {
	h := newHost(t)
	idle := t.TempDir()
	service(t, idle, "idle", "exec sleep 100000", "")
	crash := t.TempDir()
	service(t, crash, "crash", "exit 3", "[start_limit]\nburst = 3\n[backoff]\ninitial = \"10ms\"\n[readiness]\nnotification_fd = 3\n")
	h.must("create", "a", "--autostart", "--services", idle)
	h.must("create", "b-crash", "--autostart", "--services", crash)
	h.must("create", "c", "--autostart", "--services", idle)
	h.must("create", "d-baddef", "--autostart")
	h.must("create", "manual", "--services", idle)
	def := filepath.Join(h.state, "lib", "d-baddef", "jail.toml")
	b, _ := os.ReadFile(def)
	os.WriteFile(def, append(b, "\ncolour = \"blue\"\n"...), 0o644)

	r := h.run("start", "--all")
	if r.code != 1 || !strings.Contains(r.stderr, "start failed for: b-crash, d-baddef") ||
		!strings.Contains(r.stderr, "exit 3") || !strings.Contains(r.stderr, `"colour"`) {
		t.Fatalf("start --all: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "started jail a") || !strings.Contains(r.stdout, "started jail c") {
		t.Fatalf("start --all did not report a and c: %q", r.stdout)
	}
	want := map[string]string{"a": "running", "b-crash": "stopped", "c": "running", "d-baddef": "stopped", "manual": "stopped"}
	for n, st := range want {
		if got := h.jailInfo(n).State; got != st {
			t.Errorf("after start --all, %s is %s, want %s", n, got, st)
		}
	}

	h.must("start", "manual")
	if out := h.must("stop", "--all"); !strings.Contains(out, "stopped jail a") || !strings.Contains(out, "stopped jail c") {
		t.Fatalf("stop --all: %q", out)
	}
	want = map[string]string{"a": "stopped", "c": "stopped", "manual": "running"}
	for n, st := range want {
		if got := h.jailInfo(n).State; got != st {
			t.Errorf("after stop --all, %s is %s, want %s", n, got, st)
		}
	}
	if r := h.run("start", "--all", "a"); r.code != 2 {
		t.Errorf("start --all NAME: exit %d, want 2", r.code)
	}
}

// runUnderNotify starts `jailctl run NAME` as systemd would for a
// Type=notify unit: with a NOTIFY_SOCKET that the test reads.
func (h *host) runUnderNotify(name string) (*exec.Cmd, <-chan string, *bytes.Buffer) {
	h.t.Helper()
	sock := filepath.Join(h.t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { conn.Close() })
	msgs := make(chan string, 8)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	cmd := exec.Command(jailctlBin, "--state-dir", h.state, "run", name)
	cmd.Env = append(os.Environ(), "JAILS_JINIT="+jinitBin, "NOTIFY_SOCKET="+sock)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, msgs, &stderr
}

// What jail@.service relies on: `jailctl run` sends READY=1 only once the
// services are ready, SIGTERM stops the jail in order and exits 0, and a
// jail whose services do not start makes run fail instead of hanging.
func TestRunNotifiesReadiness(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	// Ready 300 ms after it starts, through an s6 notification descriptor.
	service(t, svc, "slow", "sleep 0.3; echo >&3; exec sleep 100000", "[readiness]\nnotification_fd = 3\n")
	h.must("create", "n", "--services", svc)
	cmd, msgs, stderr := h.runUnderNotify("n")
	select {
	case m := <-msgs:
		if m != "READY=1" {
			t.Fatalf("first notification %q, want READY=1", m)
		}
	case <-time.After(time.Minute):
		t.Fatalf("no READY=1 within a minute; stderr: %s", stderr)
	}
	if st := h.must("status", "n"); !strings.Contains(st, "running") || !strings.Contains(st, "yes") {
		t.Fatalf("READY=1 before the service was ready:\n%s", st)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run after SIGTERM: %v; stderr: %s", err, stderr)
	}
	if ji := h.jailInfo("n"); ji.State != "stopped" || ji.LastExit == nil || ji.LastExit.Reason != "stopped" {
		t.Fatalf("after SIGTERM: %+v %+v", ji, ji.LastExit)
	}

	crash := t.TempDir()
	service(t, crash, "crash", "exit 3", "[start_limit]\nburst = 3\n[backoff]\ninitial = \"10ms\"\n[readiness]\nnotification_fd = 3\n")
	h.must("create", "bad", "--services", crash)
	cmd, msgs, stderr = h.runUnderNotify("bad")
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "services did not start") {
		t.Fatalf("run of a jail whose service fails: %v; stderr: %s", err, stderr)
	}
	for m := range drain(msgs) {
		if m == "READY=1" {
			t.Fatal("READY=1 sent for a jail whose services did not start")
		}
	}
	if ji := h.jailInfo("bad"); ji.State != "stopped" || ji.LastExit == nil || !strings.Contains(ji.LastExit.Reason, "services did not start") {
		t.Fatalf("after a failed run: %+v %+v", ji, ji.LastExit)
	}
	if left := h.leftovers(); left != "" {
		t.Fatalf("left behind: %s", left)
	}
}

// drain returns what is already queued in c, without waiting.
func drain(c <-chan string) map[string]bool {
	out := map[string]bool{}
	for {
		select {
		case m, ok := <-c:
			if !ok {
				return out
			}
			out[m] = true
		default:
			return out
		}
	}
}
