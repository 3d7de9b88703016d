//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
)

// The kernel is the truth: faults that used to make the host lie about a
// jail, each reproduced on purpose.

// runningJailWithPort starts jail name reserving a free port, and returns it.
func (h *host) runningJailWithPort(name string) int {
	h.t.Helper()
	port := freePorts(h.t, 1, 20000, 29999)[0]
	h.jail(name, "--port", strconv.Itoa(port))
	if got := hostBind("tcp4:" + strconv.Itoa(port)); got == "ok" {
		h.t.Fatalf("host bound the jail's reserved port %d", port)
	}
	return port
}

// stoppedForGood checks that the jail is stopped, its port free again
// and nothing of it left, and that it starts again.
func (h *host) stoppedForGood(name string, port int) {
	h.t.Helper()
	if st := h.jailInfo(name).State; st != "stopped" {
		h.t.Fatalf("%s is %s after stop, want stopped", name, st)
	}
	h.mustLeaveNothing()
	if got := hostBind("tcp4:" + strconv.Itoa(port)); got != "ok" {
		h.t.Fatalf("port %d still held after stop: %s", port, got)
	}
	h.must("start", name)
	h.must("stop", name)
	h.mustLeaveNothing()
}

// A garbled runtime record hides nothing: list still shows the jail
// running (the record is rebuilt from its cgroup and jinit), its control
// socket stays, stop stops it and leaves nothing, and it starts again.
func TestGarbledRecordStillFound(t *testing.T) {
	h := newHost(t)
	port := h.runningJailWithPort("g")
	st := store.NewStore(h.state)
	old, err := st.ReadRuntime("g")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(st.RuntimePath("g"), []byte("{\"keeper_pid\": garbage"), 0o600)
	if got := h.jailInfo("g").State; got != "running" {
		t.Fatalf("with a garbled record the jail is %s, want running", got)
	}
	if _, err := os.Stat(st.SockPath("g")); err != nil {
		t.Fatalf("control socket gone after list: %v", err)
	}
	rt, err := st.ReadRuntime("g")
	if err != nil || rt.Phase != store.Released || rt.JinitPid != old.JinitPid || rt.JinitStart != old.JinitStart {
		t.Fatalf("rebuilt record %+v (%v), want jinit %d released", rt, err, old.JinitPid)
	}
	if out := h.must("exec", "g", "echo", "inside"); !strings.Contains(out, "inside") {
		t.Fatalf("exec after rebuild: %q", out)
	}
	if r := h.run("start", "g"); r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Fatalf("start of the running jail: exit %d %q", r.code, r.stderr)
	}
	os.WriteFile(st.RuntimePath("g"), []byte("\x00\x01"), 0o600)
	h.must("stop", "g")
	h.stoppedForGood("g", port)
}

// A deleted runtime directory (control socket and record gone): the jail
// is found from the kernel, stopped through a signal to jinit, and
// nothing is left.
func TestDeletedRunDirStillFound(t *testing.T) {
	h := newHost(t)
	port := h.runningJailWithPort("d")
	st := store.NewStore(h.state)
	old, _ := st.ReadRuntime("d")
	if err := os.RemoveAll(st.RunDir("d")); err != nil {
		t.Fatal(err)
	}
	if got := h.jailInfo("d").State; got != "running" {
		t.Fatalf("with its run directory deleted the jail is %s, want running", got)
	}
	start := time.Now()
	h.must("stop", "--timeout", "10s", "d")
	if processAlive(old.JinitPid) {
		t.Fatal("jinit survived stop")
	}
	if last := h.jailInfo("d").LastExit; last == nil || last.At.Before(start) {
		t.Fatalf("no reason recorded for the stop: %+v", last)
	}
	h.stoppedForGood("d", port)
}

