package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
)

// Inside a jail: jinit is PID 1, only the jail's processes are visible,
// host processes cannot be signalled, the hostname is the jail's, the base
// is read-only, and /var survives a restart.
func TestJailWorld(t *testing.T) {
	h := newHost(t)
	h.jail("w1")
	if out := h.must("exec", "w1", "cat", "/proc/1/comm"); strings.TrimSpace(out) != "jinit" {
		t.Fatalf("PID 1 is %q, want jinit", out)
	}
	ps := h.must("exec", "w1", "sh", "-c", "for p in /proc/[0-9]*; do cat $p/comm; done")
	for _, comm := range strings.Fields(ps) {
		switch comm {
		case "jinit", "sleep", "sh", "cat":
		default:
			t.Errorf("unexpected process visible in the jail: %q (all: %v)", comm, strings.Fields(ps))
		}
	}
	r := h.run("exec", "w1", "sh", "-c", fmt.Sprintf("kill -0 %d", os.Getpid()))
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "No such process") {
		t.Fatalf("signalling a host pid: exit %d %q %q, want ESRCH", r.code, r.stdout, r.stderr)
	}
	if out := h.must("exec", "w1", "hostname"); strings.TrimSpace(out) != "w1" {
		t.Fatalf("hostname %q", out)
	}
	r = h.run("exec", "w1", "touch", "/usr/bin/jail-was-here")
	if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Fatalf("write to base: exit %d %q, want EROFS", r.code, r.stderr)
	}
	h.must("exec", "w1", "sh", "-c", "echo kept > /var/persist")
	h.must("restart", "w1")
	if out := h.must("exec", "w1", "cat", "/var/persist"); strings.TrimSpace(out) != "kept" {
		t.Fatalf("/var after restart: %q", out)
	}
}

// Two jails running at once cannot see each other's processes.
func TestTwoJailsIsolated(t *testing.T) {
	h := newHost(t)
	h.jail("a")
	h.jail("b")
	h.must("exec", "a", "sh", "-c", "cp /bin/sleep /tmp/marker-of-a && /tmp/marker-of-a 1000 >/dev/null 2>&1 &")
	for _, j := range []string{"a", "b"} {
		out := h.must("exec", j, "sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '")
		if got := strings.Contains(out, "marker-of-a"); got != (j == "a") {
			t.Fatalf("jail %s sees a's marker: %v (%q)", j, got, out)
		}
	}
}

func TestExecStatusAndStdin(t *testing.T) {
	h := newHost(t)
	h.jail("x")
	if r := h.run("exec", "x", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("exit %d, want 7", r.code)
	}
	if r := h.runIn("through the jail\n", "exec", "x", "cat"); r.code != 0 || r.stdout != "through the jail\n" {
		t.Fatalf("stdin: %d %q", r.code, r.stdout)
	}
	if r := h.run("exec", "x", "no-such-command"); r.code != 127 {
		t.Fatalf("missing command: exit %d, want 127", r.code)
	}
	if r := h.run("exec", "x", "-u", "nobody", "id", "-u"); r.code != 0 || strings.TrimSpace(r.stdout) != "65534" {
		t.Fatalf("-u nobody: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// jexec is exec.
	if out := h.must("list", "--json"); !strings.Contains(out, `"name": "x"`) {
		t.Fatalf("list --json: %s", out)
	}
}

// stop on a jail whose services ignore SIGTERM returns within its timeout
// + 2 s, and no process, cgroup or mount of the jail remains.
func TestStopStubbornJail(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "stubborn", "trap '' TERM; sleep 100000 & wait", `stop_timeout = "2s"`)
	h.must("create", "s", "--services", svc)
	h.must("start", "s")
	rt, err := store.NewStore(h.state).ReadRuntime("s")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	h.must("stop", "--timeout", "3s", "s")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("stop took %s, want <= timeout + 2 s", took)
	}
	if processAlive(rt.JinitPid) {
		t.Fatalf("jinit (pid %d) still alive", rt.JinitPid)
	}
	h.mustLeaveNothing()
	if _, err := os.Stat(filepath.Join(h.state, "run", "s")); !os.IsNotExist(err) {
		t.Fatalf("runtime directory left: %v", err)
	}
}

