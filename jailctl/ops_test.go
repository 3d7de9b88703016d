package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
