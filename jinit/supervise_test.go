//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

// A runit directory with nothing but `run` (exec of a foreground daemon)
// runs unchanged.
func TestRunitDirectory(t *testing.T) {
	dir := t.TempDir()
	writeService(t, dir, "daemon", "exec sleep 1000", "")
	s := startSupervisor(t, dir, true)
	s.do(services.VerbWaitReady, "")
	st := s.status("daemon")
	if st.State != "running" || st.Pid == 0 || !st.Ready {
		t.Fatalf("runit service: %+v", st)
	}
}

// Ten thousand orphaned grandchildren are all reaped by PID 1.
func TestOrphansReaped(t *testing.T) {
	dir := t.TempDir()
	forker := filepath.Join(t.TempDir(), "forker")
	if out, err := exec.Command("cc", "-O2", "-o", forker, "testdata/forker.c").CombinedOutput(); err != nil {
		t.Fatalf("build the forker with cc (CI installs gcc): %v\n%s", err, out)
	}
	fifo := filepath.Join(t.TempDir(), "gate")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The test holds the only writer: the children block reading until
	// it closes, then all exit at once.
	gate, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Close()
	marker := filepath.Join(t.TempDir(), "forked")
	writeService(t, dir, "forker", fmt.Sprintf("%s 10000 < %s && touch %s; exec sleep 1000", forker, fifo, marker), "")
	s := startSupervisor(t, dir, true)
	waitFor(t, 120*time.Second, "10,000 orphans to be forked", func() bool {
		_, err := os.Stat(marker)
		return err == nil
	})
	if n := len(nsProcs(s.cmd.Process.Pid)); n < 10000 {
		t.Fatalf("only %d processes in the namespace, want > 10000", n)
	}
	gate.Close()
	waitFor(t, 60*time.Second, "the orphans to exit", func() bool {
		ps := nsProcs(s.cmd.Process.Pid)
		return countState(ps, 'S')+countState(ps, 'R') <= 3
	})
	waitFor(t, 2*time.Second, "no zombie left", func() bool {
		return countState(nsProcs(s.cmd.Process.Pid), 'Z') == 0
	})
	// Reaped processes vanish from /proc before the engine has counted
	// them all, so the count may lag a moment.
	waitFor(t, 5*time.Second, "10,000 orphans counted", func() bool {
		return s.do(services.VerbStatus, "").Stats.OrphansReaped >= 10000
	})
}

// A crash-looping service restarts at once, then with growing delays, and
// ends failed; status says so.
func TestCrashLoopBacksOffAndFails(t *testing.T) {
	dir := t.TempDir()
	stamps := filepath.Join(t.TempDir(), "stamps")
	writeService(t, dir, "crasher", fmt.Sprintf("date +%%s%%N >> %s; exit 3", stamps), `
[backoff]
initial = "50ms"
max = "1s"
[start_limit]
burst = 6
interval = "60s"
`)
	s := startSupervisor(t, dir, true)
	waitFor(t, 20*time.Second, "crasher to fail", func() bool { return s.status("crasher").State == "failed" })
	st := s.status("crasher")
	if st.Restarts != 5 || st.LastExit == nil || st.LastExit.Code != 3 {
		t.Fatalf("failed service status: %+v", st)
	}
	b, _ := os.ReadFile(stamps)
	lines := strings.Fields(string(b))
	if len(lines) != 6 {
		t.Fatalf("%d starts, want 6", len(lines))
	}
	var gaps []time.Duration
	for i := 1; i < len(lines); i++ {
		a, _ := strconv.ParseInt(lines[i-1], 10, 64)
		b, _ := strconv.ParseInt(lines[i], 10, 64)
		gaps = append(gaps, time.Duration(b-a))
	}
	// Lower bounds only: the delays are 0, 50, 100, 200, 400 ms.
	for i, min := range []time.Duration{0, 50, 100, 200, 400} {
		if gaps[i] < min*time.Millisecond {
			t.Fatalf("gap %d is %s, want >= %dms (gaps %v)", i, gaps[i], min, gaps)
		}
	}
	if gaps[4] <= gaps[1] {
		t.Fatalf("delays did not grow: %v", gaps)
	}
	// An operator up clears failed.
	s.do(services.VerbUp, "crasher")
	if st := s.status("crasher"); st.State == "failed" {
		t.Fatalf("up did not clear failed: %+v", st)
	}
}