// kill -9 of jinit from the host: the jail is reported stopped with the
// reason within 2 s and nothing is left behind.
func TestJinitKilled(t *testing.T) {
	h := newHost(t)
	h.jail("k")
	rt, err := store.NewStore(h.state).ReadRuntime("k")
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(rt.JinitPid, syscall.SIGKILL)
	waitUntil(t, 2*time.Second, "list to show the jail stopped", func() bool {
		var infos []JailInfo
		json.Unmarshal([]byte(h.must("list", "--json")), &infos)
		return len(infos) == 1 && infos[0].State == "stopped" && infos[0].LastExit != nil &&
			strings.Contains(infos[0].LastExit.Reason, "SIGKILL")
	})
	h.mustLeaveNothing()
	// And it starts again.
	h.must("start", "k")
}

// A started jail runs on its own: no host process besides its jinit
// holds it, and its record names none.
func TestStartedJailHasNoKeeper(t *testing.T) {
	h := newHost(t)
	h.jail("own")
	rt, err := store.NewStore(h.state).ReadRuntime("own")
	if err != nil {
		t.Fatal(err)
	}
	if rt.Phase != store.Released || rt.KeeperPid != 0 || !rt.JinitAlive() {
		t.Fatalf("record of a started jail: %+v, want released, no keeper, jinit alive", rt)
	}
	if ppid := parentOf(t, rt.JinitPid); ppid > 0 && strings.Contains(commOf(ppid), "jailctl") {
		t.Fatalf("jinit's parent is %d (%s): a jailctl stayed behind", ppid, commOf(ppid))
	}
}

// The keeper that `jailctl run` is, killed with SIGKILL, takes jinit with
// it; the next command cleans up what it left.
func TestKeeperKilled(t *testing.T) {
	h := newHost(t)
	h.must("create", "kk")
	keeper := h.runKept("kk")
	rt, _ := store.NewStore(h.state).ReadRuntime("kk")
	keeper.Process.Kill()
	keeper.Wait()
	waitUntil(t, 5*time.Second, "jinit to die with its keeper", func() bool { return !processAlive(rt.JinitPid) })
	out := h.must("list")
	if !strings.Contains(out, "keeper process died") {
		t.Fatalf("list after keeper death:\n%s", out)
	}
	h.mustLeaveNothing()
}

// A jailctl start killed at any point leaves nothing that the next command
// cannot clean up: stop, which reconciles, leaves no process, cgroup,
// mount or runtime directory, whatever step start was at.
func TestStartKilledMidway(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	// Never ready: start waits until it is killed.
	service(t, svc, "unready", "exec sleep 100000", "[readiness]\nnotification_fd = 3\n")
	h.must("create", "m", "--services", svc)
	for _, ms := range []int{0, 1, 2, 4, 7, 11, 16, 25, 40, 60, 100, 200} {
		after := time.Duration(ms) * time.Millisecond
		cmd := h.command(context.Background(), "start", "m")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		cmd.Process.Kill()
		cmd.Wait()
		h.must("stop", "--timeout", "5s", "m")
		if left := h.leftovers(); left != "" {
			t.Fatalf("start killed after %s, then stop: left behind: %s", after, left)
		}
		if _, err := os.Stat(filepath.Join(h.state, "run", "m")); !os.IsNotExist(err) {
			t.Fatalf("start killed after %s, then stop: runtime directory left: %v", after, err)
		}
	}
}

