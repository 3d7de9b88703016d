package main

import (
	"bytes"
	"context"
	"fmt"
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
	want := map[string]string{"a": "running", "b-crash": "stopped", "c": "running", "d-baddef": "broken", "manual": "stopped"}
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
	h.mustLeaveNothing()
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

// make runs the repository's Makefile with the given variables, using the
// binaries the tests built (no rebuild, and bin/ is left alone).
func makeIn(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	cmd := exec.Command("make", append([]string{"-C", "..", "BIN=" + filepath.Dir(jailctlBin)}, args...)...)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// tree lists everything under dir, relative, with "@" marking symlinks.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&os.ModeSymlink != 0 {
			rel += "@"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// make install DESTDIR=... puts everything in place; make uninstall with
// the same DESTDIR removes it all, directories included, even after a
// second install over the first.
func TestInstallUninstall(t *testing.T) {
	dest := t.TempDir()
	makeIn(t, "install", "DESTDIR="+dest)
	makeIn(t, "install", "DESTDIR="+dest)
	got := strings.Join(tree(t, dest), "\n") + "\n"
	for _, want := range []string{
		"usr/local/sbin/jailctl\n", "usr/local/sbin/jinit\n", "usr/local/sbin/jls@\n", "usr/local/sbin/jexec@\n",
		"usr/local/share/man/man8/jailctl.8\n", "usr/local/share/man/man8/jinit.8\n",
		"usr/local/share/man/man8/jls.8@\n", "usr/local/share/man/man8/jexec.8@\n",
		"usr/local/share/man/man5/jail.toml.5\n", "usr/local/share/man/man5/jail-service.5\n",
		"usr/local/share/bash-completion/completions/jailctl\n", "usr/local/share/bash-completion/completions/jexec@\n",
		"usr/local/share/zsh/site-functions/_jailctl\n",
		"usr/local/lib/systemd/system/jail@.service\n", "usr/local/lib/systemd/system/jails-collector.service\n",
		"usr/local/lib/systemd/system/jails.target\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("make install did not install %s", strings.TrimSpace(want))
		}
	}
	if _, err := os.Stat("rc.d/jails"); err == nil && !strings.Contains(got, "usr/local/share/examples/rc.d/jails\n") {
		t.Errorf("make install did not install the rc.d script")
	}
	unit, _ := os.ReadFile(filepath.Join(dest, "usr/local/lib/systemd/system/jail@.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/local/sbin/jailctl run %i") || strings.Contains(string(unit), "@SBINDIR@") {
		t.Errorf("jail@.service not set up for /usr/local/sbin:\n%s", unit)
	}
	if target, _ := os.Readlink(filepath.Join(dest, "usr/local/sbin/jexec")); target != "jailctl" {
		t.Errorf("jexec links to %q", target)
	}
	makeIn(t, "uninstall", "DESTDIR="+dest)
	if left := tree(t, dest); len(left) > 0 {
		t.Fatalf("make uninstall left:\n%s", strings.Join(left, "\n"))
	}
}

// The installed units pass systemd-analyze verify (which also checks that
// ExecStart= is executable and that the man pages in Documentation= exist),
// and an install under PREFIX works: jls finds the jails, jailctl finds jinit.
func TestInstalledUnitsVerify(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "prefix")
	makeIn(t, "install", "PREFIX="+prefix)
	defer func() {
		makeIn(t, "uninstall", "PREFIX="+prefix)
		if _, err := os.Stat(prefix); !os.IsNotExist(err) {
			t.Errorf("make uninstall PREFIX=%s left %v", prefix, tree(t, prefix))
		}
	}()

	h := newHost(t)
	h.must("create", "inst")
	cmd := exec.Command(filepath.Join(prefix, "sbin", "jls"), "-d") // -d: stopped jails too
	cmd.Env = append(os.Environ(), "JAILS_STATE_DIR="+h.state)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "inst") {
		t.Fatalf("installed jls: %v\n%s", err, out)
	}
	cmd = exec.Command(filepath.Join(prefix, "sbin", "jailctl"), "--state-dir", h.state, "apply", "--ephemeral", "inst", "-")
	cmd.Stdin = strings.NewReader("echo from the installed jinit\n")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "from the installed jinit") {
		t.Fatalf("installed jailctl apply: %v\n%s", err, out)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd): units not verified")
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed (Debian package man-db): units not verified")
	}
	units := filepath.Join(prefix, "lib", "systemd", "system")
	cmd = exec.Command(analyze, "verify", filepath.Join(units, "jail@.service"),
		filepath.Join(units, "jails-collector.service"), filepath.Join(units, "jails.target"))
	cmd.Env = append(os.Environ(), "MANPATH="+filepath.Join(prefix, "share", "man"))
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// Every man page renders with man -l and groff -ww without a warning.
func TestManPagesRenderWithoutWarnings(t *testing.T) {
	for _, tool := range []string{"man", "groff"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian packages man-db, groff-base)", tool)
		}
	}
	pages, _ := filepath.Glob("../docs/man/*.[0-9]")
	if len(pages) < 4 {
		t.Fatalf("man pages: %v", pages)
	}
	for _, p := range pages {
		for _, argv := range [][]string{{"man", "--warnings", "-l", p}, {"groff", "-ww", "-z", "-mandoc", p}} {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || stderr.Len() > 0 {
				t.Errorf("%v: %v\n%s", argv, err, stderr.String())
			}
			if argv[0] == "man" && !bytes.Contains(out, []byte("SYNOPSIS")) {
				t.Errorf("%v rendered no SYNOPSIS:\n%s", argv, out)
			}
		}
	}
}

