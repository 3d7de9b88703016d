package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jailsproject/jails/jailctl/store"
)

// jailInfo returns the jail's row of `jailctl list --json`.
func (h *host) jailInfo(name string) JailInfo {
	h.t.Helper()
	var infos []JailInfo
	if err := json.Unmarshal([]byte(h.must("list", "--json")), &infos); err != nil {
		h.t.Fatalf("list --json: %v", err)
	}
	for _, ji := range infos {
		if ji.Name == name {
			return ji
		}
	}
	h.t.Fatalf("list --json has no jail %s", name)
	return JailInfo{}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "setup.sh")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// markerJail creates (not starts) a jail whose one service leaves a mark
// in /var when it runs.
func (h *host) markerJail(name string) {
	h.t.Helper()
	svc := h.t.TempDir()
	service(h.t, svc, "marker", "echo up >> /var/svc-ran; exec sleep 100000", "")
	h.must("create", name, "--services", svc)
}

// apply --ephemeral on a stopped jail: the script runs without the jail's
// services, gets its arguments, and the jail ends stopped with nothing left.
func TestApplyEphemeralOnStoppedJail(t *testing.T) {
	h := newHost(t)
	h.markerJail("p")
	script := writeScript(t, `set -e
test ! -e /var/svc-ran || { echo "a service ran" >&2; exit 9; }
test "$(cat /proc/1/comm)" = jinit
if for p in /proc/[0-9]*; do cat $p/comm; done 2>/dev/null | grep -qx sleep; then
	echo "a service process is running" >&2; exit 10
fi
echo "$1-$2" > /var/provisioned
echo "applied as $0"
`)
	r := h.run("apply", "--ephemeral", "p", script, "a", "b")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "applied as setup.sh" {
		t.Fatalf("apply: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if ji := h.jailInfo("p"); ji.State != "stopped" || ji.LastExit == nil || ji.LastExit.Reason != "stopped" {
		t.Fatalf("after apply --ephemeral: %+v %+v", ji, ji.LastExit)
	}
	h.mustLeaveNothing()
	// What the script wrote stays; a normal start runs the services.
	h.must("start", "p")
	if out := h.must("exec", "p", "cat", "/var/provisioned"); strings.TrimSpace(out) != "a-b" {
		t.Fatalf("/var/provisioned: %q", out)
	}
	if out := h.must("exec", "p", "cat", "/var/svc-ran"); strings.TrimSpace(out) != "up" {
		t.Fatalf("/var/svc-ran after start: %q", out)
	}
}

// apply --ephemeral on a running jail leaves it running, untouched: the
// same jinit, its service still up.
func TestApplyEphemeralOnRunningJail(t *testing.T) {
	h := newHost(t)
	h.jail("r")
	before, err := store.NewStore(h.state).ReadRuntime("r")
	if err != nil {
		t.Fatal(err)
	}
	r := h.runIn("test -d /etc/service/idle && echo provisioned\n", "apply", "--ephemeral", "r", "-")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "provisioned" {
		t.Fatalf("apply: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	after, err := store.NewStore(h.state).ReadRuntime("r")
	if err != nil || after.JinitPid != before.JinitPid || !processAlive(before.JinitPid) {
		t.Fatalf("the jail did not stay running: before %+v after %+v (%v)", before, after, err)
	}
	if st := h.must("status", "r"); !strings.Contains(st, "idle") || !strings.Contains(st, "running") {
		t.Fatalf("status after apply:\n%s", st)
	}
	// A failing script on a running jail: its status, the jail still runs.
	if r := h.runIn("echo failing >&2; exit 5\n", "apply", "--ephemeral", "r", "-"); r.code != 5 || !strings.Contains(r.stderr, "failing") {
		t.Fatalf("failing script: exit %d stderr %q", r.code, r.stderr)
	}
	if ji := h.jailInfo("r"); ji.State != "running" {
		t.Fatalf("after a failing apply: %s", ji.State)
	}
}

// A failing script's exit status is apply's, and --ephemeral still stops
// the jail it started.
func TestApplyFailingScript(t *testing.T) {
	h := newHost(t)
	h.markerJail("f")
	r := h.run("apply", "--ephemeral", "f", writeScript(t, "echo partial; exit 3\n"))
	if r.code != 3 || strings.TrimSpace(r.stdout) != "partial" {
		t.Fatalf("apply: exit %d stdout %q stderr %q, want 3", r.code, r.stdout, r.stderr)
	}
	if ji := h.jailInfo("f"); ji.State != "stopped" {
		t.Fatalf("after a failing apply --ephemeral: %s", ji.State)
	}
	h.mustLeaveNothing()
	if r := h.run("apply", "--ephemeral", "f", writeScript(t, "no-such-command\n")); r.code != 127 {
		t.Fatalf("missing command: exit %d, want 127 (%q)", r.code, r.stderr)
	}
}

// Without --ephemeral a jail apply started stays running, without its
// services, until it is restarted.
func TestApplyLeavesStartedJailRunning(t *testing.T) {
	h := newHost(t)
	h.markerJail("n")
	r := h.runIn("echo $0; cat; echo done\n", "apply", "n", "-")
	// stdin was the script: the script's own stdin is /dev/null.
	if r.code != 0 || r.stdout != "apply\ndone\n" || !strings.Contains(r.stderr, "without its services") {
		t.Fatalf("apply: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if ji := h.jailInfo("n"); ji.State != "running" {
		t.Fatalf("after apply: %s", ji.State)
	}
	if st := h.must("status", "n"); strings.Contains(st, "marker") {
		t.Fatalf("services run after apply:\n%s", st)
	}
	// A script from a file reads jailctl's stdin.
	if r := h.runIn("hello\n", "apply", "n", writeScript(t, "read line; echo got:$line\n")); r.code != 0 || r.stdout != "got:hello\n" {
		t.Fatalf("stdin through: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	h.must("restart", "n")
	if st := h.must("status", "n"); !strings.Contains(st, "marker") {
		t.Fatalf("services after restart:\n%s", st)
	}
}

func TestApplyBadInput(t *testing.T) {
	h := newHost(t)
	h.must("create", "b")
	empty := writeScript(t, "\n\n")
	cases := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{"apply", "b", "-"}, 1, "empty"},
		{"", []string{"apply", "b", empty}, 1, "empty"},
		{"", []string{"apply", "b", "/nonexistent/script"}, 1, "no such file"},
		{"echo\n", []string{"apply", "ghost", "-"}, 1, "no such jail: ghost"},
		{"", []string{"apply", "b"}, 2, "apply [--ephemeral]"},
		{"", []string{"apply", "--bogus", "b", "-"}, 2, "bogus"},
		{strings.Repeat("#", maxScript+1), []string{"apply", "b", "-"}, 1, "larger than"},
	}
	for _, c := range cases {
		r := h.runIn(c.stdin, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("jailctl %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	if ji := h.jailInfo("b"); ji.State != "stopped" {
		t.Fatalf("bad input started the jail: %s", ji.State)
	}
	h.mustLeaveNothing()
}

func TestApplyArgs(t *testing.T) {
	cases := []struct {
		in   []string
		want applyOpts
	}{
		{[]string{"j", "s.sh"}, applyOpts{name: "j", script: "s.sh"}},
		{[]string{"--ephemeral", "j", "-", "a", "-b"}, applyOpts{name: "j", script: "-", ephemeral: true, args: []string{"a", "-b"}}},
		{[]string{"j", "-u", "nobody", "s", "--", "--ephemeral"}, applyOpts{name: "j", script: "s", user: "nobody", args: []string{"--ephemeral"}}},
		{[]string{"-u=x", "--", "j", "s", "1"}, applyOpts{name: "j", script: "s", user: "x", args: []string{"1"}}},
	}
	for _, c := range cases {
		got, err := applyArgs(c.in)
		if err != nil || got.name != c.want.name || got.script != c.want.script || got.user != c.want.user ||
			got.ephemeral != c.want.ephemeral || strings.Join(got.args, " ") != strings.Join(c.want.args, " ") {
			t.Errorf("applyArgs(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range [][]string{nil, {"j"}, {"-x", "j", "s"}, {"j", "-u"}} {
		if _, err := applyArgs(bad); err == nil {
			t.Errorf("applyArgs(%q): no error", bad)
		}
	}
}
