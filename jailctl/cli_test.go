package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
)

// cliCase is one command line and what it must do: its exit status, and
// text its stdout and stderr must hold (and, with noStderr, stderr empty).
type cliCase struct {
	prog     string // jailctl (default), jls or jexec
	args     []string
	stdin    string
	code     int
	stdout   string // regexp
	stderr   string // regexp
	noStderr bool
}

// runAs runs the jailctl binary under another name (jls, jexec: symlinks
// beside it, as make install makes them) on this host's state.
func (h *host) runAs(prog, stdin string, args ...string) result {
	h.t.Helper()
	bin := jailctlBin
	if prog != "" && prog != "jailctl" {
		bin = filepath.Join(filepath.Dir(jailctlBin), prog)
		if _, err := os.Lstat(bin); err != nil {
			if err := os.Symlink("jailctl", bin); err != nil && !os.IsExist(err) {
				h.t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--state-dir", h.state}, args...)...)
	cmd.Env = append(os.Environ(), "JAILS_JINIT="+jinitBin)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &so, &se, strings.NewReader(stdin)
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatalf("%s %v: %v", prog, args, err)
	}
	return r
}

func (h *host) table(cases []cliCase) {
	h.t.Helper()
	for _, c := range cases {
		r := h.runAs(c.prog, c.stdin, c.args...)
		prog := c.prog
		if prog == "" {
			prog = "jailctl"
		}
		ok := r.code == c.code && regexp.MustCompile(c.stdout).MatchString(r.stdout) &&
			regexp.MustCompile(c.stderr).MatchString(r.stderr) && (!c.noStderr || r.stderr == "")
		if !ok {
			h.t.Errorf("%s %q: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout ~ %q, stderr ~ %q (empty: %v)",
				prog, c.args, r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr, c.noStderr)
		}
	}
}

// TestCLIConventions: help on stdout with exit 0 for every command and
// alias, --version on every binary, usage errors (flag syntax and values
// alike) exit 2 with the command's synopsis on stderr, failures exit 1.
func TestCLIConventions(t *testing.T) {
	h := newHost(t)
	var cases []cliCase
	for _, d := range cmdDocs {
		help := "(?s)^usage: jailctl " + d.name + " .*" + regexp.QuoteMeta(d.summary)
		cases = append(cases,
			cliCase{args: []string{"help", d.name}, stdout: help, noStderr: true},
			cliCase{args: []string{d.name, "-h"}, stdout: help, noStderr: true},
			cliCase{args: []string{d.name, "--help"}, stdout: help, noStderr: true})
	}
	usage := "(?s)^usage: jailctl .*Exit status"
	cases = append(cases,
		cliCase{args: []string{"-h"}, stdout: usage, noStderr: true},
		cliCase{args: []string{"--help"}, stdout: usage, noStderr: true},
		cliCase{args: []string{"help"}, stdout: usage, noStderr: true},
		cliCase{args: []string{"create", "x", "--memory", "1G", "--help"}, stdout: "--memory SIZE", noStderr: true},
		cliCase{prog: "jls", args: []string{"-h"}, stdout: "usage: jailctl list .*\n(?s).*-j JAIL", noStderr: true},
		cliCase{prog: "jexec", args: []string{"--help"}, stdout: "usage: jailctl exec ", noStderr: true},

		cliCase{args: []string{"--version"}, stdout: `^jailctl \S+\n$`, noStderr: true},
		cliCase{prog: "jls", args: []string{"--version"}, stdout: `^jls \S+\n$`, noStderr: true},
		cliCase{prog: "jexec", args: []string{"--version"}, stdout: `^jexec \S+\n$`, noStderr: true},

		cliCase{code: 2, stderr: "no command"},
		cliCase{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		cliCase{args: []string{"help", "frobnicate"}, code: 2, stderr: "unknown command"},
		cliCase{args: []string{"--bogus", "list"}, code: 2, stderr: "bogus"},
		cliCase{args: []string{"create", "j", "--cpus", "many"}, code: 2, stderr: "(?s)invalid value.*usage: jailctl create NAME"},
		cliCase{args: []string{"create", "j", "--cpus", "0.001"}, code: 2, stderr: "(?s)minimum of 0.01 CPU.*usage: jailctl create"},
		cliCase{args: []string{"start"}, code: 2, stderr: "(?s)no jail named.*usage: jailctl start"},
		cliCase{args: []string{"attach"}, code: 2, stderr: "(?s)no jail named.*usage: jailctl attach NAME"},
		cliCase{args: []string{"status"}, code: 2, stderr: "usage: jailctl status"},
		cliCase{args: []string{"start", "ghost"}, code: 1, stderr: "no such jail: ghost"},
		cliCase{args: []string{"status", "ghost"}, code: 1, stderr: "no such jail: ghost"},
		cliCase{prog: "jexec", code: 2, stderr: "(?s)no JAIL named.*usage: jailctl exec"},
		cliCase{prog: "jexec", args: []string{"ghost", "true"}, code: 1, stderr: "^jexec: no such jail: ghost"},
		cliCase{prog: "jexec", args: []string{"42"}, code: 1, stderr: "neither a name nor a JID"},
		cliCase{prog: "jls", args: []string{"-j", "ghost"}, code: 1, stderr: "^jls: no such jail: ghost"},
		cliCase{prog: "jls", args: []string{"-x"}, code: 2, stderr: "(?s)flag provided but not defined.*usage: jailctl list"},
		cliCase{prog: "jls", args: []string{"color"}, code: 2, stderr: `unknown parameter "color"`},
	)
	h.table(cases)
	out, err := exec.Command(jinitBin, "--version").Output()
	if err != nil || !regexp.MustCompile(`^jinit \S+\n$`).Match(out) {
		t.Errorf("jinit --version: %q, %v", out, err)
	}
	if out, err := exec.Command(jinitBin, "-h").Output(); err != nil || !strings.HasPrefix(string(out), "usage:") {
		t.Errorf("jinit -h: %q, %v", out, err)
	}
	col := filepath.Join(filepath.Dir(jailctlBin), "jails-collector")
	if out, err := exec.Command(col, "--version").Output(); err != nil || !regexp.MustCompile(`^jails-collector \S+\n$`).Match(out) {
		t.Errorf("jails-collector --version: %q, %v", out, err)
	}
	if out, err := exec.Command(col, "-h").Output(); err != nil || !strings.HasPrefix(string(out), "usage: jails-collector") {
		t.Errorf("jails-collector -h: %q, %v", out, err)
	}
	h.mustLeaveNothing()
}

// TestJlsJexecStatus: jls's and jexec's FreeBSD options on a running and
// a stopped jail, and status's exit 3 for a jail that is not running.
func TestJlsJexecStatus(t *testing.T) {
	h := newHost(t)
	h.jail("web", "--memory", "64Mi", "--cpus", "0.5", "--pids", "100", "--hostname", "www")
	h.must("create", "cold")
	h.table([]cliCase{
		{prog: "jls", stdout: `(?s)^ID +NAME +STATE.*\n1 +web +running`},
		{prog: "jls", args: []string{"-d"}, stdout: `(?s)2 +cold +stopped.*1 +web +running`},
		{args: []string{"list"}, stdout: `(?s)2 +cold +stopped.*1 +web +running`},
		{prog: "jls", args: []string{"-v"}, stdout: `(?s)HOSTNAME +PATH.*MEMORY +CPUS +PIDS.*web +running +www +/ +high +host +- +64Mi +0.5 +100`},
		{prog: "jls", args: []string{"-n"}, stdout: `^jid=1 name=web state=running hostname=www path=/ profile=high net=host ports= memory=64Mi cpus=0.5 pids=100 autostart=false procs=\d+ uptime=\d+\n$`},
		{prog: "jls", args: []string{"-n", "-q", "-d", "-j", "2", "name", "ports"}, stdout: `^name=cold ports=""\n$`},
		{prog: "jls", args: []string{"-j", "web", "jid", "name", "state"}, stdout: "^1 web running\n$"},
		{prog: "jls", args: []string{"-j", "1", "name"}, stdout: "^web\n$"},
		{prog: "jexec", args: []string{"1", "hostname"}, stdout: "^www\n$", noStderr: true},
		{prog: "jexec", args: []string{"web"}, stdin: "echo shell=$0; id -un\n", stdout: "^shell=-[a-z]*sh\nroot\n$"}, // the login shell of the jail's /etc/passwd
		{prog: "jexec", args: []string{"-U", "nobody", "web", "id", "-un"}, stdout: "^nobody\n$"},
		{prog: "jexec", args: []string{"-l", "-u", "nobody", "1", "id", "-u"}, stdout: "^65534\n$"},
		{prog: "jexec", args: []string{"web", "--", "sh", "-c", "exit 7"}, code: 7},
		{prog: "jexec", args: []string{"cold", "true"}, code: 1, stderr: "not running"},
		{args: []string{"status", "web"}, stdout: "idle +running"},
		{args: []string{"status", "cold"}, code: 3, stdout: "^jail cold is not running\n$", noStderr: true},
		{args: []string{"status", "--json", "cold"}, code: 3, stdout: `^\[\]\n$`},
	})
	var infos []JailInfo
	if err := json.Unmarshal([]byte(h.must("list", "--json", "-j", "web")), &infos); err != nil || len(infos) != 1 ||
		infos[0].Hostname != "www" || infos[0].Memory != "64Mi" || infos[0].CPUs != 0.5 || infos[0].Pids != 100 {
		t.Errorf("list --json -j web: %+v, %v", infos, err)
	}
	h.must("stop", "web")
	h.table([]cliCase{
		{args: []string{"status", "web"}, code: 3, stdout: "^jail web is not running \\(last stop: stopped, "},
		{prog: "jls", stdout: `^ID +NAME +STATE +PROFILE +PORTS +PROCS +CPU +MEM +UPTIME\n$`},
	})
}

// TestLimitValidation: create takes sizes in IEC and SI spellings (all
// powers of 1024) and refuses what the kernel would, before writing
// anything.
func TestLimitValidation(t *testing.T) {
	h := newHost(t)
	good := []struct{ flag, val, stored string }{
		{"--memory", "512Mi", "512Mi"}, {"--memory", "1GiB", "1GiB"}, {"--memory", "512M", "512M"},
		{"--memory", "1G", "1G"}, {"--memory", "1.5g", "1.5g"}, {"--memory", "16777216", "16777216"},
		{"--cpus", "0.01", "0.01"}, {"--cpus", "2.5", "2.5"}, {"--pids", "16", "16"},
	}
	for i, g := range good {
		name := "ok" + string(rune('a'+i))
		h.must("create", name, g.flag, g.val)
		def, err := os.ReadFile(store.NewStore(h.state).DefPath(name))
		if err != nil || !strings.Contains(string(def), g.stored) {
			t.Errorf("create %s %s: definition %s", g.flag, g.val, def)
		}
	}
	var bad []cliCase
	for _, b := range [][]string{
		{"--memory", "1k"}, {"--memory", "15Mi"}, {"--memory", "0"}, {"--memory", "-5M"}, {"--memory", "12X"},
		{"--memory", "1.5"}, {"--memory", "1e9"}, {"--cpus", "0.001"}, {"--cpus", "-1"}, {"--cpus", "2000"},
		{"--pids", "-1"}, {"--pids", "8"}, {"--pids", "5000000"},
	} {
		key := strings.TrimPrefix(b[0], "--")
		bad = append(bad, cliCase{args: []string{"create", "bad", b[0], b[1]}, code: 2, stderr: `key "` + key + `"`})
	}
	h.table(bad)
	if _, err := os.Stat(store.NewStore(h.state).JailDir("bad")); err == nil {
		t.Error("a refused create left a jail directory")
	}
	// A limit at the floor is one the kernel takes: the jail starts.
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100000", "")
	h.must("create", "floor", "--services", svc, "--memory", "16Mi", "--cpus", "0.01", "--pids", "16")
	h.must("start", "floor")
	h.must("stop", "floor")
}

// TestSet: set validates like create, all or nothing, and says what needs
// a restart.
func TestSet(t *testing.T) {
	h := newHost(t)
	h.jail("s", "--port", "18931")
	h.must("create", "other")
	defPath := store.NewStore(h.state).DefPath("s")
	before, _ := os.ReadFile(defPath)
	h.table([]cliCase{
		{args: []string{"set", "s", "memory=1k", "cpus=1"}, code: 2, stderr: `key "memory".*minimum`},
		{args: []string{"set", "s", "colour=blue"}, code: 2, stderr: `unknown key "colour"`},
		{args: []string{"set", "s", "cpus=lots"}, code: 2, stderr: `key "cpus": "lots" is not a number`},
		{args: []string{"set", "s", "pids=3", "pids=4"}, code: 2, stderr: "given twice"},
		{args: []string{"set", "s", "memory"}, code: 2, stderr: "want KEY=VALUE"},
		{args: []string{"set", "s"}, code: 2, stderr: "usage: jailctl set NAME KEY=VALUE"},
		{args: []string{"set", "ghost", "cpus=1"}, code: 1, stderr: "no such jail: ghost"},
		{args: []string{"set", "other", "ports=18931"}, code: 1, stderr: `reserved by jail "s"`},
	})
	if after, _ := os.ReadFile(defPath); string(after) != string(before) {
		t.Errorf("refused sets changed the definition:\n%s\n->\n%s", before, after)
	}
	h.table([]cliCase{
		{args: []string{"set", "s", "memory=128Mi", "cpus=1.5", "pids=200"},
			stdout: `(?s)set s: cpus, memory, pids\njail s is running: cpus, memory, pids take effect when it is restarted \(jailctl restart s\)`},
		{args: []string{"set", "s", "autostart=true"}, stdout: "^set s: autostart\n$"},
		{args: []string{"set", "other", "memory=1GiB", "ports="}, stdout: "memory, ports take effect when the jail starts"},
		{args: []string{"set", "s", "ports="}, stdout: "ports take effect when it is restarted"},
		{args: []string{"set", "other", "ports=18931"}, stdout: "set other: ports"},
	})
	r, err := store.LoadDef(defPath)
	if err != nil || r.Def.Memory != "128Mi" || r.Def.CPUs != 1.5 || r.Def.Pids != 200 || !r.Def.Autostart || len(r.Def.Ports) != 0 {
		t.Fatalf("after set: %+v, %v", r, err)
	}
	h.must("restart", "s")
	h.table([]cliCase{{prog: "jls", args: []string{"-j", "s", "memory", "cpus", "pids"}, stdout: "^128Mi 1.5 200\n$"}})
}

// TestStatsFindsCollector: a running collector records its address, so
// stats asks it (its 10 s CPU figure is there) without --collector, on
// whatever port it listens.
func TestStatsFindsCollector(t *testing.T) {
	h := newHost(t)
	h.jail("st")
	ctx, cancel := context.WithCancel(context.Background())
	col := h.command(ctx, "collector", "--listen", "127.0.0.1:0")
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); col.Wait() }()
	st := store.NewStore(h.state)
	waitUntil(t, 10*time.Second, "the collector's address file", func() bool { return st.CollectorAddr() != "" })
	if addr := st.CollectorAddr(); strings.HasSuffix(addr, ":9750") {
		t.Fatalf("collector on %s: want a port of its own", addr)
	}
	var jails []struct {
		Name   string   `json:"name"`
		CPU10s *float64 `json:"cpu_10s"`
	}
	waitUntil(t, 30*time.Second, "stats with the collector's 10 s CPU", func() bool {
		if err := json.Unmarshal([]byte(h.must("stats", "--json")), &jails); err != nil {
			t.Fatal(err)
		}
		return len(jails) == 1 && jails[0].CPU10s != nil
	})
	col.Process.Signal(syscall.SIGTERM)
	col.Wait()
	if _, err := os.Stat(st.CollectorAddrPath()); err == nil {
		t.Error("the stopped collector left its address file")
	}
}
