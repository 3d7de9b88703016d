package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Real daemons and real service directories in real jails under the
// default profile (high): the recipes of docs/WORKLOADS.md, each a test.

// inJail runs a shell command in a running jail and returns its output.
func (h *host) inJail(name, script string) string {
	h.t.Helper()
	return h.must("exec", name, "--", "sh", "-c", script)
}

// writeFile writes a file, creating its directory, or fails the test.
func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// TestWorkloadEtc: the jail sees the host's /etc (package users,
// alternatives, CA certificates, services, localtime, ld.so.cache, package
// configuration) under its own layer, without the host's secrets.
func TestWorkloadEtc(t *testing.T) {
	h := newHost(t)
	h.jail("e1")
	out := h.inJail("e1", `getent passwd www-data postgres redis | cut -d: -f1 | tr '\n' ' '; echo
echo x | awk '{print "awk-ok"}'
test -s /etc/ssl/certs/ca-certificates.crt && echo ca-ok
getent services http | cut -c1-4
test -e /etc/localtime && test -s /etc/ld.so.cache && echo libs-ok
test -f /etc/nginx/nginx.conf && test -d /etc/postgresql && test -f /etc/rsyslog.conf && echo configs-ok`)
	for _, want := range []string{"www-data postgres redis", "awk-ok", "ca-ok", "http", "libs-ok", "configs-ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("the jail's /etc lacks %q; it printed:\n%s", want, out)
		}
	}

	// Secrets: the shadow files name every account with no usable hash,
	// the backups are gone, and the host's identity is not the jail's.
	shadow := h.inJail("e1", "cat /etc/shadow /etc/gshadow")
	for _, line := range strings.Split(strings.TrimSpace(shadow), "\n") {
		if f := strings.Split(line, ":"); len(f) < 2 || f[1] != "*" {
			t.Errorf("a shadow line with a password field other than '*': %q", line)
		}
	}
	if !strings.Contains(shadow, "root:*:") || !strings.Contains(shadow, "www-data:*:") {
		t.Errorf("generated shadow misses accounts:\n%s", shadow)
	}
	gone := h.inJail("e1", `for f in /etc/shadow- /etc/gshadow- /etc/security/opasswd /etc/ssl/private /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key; do test -e $f && echo "VISIBLE $f"; done; ls /etc/service; true`)
	if strings.Contains(gone, "VISIBLE") {
		t.Errorf("host secrets visible in the jail:\n%s", gone)
	}
	if strings.TrimSpace(gone) != "idle" {
		t.Errorf("the jail's /etc/service is not only its own: %q", gone)
	}
	hostID, _ := os.ReadFile("/etc/machine-id")
	jailID := h.inJail("e1", "cat /etc/machine-id")
	if len(strings.TrimSpace(jailID)) != 32 || (len(hostID) > 0 && strings.TrimSpace(jailID) == strings.TrimSpace(string(hostID))) {
		t.Errorf("machine-id %q: want a 32-digit id of the jail's own, not the host's", jailID)
	}

	// Writes go to the jail's layer, survive a restart, never reach the host.
	h.inJail("e1", "echo jail-only > /etc/jails-workload-test && echo 'x:1' >> /etc/hosts")
	if _, err := os.Stat("/etc/jails-workload-test"); err == nil {
		os.Remove("/etc/jails-workload-test")
		t.Fatal("a write to the jail's /etc reached the host's")
	}
	h.must("stop", "e1")
	h.must("start", "e1")
	if got := h.inJail("e1", "cat /etc/jails-workload-test"); got != "jail-only\n" {
		t.Fatalf("the jail's own /etc file after a restart: %q", got)
	}
}

// TestWorkloadRunIsFresh: /var/run is /run, and /run is new at each start.
func TestWorkloadRunIsFresh(t *testing.T) {
	h := newHost(t)
	h.jail("r1")
	if got := h.inJail("r1", "readlink /var/run; touch /var/run/stale.pid; ls /run"); !strings.HasPrefix(got, "/run\n") || !strings.Contains(got, "stale.pid") {
		t.Fatalf("/var/run: %q", got)
	}
	h.must("stop", "r1")
	h.must("start", "r1")
	if got := h.inJail("r1", "ls /var/run/"); strings.Contains(got, "stale.pid") {
		t.Fatalf("a pid file survived the restart: %q", got)
	}
}