// B becomes ready through notification-fd before A (which depends on B)
// starts; shutdown stops A (and runs its finish) before B.
func TestDependencyOrderAndReverseShutdown(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(t.TempDir(), "trace")
	bdir := writeService(t, dir, "b", fmt.Sprintf("sleep 0.3; echo b-ready >> %[1]s; echo >&3; exec sleep 1000", trace), "")
	os.WriteFile(filepath.Join(bdir, "notification-fd"), []byte("3\n"), 0o644)
	writeExec(t, filepath.Join(bdir, "finish"), fmt.Sprintf("echo b-finish >> %s", trace))
	adir := writeService(t, dir, "a", fmt.Sprintf("echo a-start >> %s; exec sleep 1000", trace), `depends = ["b"]`)
	writeExec(t, filepath.Join(adir, "finish"), fmt.Sprintf("sleep 0.2; echo a-finish >> %s", trace))
	s := startSupervisor(t, dir, true)
	s.do(services.VerbWaitReady, "")
	waitFor(t, 5*time.Second, "a to start", func() bool { b, _ := os.ReadFile(trace); return strings.Contains(string(b), "a-start") })
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.wait(20 * time.Second)
	b, _ := os.ReadFile(trace)
	if got, want := strings.Fields(string(b)), []string{"b-ready", "a-start", "a-finish", "b-finish"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order %v, want %v", got, want)
	}
}

// A service whose whole process group ignores SIGTERM is killed with its
// group once stop_timeout has passed.
func TestStopKillsGroupAfterTimeout(t *testing.T) {
	dir := t.TempDir()
	writeService(t, dir, "stubborn", "trap '' TERM; JINIT_TEST_MARK=stubborn-"+t.Name()+" sleep 1000 & JINIT_TEST_MARK=stubborn-"+t.Name()+" sleep 1000 & wait", `stop_timeout = "1s"`)
	s := startSupervisor(t, dir, true)
	s.do(services.VerbWaitReady, "")
	mark := "JINIT_TEST_MARK=stubborn-" + t.Name()
	waitFor(t, 5*time.Second, "the group's children", func() bool { return len(procsWithEnv(mark)) == 2 })
	start := time.Now()
	s.do(services.VerbDown, "stubborn")
	waitFor(t, 5*time.Second, "the process group to be gone", func() bool {
		return len(procsWithEnv(mark)) == 0 && s.status("stubborn").State == "down"
	})
	if time.Since(start) < 900*time.Millisecond {
		t.Fatalf("group killed before stop_timeout: SIGTERM was not ignored?")
	}
}

// Shutdown with 50 services, some ignoring SIGTERM, ends within the longest
// stop_timeout + 2 s and leaves no process behind. jinit runs as a
// subreaper here (not PID 1), so nothing but jinit itself cleans up.
func TestShutdownFiftyServices(t *testing.T) {
	dir := t.TempDir()
	mark := fmt.Sprintf("JINIT_TEST_MARK=fifty-%d", os.Getpid())
	for i := 0; i < 50; i++ {
		run := mark + " exec sleep 1000"
		if i%5 == 0 {
			run = "trap '' TERM; " + mark + " sleep 1000 & " + mark + " sleep 1000 & wait"
		}
		writeService(t, dir, fmt.Sprintf("svc%02d", i), run, `stop_timeout = "1s"`)
	}
	s := startSupervisor(t, dir, false)
	s.do(services.VerbWaitReady, "")
	waitFor(t, 10*time.Second, "all service processes", func() bool { return len(procsWithEnv(mark)) >= 60 })
	s.cmd.Process.Signal(syscall.SIGTERM)
	if took := s.wait(3 * time.Second); took > 3*time.Second {
		t.Fatalf("shutdown took %s", took)
	}
	if left := procsWithEnv(mark); len(left) > 0 {
		t.Fatalf("%d processes left after shutdown: %v", len(left), left)
	}
}

// Services start with an empty signal mask and no ignored signals.
func TestServiceSignalState(t *testing.T) {
	ignoreRealtime32(t)
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "status")
	writeService(t, dir, "sig", fmt.Sprintf("grep -E '^Sig(Blk|Ign)' /proc/self/status > %s; exec sleep 1000", out), "")
	s := startSupervisor(t, dir, true)
	s.do(services.VerbWaitReady, "")
	waitFor(t, 5*time.Second, "status dump", func() bool { b, _ := os.ReadFile(out); return len(b) > 0 })
	checkSigState(t, out)
}

func checkSigState(t *testing.T, path string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 || strings.Trim(f[1], "0") != "" {
			t.Fatalf("child signal state not clean: %q", string(b))
		}
	}
}