// destroy --force works on a jail whose record is garbled, and leaves
// nothing.
func TestDestroyForceGarbledRecord(t *testing.T) {
	h := newHost(t)
	port := h.runningJailWithPort("f")
	st := store.NewStore(h.state)
	os.WriteFile(st.RuntimePath("f"), []byte("not json"), 0o600)
	h.must("destroy", "--force", "f")
	h.mustLeaveNothing()
	if got := hostBind("tcp4:" + strconv.Itoa(port)); got != "ok" {
		t.Fatalf("port %d still held after destroy: %s", port, got)
	}
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A start killed after its jail's services were ready but before it
// recorded the jail as running on its own (made deterministic by writing
// the record as that start left it): the next command removes the jail
// rather than take over a start that never said "started".
func TestStartKilledBeforeRelease(t *testing.T) {
	h := newHost(t)
	port := h.runningJailWithPort("w")
	st := store.NewStore(h.state)
	rt, _ := st.ReadRuntime("w")
	writeRecord(t, st, "w", rt, deadPid(t), store.Spawned, rt.Incarnation)
	if ji := h.jailInfo("w"); ji.State != "stopped" || ji.LastExit == nil || !strings.Contains(ji.LastExit.Reason, "start was killed") {
		t.Fatalf("jail after its start was killed: %+v %+v", ji, ji.LastExit)
	}
	if processAlive(rt.JinitPid) {
		t.Fatal("the killed start's jinit still runs")
	}
	h.stoppedForGood("w", port)
}

// A keeper (`jailctl run`) of an earlier start that nobody found never
// touches a later start of the jail: its cgroup (a new directory at the
// same path) and its runtime directory belong to another incarnation.
func TestStaleKeeperLeavesLaterJailAlone(t *testing.T) {
	h := newHost(t)
	h.must("create", "s")
	keeper := h.runKept("s")
	st := store.NewStore(h.state)
	rt, _ := st.ReadRuntime("s")
	stale := keeper.Process.Pid
	waitKeeperHolding(t, stale)
	syscall.Kill(stale, syscall.SIGSTOP)
	// The record names a dead keeper of another start: the stale keeper
	// is not recognised, and the jail it holds is removed under it.
	writeRecord(t, st, "s", rt, deadPid(t), store.Kept, "0000000000000000")
	waitUntil(t, 5*time.Second, "the jail to be cleaned up", func() bool { return h.jailInfo("s").State == "stopped" })
	h.must("start", "s")
	later, _ := st.ReadRuntime("s")
	syscall.Kill(stale, syscall.SIGCONT)
	waitUntil(t, 5*time.Second, "the stale keeper to exit", func() bool { return !processAlive(stale) })
	time.Sleep(100 * time.Millisecond)
	if got := h.jailInfo("s").State; got != "running" {
		t.Fatalf("the later jail is %s after the stale keeper ended, want running", got)
	}
	now, err := st.ReadRuntime("s")
	if err != nil || now.Incarnation != later.Incarnation || !processAlive(now.JinitPid) {
		t.Fatalf("later jail's record %+v (%v), want incarnation %s with jinit alive", now, err, later.Incarnation)
	}
	if out := h.must("exec", "s", "echo", "alive"); !strings.Contains(out, "alive") {
		t.Fatalf("exec in the later jail: %q", out)
	}
}

// waitKeeperHolding waits until the keeper has adopted its jail and waits
// for jinit: one of its threads sleeps in poll(2) (on jinit's pidfd).
func waitKeeperHolding(t *testing.T, pid int) {
	t.Helper()
	waitUntil(t, 10*time.Second, "the keeper to hold its jail", func() bool {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/syscall", pid))
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			if nr, _, _ := strings.Cut(string(b), " "); nr == "7" || nr == "271" {
				return true
			}
		}
		return false
	})
}

func writeRecord(t *testing.T, st *store.Store, name string, rt *store.Runtime, keeper int, phase store.Phase, inc string) {
	t.Helper()
	c := *rt
	c.KeeperPid, c.KeeperStart, c.Phase, c.Incarnation = keeper, 1, phase, inc
	b, _ := json.Marshal(c)
	if err := os.WriteFile(st.RuntimePath(name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A broken definition keeps its id and its ports: another jail cannot
// take them, list says broken with the reason, and once repaired the jail
// starts.
func TestBrokenDefinitionKeepsReservations(t *testing.T) {
	h := newHost(t)
	port := strconv.Itoa(freePorts(t, 1, 20000, 29999)[0])
	h.must("create", "a", "--port", port)
	def := filepath.Join(h.state, "lib", "a", "jail.toml")
	good, _ := os.ReadFile(def)
	os.WriteFile(def, []byte("id = [[[ this is not toml"), 0o644)
	if r := h.run("create", "b", "--port", port); r.code == 0 || !strings.Contains(r.stderr, `"a"`) && !strings.Contains(r.stderr, "jail a") {
		t.Fatalf("create b with a's port: exit %d %q", r.code, r.stderr)
	}
	out := h.must("create", "b")
	if !strings.Contains(out, "(id 2)") {
		t.Fatalf("b took a's id: %q", out)
	}
	ji := h.jailInfo("a")
	if ji.State != "broken" || ji.ConfigErr == "" {
		t.Fatalf("list of the broken jail: %+v", ji)
	}
	if r := h.run("start", "a"); r.code == 0 || !strings.Contains(r.stderr, "jail.toml") {
		t.Fatalf("start of the broken jail: exit %d %q", r.code, r.stderr)
	}
	os.WriteFile(def, good, 0o644)
	h.must("start", "a")
	h.must("stop", "a")
}

// A create killed at any point leaves the name usable: the next create
// either finds a whole jail or makes one, and destroy removes it.
func TestCreateKilledMidway(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	for i := range 40 {
		service(t, svc, "s"+strconv.Itoa(i), "exec sleep 1000", "")
	}
	for ms := range 30 {
		cmd := h.command(context.Background(), "create", "k", "--services", svc)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		r := h.run("create", "k", "--services", svc)
		if r.code != 0 && !strings.Contains(r.stderr, "already exists") {
			t.Fatalf("killed after %d ms, create again: exit %d %q", ms, r.code, r.stderr)
		}
		if ji := h.jailInfo("k"); ji.State != "stopped" || ji.ID == 0 {
			t.Fatalf("killed after %d ms: jail %+v", ms, ji)
		}
		h.must("destroy", "k")
		ents, _ := os.ReadDir(filepath.Join(h.state, "lib"))
		for _, e := range ents {
			if e.IsDir() {
				t.Fatalf("killed after %d ms, created and destroyed: %s left in lib", ms, e.Name())
			}
		}
	}
}