// Bad input: a non-zero exit, a message naming the problem, and no state.
func TestBadInput(t *testing.T) {
	h := newHost(t)
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	badSvc := t.TempDir()
	os.MkdirAll(filepath.Join(badSvc, "broken"), 0o755) // no run file
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "bad/name"}, 2, "invalid jail name"},
		{[]string{"create", strings.Repeat("n", 64)}, 2, "1 to 63 bytes"},
		{[]string{"create", ".hidden"}, 2, "must not start with"},
		{[]string{"create", "j", "--port", "99999"}, 2, "99999"},
		{[]string{"create", "j", "--port", "80/sctp"}, 2, "sctp"},
		{[]string{"create", "j", "--port", "80", "--port", "80/tcp"}, 2, "listed twice"},
		{[]string{"create", "j", "--profile", "extreme"}, 2, "unknown profile"},
		{[]string{"create", "j", "--root", "/nonexistent/root"}, 2, "not a directory"},
		{[]string{"create", "j", "--root", notDir}, 2, "not a directory"},
		{[]string{"create", "j", "--mount", "relative:/x"}, 2, "absolute"},
		{[]string{"create", "j", "--mount", "/nonexistent:/x"}, 2, "source"},
		{[]string{"create", "j", "--memory", "12X"}, 2, "invalid size"},
		{[]string{"create", "j", "--cpus", "-1"}, 2, "cpus"},
		{[]string{"create", "j", "--net", "bridge"}, 2, "want host or none"},
		{[]string{"create", "j", "--services", badSvc}, 1, "broken"},
		{[]string{"create"}, 2, "exactly one NAME"},
		{[]string{"create", "j", "--bogus"}, 2, "bogus"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"start", "ghost"}, 1, "no such jail: ghost"},
		{[]string{"stop", "ghost"}, 1, "no such jail: ghost"},
		{[]string{"exec", "ghost", "true"}, 1, "no such jail: ghost"},
		{[]string{"destroy", "ghost"}, 1, "no such jail: ghost"},
		{[]string{"svc", "ghost", "web", "explode"}, 2, "unknown service verb"},
	}
	for _, c := range cases {
		r := h.run(c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("jailctl %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(h.state, "lib")); len(ents) != 0 {
		t.Errorf("bad input left state in lib: %v", ents)
	}
	if left := h.leftovers(); left != "" {
		t.Errorf("bad input left kernel state: %s", left)
	}
}

// Duplicates and a hand-broken definition are refused with clear errors.
func TestDuplicateAndBrokenDefinition(t *testing.T) {
	h := newHost(t)
	h.must("create", "d")
	if r := h.run("create", "d"); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate: %d %q", r.code, r.stderr)
	}
	def := filepath.Join(h.state, "lib", "d", "jail.toml")
	b, _ := os.ReadFile(def)
	os.WriteFile(def, append(b, []byte("\ncolour = \"blue\"\n")...), 0o644)
	if r := h.run("start", "d"); r.code != 1 || !strings.Contains(r.stderr, def) || !strings.Contains(r.stderr, `"colour"`) {
		t.Fatalf("unknown key: %d %q", r.code, r.stderr)
	}
	os.WriteFile(def, append(b, []byte("\nprofile = \"max\"\n")...), 0o644)
	if r := h.run("start", "d"); r.code != 1 || !strings.Contains(r.stderr, def) {
		t.Fatalf("duplicate key: %d %q", r.code, r.stderr)
	}
	os.WriteFile(def, []byte(strings.Replace(string(b), `profile = 'high'`, `profile = 'max'`, 1)), 0o644)
	if r := h.run("start", "d"); r.code != 1 || !strings.Contains(r.stderr, `key "profile"`) {
		t.Fatalf("bad profile: %d %q", r.code, r.stderr)
	}
	h.mustLeaveNothing()
}

// A jail whose service dies before it is ready fails to start, says why,
// and leaves nothing running.
func TestStartFailsCleanly(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "crash", "exit 3", "[start_limit]\nburst = 3\n[backoff]\ninitial = \"10ms\"\n[readiness]\nnotification_fd = 3\n")
	h.must("create", "f", "--services", svc)
	r := h.run("start", "f")
	if r.code != 1 || !strings.Contains(r.stderr, "crash") || !strings.Contains(r.stderr, "exit 3") {
		t.Fatalf("start of a failing jail: %d %q", r.code, r.stderr)
	}
	h.mustLeaveNothing()
	if strings.Contains(h.must("list"), "running") {
		t.Fatal("jail still running after a failed start")
	}
}