// The control protocol drives services: restart, signal, down, once, and
// refuses unknown services with an error naming them.
func TestControlVerbs(t *testing.T) {
	dir := t.TempDir()
	// Ready (notification-fd) only once the trap is set, so USR1 cannot
	// arrive before it.
	sd := writeService(t, dir, "svc", "trap 'exit 7' USR1; echo >&3; sleep 1000 & wait", "")
	os.WriteFile(filepath.Join(sd, "notification-fd"), []byte("3\n"), 0o644)
	s := startSupervisor(t, dir, true)
	s.do(services.VerbWaitReady, "")
	pid := s.status("svc").Pid
	s.do(services.VerbRestart, "svc")
	waitFor(t, 5*time.Second, "restart", func() bool { st := s.status("svc"); return st.Pid != 0 && st.Pid != pid && st.Ready })

	s.doReq(control.Request{Verb: services.VerbSignal, Service: "svc", Signal: "USR1"})
	waitFor(t, 5*time.Second, "exit 7 and a restart", func() bool {
		st := s.status("svc")
		return st.LastExit != nil && st.LastExit.Code == 7 && st.Restarts == 2 && st.Pid != 0
	})
	s.do(services.VerbDown, "svc")
	waitFor(t, 5*time.Second, "down", func() bool { return s.status("svc").State == "down" })
	s.do(services.VerbOnce, "svc")
	waitFor(t, 5*time.Second, "once running", func() bool { return s.status("svc").Pid != 0 })
	s.doReq(control.Request{Verb: services.VerbSignal, Service: "svc", Signal: "USR1"})
	waitFor(t, 5*time.Second, "once to end down", func() bool { st := s.status("svc"); return st.State == "down" && st.Pid == 0 })

	_, err := s.client.Do(context.Background(), control.Request{Verb: services.VerbUp, Service: "nosuch"})
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("up nosuch: %v", err)
	}
}

// SIGHUP rescans: a new directory starts, a removed one stops.
func TestRescan(t *testing.T) {
	dir := t.TempDir()
	writeService(t, dir, "old", "exec sleep 1000", "")
	s := startSupervisor(t, dir, true)
	s.do(services.VerbWaitReady, "")
	writeService(t, dir, "new", "exec sleep 1000", "")
	os.RemoveAll(filepath.Join(dir, "old"))
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 5*time.Second, "rescan", func() bool {
		st := s.do(services.VerbStatus, "").Services
		return len(st) == 1 && st[0].Name == "new" && st[0].Ready
	})
}

// wait-ready answers the same whenever it comes: a restart = "never"
// service that settled and then ended (exit 2), or ended cleanly (exit 0),
// counts as started; one that failed before it settled, or whose run cannot
// be executed (its interpreter is missing), is named as failed.
func TestWaitReadyAfterServicesEnded(t *testing.T) {
	dir := t.TempDir()
	writeService(t, dir, "fails-later", "sleep 0.6\nexit 2", `restart = "never"`)
	writeService(t, dir, "ends", "exit 0", `restart = "never"`)
	s := startSupervisor(t, dir, true)
	waitFor(t, 5*time.Second, "both services to end", func() bool {
		st := s.do(services.VerbStatus, "").Services
		return len(st) == 2 && st[0].LastExit != nil && st[1].LastExit != nil
	})
	s.do(services.VerbWaitReady, "") // fails the test on an error

	bad := t.TempDir()
	sd := writeService(t, bad, "noexec", "exec sleep 1000", `restart = "never"`)
	if err := os.WriteFile(filepath.Join(sd, "run"), []byte("#!/no/such/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s2 := startSupervisor(t, bad, true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s2.client.Do(ctx, control.Request{Verb: services.VerbWaitReady, TimeoutMS: 5000})
	if err == nil || !strings.Contains(err.Error(), "noexec (run: program or interpreter not found") {
		t.Fatalf("wait-ready with a service that cannot start: %v", err)
	}

	early := t.TempDir()
	writeService(t, early, "fails-early", "echo cannot parse the config\nexit 2", `restart = "never"`)
	s3 := startSupervisor(t, early, true)
	_, err = s3.client.Do(ctx, control.Request{Verb: services.VerbWaitReady, TimeoutMS: 5000})
	if err == nil || !strings.Contains(err.Error(), "fails-early (failed: exited: exit 2)") ||
		!strings.Contains(err.Error(), "| cannot parse the config") {
		t.Fatalf("wait-ready with a service that failed before it settled: %v", err)
	}
}
