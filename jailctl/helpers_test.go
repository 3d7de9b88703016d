package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod/ports"
)

// Integration tests drive the real jailctl and jinit binaries, as root,
// against the real kernel, each in a state directory of its own.

var (
	jailctlBin string
	jinitBin   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jailctl-test")
	if err != nil {
		panic(err)
	}
	jailctlBin = filepath.Join(dir, "jailctl")
	jinitBin = filepath.Join(dir, "jinit")
	// `jailctl collector` execs the collector found beside jailctl.
	collector := filepath.Join(dir, "jails-collector")
	for out, pkg := range map[string]string{jailctlBin: ".", jinitBin: "../jinit", collector: "./collectord"} {
		b := exec.Command("go", "build", "-buildvcs=false", "-o", out, pkg)
		b.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := b.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, o)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// host is one isolated jails instance (its own --state-dir).
type host struct {
	t     *testing.T
	state string
	env   []string // extra environment for jailctl
}

func newHost(t *testing.T) *host {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: jail tests make real jails (CI runs them as root)")
	}
	h := &host{t: t, state: t.TempDir()}
	t.Cleanup(h.cleanup)
	return h
}

// cleanup stops whatever the test left running and checks that nothing of
// the instance remains in the kernel.
func (h *host) cleanup() {
	names, _ := store.NewStore(h.state).Names()
	for _, n := range names {
		h.run("stop", "--timeout", "5s", n)
	}
	if left := h.leftovers(); left != "" {
		h.t.Errorf("left behind: %s", left)
	}
}

// mustLeaveNothing fails the test now if anything of the instance is
// left in the kernel (leftovers).
func (h *host) mustLeaveNothing() {
	h.t.Helper()
	if left := h.leftovers(); left != "" {
		h.t.Fatalf("left behind: %s", left)
	}
}

// leftovers reports cgroups, mounts or port programs of this instance (and
// port programs on the cgroup2 root that no jail's cgroup explains).
func (h *host) leftovers() string {
	var out []string
	group := store.NewStore(h.state).CgroupGroup()
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/cpu"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if filepath.Base(p) == group {
				if ents, _ := os.ReadDir(p); len(ents) > 0 {
					for _, e := range ents {
						if e.IsDir() {
							out = append(out, "cgroup "+filepath.Join(p, e.Name()))
						}
					}
				}
				return filepath.SkipDir
			}
			if strings.Count(p, "/") > 7 {
				return filepath.SkipDir
			}
			return nil
		})
	}
	orphans, err := ports.Orphans()
	if err != nil {
		out = append(out, "port programs unknown: "+err.Error())
	}
	out = append(out, orphans...)
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && bytes.Contains(b, []byte(h.state)) {
		out = append(out, "mounts under "+h.state)
	}
	return strings.Join(out, "; ")
}

type result struct {
	code           int
	stdout, stderr string
}

func (h *host) runIn(stdin string, args ...string) result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := h.command(ctx, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatalf("jailctl %v: %v", args, err)
	}
	return r
}

// command is jailctl on this host's state directory.
func (h *host) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, jailctlBin, append([]string{"--state-dir", h.state}, args...)...)
	cmd.Env = append(append(os.Environ(), "JAILS_JINIT="+jinitBin), h.env...)
	return cmd
}

func (h *host) run(args ...string) result { h.t.Helper(); return h.runIn("", args...) }

// must runs jailctl and fails the test unless it succeeds.
func (h *host) must(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("jailctl %v: exit %d\nstdout: %s\nstderr: %s\nconsole: %s", args, r.code, r.stdout, r.stderr, h.console(args))
	}
	return r.stdout
}

func (h *host) console(args []string) string {
	for _, a := range args {
		if b, err := os.ReadFile(filepath.Join(h.state, "log", a, "console.log")); err == nil {
			return string(b)
		}
	}
	return ""
}

// service writes a service directory under dir.
func service(t *testing.T, dir, name, run, toml string) {
	t.Helper()
	sd := filepath.Join(dir, name)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sd, "run"), []byte("#!/bin/sh\n"+run+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if toml != "" {
		os.WriteFile(filepath.Join(sd, "service.toml"), []byte(toml), 0o644)
	}
}

// jail creates and starts a jail running one idle service, plus any
// extra create flags.
func (h *host) jail(name string, extra ...string) {
	h.t.Helper()
	svc := h.t.TempDir()
	service(h.t, svc, "idle", "exec sleep 100000", "")
	h.must(append([]string{"create", name, "--services", svc}, extra...)...)
	h.must("start", name)
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processAlive: the process exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// runKept runs jail name under `jailctl run` in the background, its
// keeper for its life, and returns once the jail runs (the caller ends
// it; the test's end kills it).
func (h *host) runKept(name string) *exec.Cmd {
	h.t.Helper()
	cmd := h.command(context.Background(), "run", name)
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitUntil(h.t, time.Minute, "jailctl run to start "+name, func() bool {
		rt, err := store.NewStore(h.state).ReadRuntime(name)
		return err == nil && rt.Phase == store.Kept && rt.KeeperPid == cmd.Process.Pid && h.jailInfo(name).State == "running"
	})
	return cmd
}

// parentOf is pid's parent, or 0.
func parentOf(t testing.TB, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// commOf is pid's command name.
func commOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}