// TestWorkloadServiceDirectories: a symlinked service directory (runit's
// enabled set) is copied, a dangling one fails create naming it, an
// invalid one fails create with the reason.
func TestWorkloadServiceDirectories(t *testing.T) {
	h := newHost(t)
	avail, enabled := t.TempDir(), t.TempDir()
	service(t, avail, "web", "exec sleep 100000", "")
	if err := os.Symlink(filepath.Join(avail, "web"), filepath.Join(enabled, "web")); err != nil {
		t.Fatal(err)
	}
	h.must("create", "s1", "--services", enabled)
	h.must("start", "s1")
	if got := h.inJail("s1", "test -d /etc/service/web && ! test -L /etc/service/web && echo copied"); got != "copied\n" {
		t.Fatalf("symlinked service directory inside the jail: %q", got)
	}

	dangling := t.TempDir()
	os.Symlink("/nonexistent/sv/ghost", filepath.Join(dangling, "ghost"))
	r := h.run("create", "s2", "--services", dangling)
	if r.code == 0 || !strings.Contains(r.stderr, "ghost") || !strings.Contains(r.stderr, "dangling") {
		t.Fatalf("create with a dangling service link: exit %d, %s", r.code, r.stderr)
	}
	invalid := t.TempDir()
	service(t, invalid, "bad", "exec sleep 1", "restart = \"sometimes\"")
	r = h.run("create", "s3", "--services", invalid)
	if r.code == 0 || !strings.Contains(r.stderr, "restart") {
		t.Fatalf("create with an invalid service: exit %d, %s", r.code, r.stderr)
	}
	for _, n := range []string{"s2", "s3"} {
		if _, err := os.Stat(filepath.Join(h.state, "lib", n)); err == nil {
			t.Errorf("a refused create left %s behind", n)
		}
	}
}

// TestWorkloadMountFile: --mount may cover a file of the read-only base.
func TestWorkloadMountFile(t *testing.T) {
	h := newHost(t)
	page := filepath.Join(t.TempDir(), "index.html")
	writeFile(t, page, "mounted page\n", 0o644)
	h.jail("m1", "--mount", page+":/usr/share/common-licenses/GPL-3:ro")
	if got := h.inJail("m1", "cat /usr/share/common-licenses/GPL-3"); got != "mounted page\n" {
		t.Fatalf("file mount over the base: %q", got)
	}
	// A destination the read-only base lacks cannot get a mount point:
	// refused at create, not at every start.
	r := h.run("create", "m2", "--mount", page+":/usr/share/no-such-file-jails")
	if r.code == 0 || !strings.Contains(r.stderr, "does not exist in the read-only base") {
		t.Fatalf("create with a mount into the base: exit %d, %s", r.code, r.stderr)
	}
}