func TestIDsAndDestroy(t *testing.T) {
	h := newHost(t)
	h.must("create", "one")
	h.must("create", "two")
	var infos []JailInfo
	json.Unmarshal([]byte(h.must("list", "--json")), &infos)
	if len(infos) != 2 || infos[0].ID == infos[1].ID {
		t.Fatalf("ids: %+v", infos)
	}
	h.must("start", "one")
	if r := h.run("destroy", "one"); r.code != 1 || !strings.Contains(r.stderr, "running") {
		t.Fatalf("destroy running: %d %q", r.code, r.stderr)
	}
	h.must("destroy", "--force", "one")
	h.must("destroy", "two")
	ents, _ := os.ReadDir(filepath.Join(h.state, "lib"))
	for _, e := range ents {
		if e.Name() != ".create.lock" { // the instance's, not a jail's
			t.Fatalf("destroy left %s", e.Name())
		}
	}

}

// A service with rlimits is started through jinit itself (`jinit
// rlimit-exec` from /run/jinit, the read-only copy jinit runs from), as
// root and as another user, under every profile.
func TestServiceRlimitsInJail(t *testing.T) {
	h := newHost(t)
	for _, p := range []string{"low", "medium", "high"} {
		svc := t.TempDir()
		service(t, svc, "lim", "echo \"$(ulimit -Sn) $(ulimit -Hn) $(id -u)\" > /tmp/lim\nexec sleep 100000",
			"[rlimits]\nnofile = [64, 128]\n")
		service(t, svc, "limuser", "echo \"$(ulimit -Sn) $(ulimit -Hn) $(id -u)\" > /tmp/limuser\nexec sleep 100000",
			"user = \"nobody\"\n[rlimits]\nnofile = 100\n")
		name := "rl-" + p
		h.must("create", name, "--services", svc, "--profile", p)
		h.must("start", name)
		for file, want := range map[string]string{"/tmp/lim": "64 128 0", "/tmp/limuser": "100 100 65534"} {
			var got string
			waitUntil(t, 10*time.Second, p+" "+file, func() bool {
				got = strings.TrimSpace(h.run("exec", name, "--", "cat", file).stdout)
				return got != ""
			})
			if got != want {
				t.Errorf("%s: %s says %q, want %q", p, file, got, want)
			}
		}
		h.must("stop", name)
	}
}

// A runtime directory that still has something mounted below it is never
// removed through the mount (on NetBSD a dead keeper can leave the jail's
// root, null mounts of host directories, there). The mount is made in a
// private mount namespace of a child, where jailctl then runs.
func TestReconcileKeepsMountedRunDir(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare not installed (apt-get install -y util-linux)")
	}
	h := newHost(t)
	h.jail("mnt")
	h.must("stop", "mnt")
	st := store.NewStore(h.state)
	root := st.MntDir("mnt")
	script := `set -e
mkdir -p "$ROOT"
mount -t tmpfs canary "$ROOT"
echo keep > "$ROOT/canary"
if "$JAILCTL" --state-dir "$STATE" start mnt 2>"$ROOT/err"; then echo "start succeeded"; exit 1; fi
grep -q "still mounted there: $ROOT" "$ROOT/err" || { cat "$ROOT/err"; exit 1; }
test "$(cat "$ROOT/canary")" = keep
`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "ROOT="+root, "JAILCTL="+jailctlBin, "STATE="+h.state)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("in a private mount namespace: %v\n%s", err, out)
	}
	// Outside that namespace nothing is mounted: the next command cleans up.
	h.must("start", "mnt")
	h.must("stop", "mnt")
}