// The bash completion completes commands, flags, jail names from the
// state directory and service names from the jail; the zsh one parses.
func TestCompletion(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "nginx", "exec sleep 1000", "")
	service(t, svc, "php", "exec sleep 1000", "")
	h.must("create", "web", "--services", svc)
	h.must("create", "db")
	cases := []struct{ line, want string }{
		{"jailctl st", "start stop status stats"},
		{"jailctl --state-dir " + h.state + " start ", "db web"},
		{"jailctl --state-dir " + h.state + " svc web ", "nginx php"},
		{"jailctl --state-dir " + h.state + " svc web nginx ", "up down restart once signal"},
		{"jailctl --state-dir " + h.state + " apply --ephemeral w", "web"},
		{"jailctl create x --profile ", "low medium high"},
		{"jailctl --state-dir " + h.state + " stop --", "--all --timeout"},
		{"jexec w", "web"},
		{"jls --", "--json"},
		{"jls -", "-d -v -n -q -j --json"},
		{"jls -j ", "db web"},
		{"jls -n na", "name"},
		{"jexec -", "-l -t -u -U --"},
		{"jailctl --state-dir " + h.state + " set web mem", "memory="},
		{"jailctl --state-dir " + h.state + " set ", "db web"},
		{"jailctl help se", "set"},
		{"jailctl --v", "--version"},
	}
	script := "source completion/jailctl.bash\n"
	for _, c := range cases {
		script += fmt.Sprintf("COMP_WORDS=(%s); [[ %q == *' ' ]] && COMP_WORDS+=('')\n", c.line, c.line) +
			"COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); _jailctl; echo \"${COMPREPLY[*]}\"\n"
	}
	cmd := exec.Command("bash", "--norc", "-c", script)
	cmd.Env = append(os.Environ(), "JAILS_STATE_DIR="+h.state)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, c := range cases {
		if i >= len(got) || got[i] != c.want {
			t.Errorf("bash completion of %q: got %q, want %q\n(all: %q)", c.line, got[min(i, len(got)-1)], c.want, got)
		}
	}
	testZshCompletion(t, h)
}

// testZshCompletion completes command lines in Debian's zsh, interactive on
// a pseudo-terminal with compinit (testdata/zcomplete.zsh), and compares
// the candidates offered.
func testZshCompletion(t *testing.T, h *host) {
	if _, err := exec.LookPath("zsh"); err != nil {
		t.Fatal("zsh is not installed (Debian package zsh; .ci/run installs it)")
	}
	cases := []struct{ line, want string }{
		{"jailctl st", "start stats status stop"},
		{"jailctl create x --profile ", "high low medium"},
		{"jailctl start ", "db web"},
		{"jailctl svc web ", "nginx php"},
		{"jailctl svc web nginx ", "down once restart signal up"},
		{"jailctl set web mem", "memory"},
		{"jailctl help se", "set"},
		{"jls -j ", "db web"},
		{"jls -d na", "name"},
		{"jexec ", "db web"},
		{"jexec -U nobody w", "web"},
	}
	args := []string{"-f", "testdata/zcomplete.zsh", filepath.Join(must(os.Getwd()), "completion")}
	for _, c := range cases {
		args = append(args, c.line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "zsh", args...)
	cmd.Env = append(os.Environ(), "JAILS_STATE_DIR="+h.state, "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, c := range cases {
		if i >= len(got) || got[i] != c.want {
			t.Errorf("zsh completion of %q: got %q, want %q\n(all: %q)", c.line, got[min(i, len(got)-1)], c.want, got)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