// TestWorkloadStartTruth: a service whose user does not exist fails start
// at once, naming the user, with its last log lines; a crash-looping one is
// never "started".
func TestWorkloadStartTruth(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "web", "echo preparing the web root\nexec sleep 100000", `user = "no-such-user-jails"`)
	h.must("create", "t1", "--services", svc)
	began := time.Now()
	r := h.run("start", "t1")
	took := time.Since(began)
	if r.code == 0 || !strings.Contains(r.stderr, "web (unknown user no-such-user-jails)") || !strings.Contains(r.stderr, "| jinit: cannot start") {
		t.Fatalf("start with an unknown user: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("start failed after %s (the acceptance bound is 2 s on an idle machine)", took)

	loop := t.TempDir()
	service(t, loop, "loop", "echo config error: no such file >&2\nexit 1", "")
	h.must("create", "t2", "--services", loop)
	r = h.run("start", "t2")
	if r.code == 0 || strings.Contains(r.stdout, "started") || !strings.Contains(r.stderr, "loop (exited: exit 1") || !strings.Contains(r.stderr, "| config error") {
		t.Fatalf("start with a crash-looping service: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

// TestWorkloadOneshotDependency: a service that depends on a oneshot starts
// after the oneshot's exit 0, never beside it.
func TestWorkloadOneshotDependency(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "config", "sleep 0.5\necho ready > /tmp/page", "oneshot = true")
	service(t, svc, "web", "cat /tmp/page > /tmp/seen 2>&1\nexec sleep 100000", `depends = ["config"]`)
	h.must("create", "o1", "--services", svc)
	h.must("start", "o1")
	if got := h.inJail("o1", "cat /tmp/seen"); got != "ready\n" {
		t.Fatalf("web started before its oneshot dependency finished: it saw %q", got)
	}
}

// TestWorkloadLeftovers: when a service's main process dies, what it left
// in its process group is killed before it is restarted.
func TestWorkloadLeftovers(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "master", "sleep 100000 &\necho $! > /tmp/worker-$$\nexec sleep 100000", "")
	h.must("create", "l1", "--services", svc)
	h.must("start", "l1")
	worker := strings.TrimSpace(h.inJail("l1", "cat /tmp/worker-*"))
	h.inJail("l1", "kill -9 $(ls /tmp/worker-* | sed 's/.*-//')")
	waitUntil(t, 10*time.Second, "the restarted master", func() bool {
		return strings.Count(h.inJail("l1", "ls /tmp/"), "worker-") == 2
	})
	if got := h.inJail("l1", "test -e /proc/"+worker+" && echo alive || echo gone"); got != "gone\n" {
		t.Fatalf("the dead master's worker %s: %s", worker, got)
	}
}

// policyOverride is a policy-rc.d that lets every service start: a host
// that keeps its own daemons from starting (as this one and many build
// machines do) would otherwise keep Debian's run scripts from starting
// them in a jail, which shares the host's /usr.
func policyOverride(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "policy-rc.d")
	writeFile(t, p, "#!/bin/sh\nexit 0\n", 0o755)
	return p + ":/usr/sbin/policy-rc.d:ro"
}

// TestWorkloadDebianRunit: Debian's runit-services directories run
// unchanged, and sv works against jinit inside the jail.
func TestWorkloadDebianRunit(t *testing.T) {
	h := newHost(t)
	enabled := t.TempDir()
	for _, n := range []string{"cron", "rsyslog"} {
		if err := os.Symlink("/etc/sv/"+n, filepath.Join(enabled, n)); err != nil {
			t.Fatal(err)
		}
	}
	h.must("create", "d1", "--services", enabled, "--mount", policyOverride(t))
	h.must("start", "d1")
	st := h.inJail("d1", "sv status cron rsyslog")
	if strings.Count(st, "run: ") != 2 {
		t.Fatalf("sv status: %s", st)
	}
	before := h.inJail("d1", "cat /etc/service/cron/supervise/pid")
	if out := h.inJail("d1", "sv restart cron"); !strings.HasPrefix(out, "ok: run: cron") {
		t.Fatalf("sv restart cron: %s", out)
	}
	// sv compares whole seconds of the status time with when it asked: a
	// cron started within that second looks restarted already (runsv's
	// record is the same), so the new pid may come just after sv returns.
	waitUntil(t, 5*time.Second, "sv restart to restart cron", func() bool {
		return h.inJail("d1", "cat /etc/service/cron/supervise/pid") != before
	})
	if out := h.inJail("d1", "sv check cron rsyslog"); strings.Count(out, "ok: run: ") != 2 {
		t.Fatalf("sv check: %s", out)
	}
	h.inJail("d1", "logger -t jails-test hello-syslog")
	waitUntil(t, 10*time.Second, "rsyslog to write the line", func() bool {
		return strings.Contains(h.inJail("d1", "cat /var/log/syslog /var/log/messages 2>/dev/null; true"), "hello-syslog")
	})
}

// TestWorkloadDebianDbus: Debian's dbus runit directory (with its log/
// service) runs unchanged and answers on the system bus. Under medium:
// under high, dbus-daemon's own capability drop needs CAP_SETPCAP, which
// high takes away (docs/WORKLOADS.md).
func TestWorkloadDebianDbus(t *testing.T) {
	h := newHost(t)
	enabled := t.TempDir()
	if err := os.Symlink("/etc/sv/dbus", filepath.Join(enabled, "dbus")); err != nil {
		t.Fatal(err)
	}
	h.must("create", "db", "--profile", "medium", "--services", enabled, "--mount", policyOverride(t))
	h.must("start", "db")
	if st := h.inJail("db", "sv status dbus"); !strings.HasPrefix(st, "run: dbus") || !strings.Contains(st, "run: log") {
		t.Fatalf("sv status dbus: %s", st)
	}
	out := h.inJail("db", "dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames")
	if !strings.Contains(out, `string "org.freedesktop.DBus"`) {
		t.Fatalf("dbus-send ListNames: %s", out)
	}
}

// TestWorkloadS6Tools: s6-svc, s6-svstat and s6-svwait work against jinit
// on an s6-style directory inside a jail.
func TestWorkloadS6Tools(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "app", "exec sleep 100000", "")
	writeFile(t, filepath.Join(svc, "app", "timeout-kill"), "3000\n", 0o644) // an s6 file: an s6 directory
	h.must("create", "s6", "--services", svc)
	h.must("start", "s6")
	if out := h.inJail("s6", "s6-svstat /etc/service/app"); !strings.HasPrefix(out, "up (pid ") || !strings.Contains(out, "ready") {
		t.Fatalf("s6-svstat: %q", out)
	}
	before := h.inJail("s6", "s6-svstat -o pid /etc/service/app")
	h.inJail("s6", "s6-svc -r /etc/service/app && s6-svwait -t 5000 -U /etc/service/app")
	if after := h.inJail("s6", "s6-svstat -o pid /etc/service/app"); after == before || strings.TrimSpace(after) == "-1" {
		t.Fatalf("s6-svc -r: pid %s, then %s", strings.TrimSpace(before), strings.TrimSpace(after))
	}
	out := h.inJail("s6", "s6-svc -d /etc/service/app && s6-svwait -t 5000 -D /etc/service/app && s6-svstat /etc/service/app")
	if !strings.HasPrefix(out, "down (") {
		t.Fatalf("after s6-svc -d: %q", out)
	}
}

// TestWorkloadS6RC: s6-rc source definitions run: the oneshot's up (an
// execline script) before the longrun that depends on it.
func TestWorkloadS6RC(t *testing.T) {
	h := newHost(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "setup", "type"), "oneshot\n", 0o644)
	writeFile(t, filepath.Join(src, "setup", "up"), "foreground { sleep 0.5 } touch /tmp/setup-done\n", 0o644)
	writeFile(t, filepath.Join(src, "app", "type"), "longrun\n", 0o644)
	writeFile(t, filepath.Join(src, "app", "dependencies.d", "setup"), "", 0o644)
	writeFile(t, filepath.Join(src, "app", "run"), "#!/bin/sh\nls /tmp/setup-done > /tmp/app-saw 2>&1\nexec sleep 100000\n", 0o755)
	h.must("create", "rc", "--services", src)
	h.must("start", "rc")
	if got := h.inJail("rc", "cat /tmp/app-saw"); got != "/tmp/setup-done\n" {
		t.Fatalf("the longrun started before its oneshot dependency: it saw %q", got)
	}
}

// TestWorkloadLogService: a service directory's log/run gets the
// service's output on its stdin, as under runsv, and the host's log store
// still gets it too; sv sees both.
func TestWorkloadLogService(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "chatty", "echo line-one\nexec sleep 100000", "")
	writeFile(t, filepath.Join(svc, "chatty", "log", "run"), "#!/bin/sh\nexec cat > /tmp/from-log\n", 0o755)
	h.must("create", "lg", "--services", svc)
	h.collector()
	h.must("start", "lg")
	waitUntil(t, 10*time.Second, "the logger's copy", func() bool {
		return h.inJail("lg", "cat /tmp/from-log") == "line-one\n"
	})
	waitUntil(t, 10*time.Second, "the collector's copy", func() bool {
		for _, l := range h.storeLines("lg", "chatty") {
			if string(l.Text) == "line-one" {
				return true
			}
		}
		return false
	})
	if out := h.inJail("lg", "sv status chatty"); !strings.Contains(out, "run: chatty:") || !strings.Contains(out, "run: log:") {
		t.Fatalf("sv status: %s", out)
	}
}

// TestWorkloadRedis: redis-server from its packaged configuration answers
// PING from the host.
func TestWorkloadRedis(t *testing.T) {
	h := newHost(t)
	port := strconv.Itoa(freePorts(t, 1, 20000, 32000)[0])
	svc := t.TempDir()
	service(t, svc, "redis", `exec redis-server /etc/redis/redis.conf --port `+port+` --daemonize no --supervised no --logfile ""`,
		"user = \"redis\"\nreadiness.tcp_port = "+port+"\n")
	h.must("create", "k1", "--port", port, "--services", svc)
	h.must("start", "k1")
	out, err := exec.Command("redis-cli", "-p", port, "ping").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "PONG" {
		t.Fatalf("redis-cli ping: %v %s", err, out)
	}
}

// TestWorkloadPostgres: an initdb oneshot, then postgres; a table created
// from the host survives a jail restart.
func TestWorkloadPostgres(t *testing.T) {
	h := newHost(t)
	port := strconv.Itoa(freePorts(t, 1, 20000, 32000)[0])
	svc := t.TempDir()
	service(t, svc, "initdb", `set -e
D=/var/lib/postgresql/data
[ -f "$D/PG_VERSION" ] && exit 0
exec /usr/lib/postgresql/15/bin/initdb -D "$D" --auth=trust --username=postgres`, "oneshot = true\nuser = \"postgres\"\n")
	service(t, svc, "postgres", `exec /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/data -p `+port+` -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp`,
		"depends = [\"initdb\"]\nuser = \"postgres\"\nstop_signal = \"INT\"\n[readiness]\ntcp_port = "+port+"\ntimeout = \"60s\"\n")
	h.must("create", "p1", "--port", port, "--services", svc)
	h.must("start", "p1")
	psql := func(sql string) string {
		t.Helper()
		out, err := exec.Command("psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-tAc", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %q: %v %s", sql, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	psql("create table kept (x int); insert into kept values (42)")
	h.must("stop", "p1")
	h.must("start", "p1")
	if got := psql("select x from kept"); got != "42" {
		t.Fatalf("after a restart the table holds %q", got)
	}
}

// TestWorkloadNginx: nginx from its packaged configuration on reserved
// port 80 under the default profile serves a page to curl on the host.
// It needs the user namespace (nginx's master chowns its temporary
// directories) and the privileged-port grant of the boundary work.
func TestWorkloadNginx(t *testing.T) {
	h := newHost(t)
	if !bytes.Equal([]byte(hostBind("tcp4:80")), []byte("ok")) {
		t.Fatal("port 80 is in use on this host")
	}
	svc := t.TempDir()
	service(t, svc, "nginx", `exec nginx -g "daemon off;"`, "[readiness]\ntcp_port = 80\ntimeout = \"20s\"\n")
	page := filepath.Join(t.TempDir(), "index.html")
	writeFile(t, page, "served from a jail\n", 0o644)
	h.must("create", "n1", "--port", "80", "--services", svc, "--mount", page+":/var/www/html/index.html:ro")
	h.must("start", "n1")
	out, err := exec.Command("curl", "-sS", "http://127.0.0.1/index.html").CombinedOutput()
	if err != nil || string(out) != "served from a jail\n" {
		t.Fatalf("curl: %v %s", err, out)
	}
}
