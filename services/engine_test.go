package services

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The engine around Step, without processes: fakeProcs and fakeClock
// (fakes_test.go) stand in for fork+exec, signals and time.

func depends(deps ...string) map[string]string {
	return svcTOML(`depends = ["` + strings.Join(deps, `", "`) + `"]`)
}

func TestEngineStartOrder(t *testing.T) {
	cases := []struct {
		name     string
		services map[string]map[string]string
		// steps: after each, the services whose run has started so far.
		steps []func(h *harness)
		want  [][]string
	}{{
		name: "without readiness, a dependent starts once its dependency is spawned",
		services: map[string]map[string]string{
			"a": nil, "b": depends("a"), "c": depends("b"),
		},
		steps: []func(*harness){func(*harness) {}},
		want:  [][]string{{"a", "b", "c"}},
	}, {
		name: "a dependency with a readiness check holds its dependents until the check passes",
		services: map[string]map[string]string{
			"db":  svcTOML(`readiness.check = ["./ready"]`),
			"app": depends("db"),
		},
		steps: []func(*harness){
			func(*harness) {},
			func(h *harness) { h.exit(h.procs.last("db", ProcCheck), exitCode(1)) },
			func(h *harness) { h.clock.advance(DefaultReadyInterval) },
			func(h *harness) { h.exit(h.procs.last("db", ProcCheck), exitCode(0)) },
		},
		want: [][]string{{"db"}, {"db"}, {"db"}, {"db", "app"}},
	}, {
		name: "a oneshot's dependents wait for its exit 0, not for its spawn",
		services: map[string]map[string]string{
			"initdb":   svcTOML("oneshot = true\nrestart = \"on-failure\""),
			"postgres": depends("initdb"),
		},
		steps: []func(*harness){
			func(*harness) {},
			func(h *harness) { h.exit(h.procs.last("initdb", ProcRun), exitCode(1)) },
			func(h *harness) { h.exit(h.procs.last("initdb", ProcRun), exitCode(0)) },
		},
		// The failed oneshot is run again at once (on-failure; the first
		// restart has no delay).
		want: [][]string{{"initdb"}, {"initdb", "initdb"}, {"initdb", "initdb", "postgres"}},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for n, files := range c.services {
				mkService(t, root, n, files)
			}
			h := newHarness(t, root)
			for i, step := range c.steps {
				step(h)
				h.status("") // a barrier: what was sent before is handled
				want := c.want[i]
				h.until("start order "+strings.Join(want, ","), func() bool { return len(h.procs.runOrder()) >= len(want) })
				if got := h.procs.runOrder(); !reflect.DeepEqual(got, want) {
					t.Fatalf("step %d: started %v, want %v", i, got, want)
				}
			}
		})
	}
}

// TestEngineShutdownOrder: dependents stop before what they depend on, each
// after the one above it has exited; a service that ignores its stop
// signal is SIGKILLed after its stop_timeout.
func TestEngineShutdownOrder(t *testing.T) {
	root := t.TempDir()
	mkService(t, root, "a", nil)
	mkService(t, root, "b", depends("a"))
	mkService(t, root, "c", mergeFiles(depends("b"), map[string]string{"timeout-kill": "3000"}))
	h := newHarness(t, root)
	h.phase("c", PhaseRunning)
	h.cancel()
	h.until("c got SIGTERM", func() bool { return len(h.procs.sent(syscall.SIGTERM)) == 1 })
	if got := h.procs.sent(syscall.SIGTERM); !reflect.DeepEqual(got, []string{"c"}) {
		t.Fatalf("first stop signals: %v, want only c", got)
	}
	h.clock.advance(3 * time.Second) // c ignores SIGTERM
	h.until("c got SIGKILL", func() bool { return len(h.procs.sent(syscall.SIGKILL)) > 0 })
	h.exit(h.procs.last("c", ProcRun), syscall.WaitStatus(syscall.SIGKILL))
	h.until("b got SIGTERM", func() bool { return len(h.procs.sent(syscall.SIGTERM)) == 2 })
	h.exit(h.procs.last("b", ProcRun), 0)
	h.until("a got SIGTERM", func() bool { return len(h.procs.sent(syscall.SIGTERM)) == 3 })
	if got := h.procs.sent(syscall.SIGTERM); !reflect.DeepEqual(got, []string{"c", "b", "a"}) {
		t.Fatalf("stop signals in order %v, want c b a", got)
	}
	h.exit(h.procs.last("a", ProcRun), 0)
	select {
	case <-h.done:
		if h.runErr != nil {
			t.Fatal(h.runErr)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the engine did not return once every service was down")
	}
}

// TestEngineShutdownDeadline: a service that survives even SIGKILL (a
// stuck exit) does not hold the shutdown past its computed bound.
func TestEngineShutdownDeadline(t *testing.T) {
	root := t.TempDir()
	mkService(t, root, "stuck", map[string]string{"timeout-kill": "1000"})
	h := newHarness(t, root)
	h.phase("stuck", PhaseRunning)
	// Its stop and finish timeouts, the grace for leftovers and a margin.
	bound := time.Second + DefaultFinishTimeout + 2*time.Second + time.Second
	h.cancel()
	h.until("stop signal", func() bool { return len(h.procs.sent(syscall.SIGTERM)) == 1 })
	h.clock.advance(bound - time.Millisecond)
	select {
	case <-h.done:
		t.Fatal("returned before the deadline with a service still running")
	default:
	}
	h.clock.advance(time.Second + 10*time.Millisecond) // past the deadline, then the last poll
	for i := 0; i < 100; i++ {
		select {
		case <-h.done:
			if h.runErr != nil {
				t.Fatal(h.runErr)
			}
			return
		default:
			h.clock.advance(20 * time.Millisecond)
			time.Sleep(time.Millisecond)
		}
	}
	t.Fatal("the engine did not return after its shutdown deadline")
}

func TestEngineWaitReady(t *testing.T) {
	cases := []struct {
		name     string
		services map[string]map[string]string
		fail     map[string]error
		tail     map[string][]string
		act      func(h *harness)
		wantErr  []string // substrings; nil: success
	}{{
		name:     "a service without readiness is started after the settle window",
		services: map[string]map[string]string{"web": nil},
		act:      func(h *harness) { h.clock.advance(DefaultSettle) },
	}, {
		name:     "a oneshot is started when it exits 0",
		services: map[string]map[string]string{"setup": svcTOML("oneshot = true")},
		act:      func(h *harness) { h.exit(h.procs.last("setup", ProcRun), 0) },
	}, {
		name:     "an unknown user fails at once, named, with the service's last lines",
		services: map[string]map[string]string{"nginx": svcTOML(`user = "no-such-user-jails"`)},
		tail:     map[string][]string{"nginx": {"jinit: cannot start: unknown user no-such-user-jails"}},
		act:      func(*harness) {},
		wantErr:  []string{"nginx (unknown user no-such-user-jails)", "| jinit: cannot start"},
	}, {
		name:     "a run program that cannot be executed fails at once",
		services: map[string]map[string]string{"app": nil},
		fail:     map[string]error{"app": syscall.EACCES},
		act:      func(*harness) {},
		wantErr:  []string{"app (run: permission denied (exit 126))"},
	}, {
		name:     "exit 127 before settling fails at once",
		services: map[string]map[string]string{"app": nil},
		act:      func(h *harness) { h.exit(h.procs.last("app", ProcRun), exitCode(127)) },
		wantErr:  []string{"app (exit 127: a program was not found)"},
	}, {
		name:     "a crash before settling is not started, without waiting for the restart burst",
		services: map[string]map[string]string{"loop": nil},
		tail:     map[string][]string{"loop": {"config error"}},
		act:      func(h *harness) { h.exit(h.procs.last("loop", ProcRun), exitCode(1)) },
		wantErr:  []string{"loop (exited: exit 1 before it settled", "| config error"},
	}, {
		name:     "a refused operation names the jail's profile",
		services: map[string]map[string]string{"dbus": nil},
		tail:     map[string][]string{"dbus": {"install: cannot change owner of '/run/dbus': Operation not permitted"}},
		act:      func(h *harness) { h.exit(h.procs.last("dbus", ProcRun), exitCode(1)) },
		wantErr:  []string{`which the jail's profile "high" may deny`},
	}, {
		name:     "a service still starting when the wait times out is named",
		services: map[string]map[string]string{"slow": svcTOML(`readiness.tcp_port = 1`)},
		act:      func(h *harness) { h.clock.advance(time.Second) },
		wantErr:  []string{"services not ready in time: slow (starting)"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for n, files := range c.services {
				mkService(t, root, n, files)
			}
			h := newHarnessWith(t, root, c.fail, c.tail)
			w := h.waitReady(time.Second)
			h.status("")
			c.act(h)
			var err error
			select {
			case err = <-w:
			case <-time.After(5 * time.Second):
				t.Fatal("wait-ready did not answer")
			}
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("wait-ready: %v", err)
				}
				return
			}
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("wait-ready: %v, want a *StartError", err)
			}
			for _, s := range c.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func newHarnessWith(t *testing.T, root string, fail map[string]error, tail map[string][]string) *harness {
	return newHarness(t, root, func(h *harness) {
		for k, v := range fail {
			h.procs.fail[k] = v
		}
		for k, v := range tail {
			h.tail[k] = v
		}
		h.e.cfg.Profile = "high"
	})
}

// TestEngineInvalidDirectoryFailsWait: a directory that cannot be loaded
// fails wait-ready with its reason, while the valid services still run.
func TestEngineInvalidDirectoryFailsWait(t *testing.T) {
	root := t.TempDir()
	mkService(t, root, "ok", nil)
	mkService(t, root, "bad", map[string]string{"notification-fd": "1"})
	h := newHarness(t, root)
	w := h.waitReady(time.Second)
	h.status("")
	err := <-w
	if err == nil || !strings.Contains(err.Error(), "bad: notification-fd") {
		t.Fatalf("wait-ready: %v, want the invalid directory named", err)
	}
	h.phase("ok", PhaseRunning)
}

// TestEngineRescan: a new directory starts, a removed one is stopped and
// dropped, a changed definition applies at the next start.
func TestEngineRescan(t *testing.T) {
	root := t.TempDir()
	mkService(t, root, "keep", nil)
	mkService(t, root, "gone", nil)
	h := newHarness(t, root)
	h.phase("gone", PhaseRunning)
	gone := h.procs.last("gone", ProcRun)
	if err := os.RemoveAll(filepath.Join(root, "gone")); err != nil {
		t.Fatal(err)
	}
	mkService(t, root, "new", nil)
	if _, err := h.e.Do(t.Context(), Command{Verb: VerbRescan}); err != nil {
		t.Fatal(err)
	}
	h.phase("new", PhaseRunning)
	if got := h.procs.sent(syscall.SIGTERM); !reflect.DeepEqual(got, []string{"gone"}) {
		t.Fatalf("signals after rescan: %v, want SIGTERM to gone", got)
	}
	h.exit(gone, 0)
	h.until("gone dropped", func() bool {
		r, _ := h.e.Do(t.Context(), Command{Verb: VerbStatus})
		for _, s := range r.Services {
			if s.Name == "gone" {
				return false
			}
		}
		return true
	})
	if h.status("keep").Restarts != 0 {
		t.Fatal("keep was restarted by the rescan")
	}
}

// TestEngineKillsLeftovers: when a main process dies, what is left of its
// group is SIGKILLed before the restart; kill_leftovers = false keeps it.
func TestEngineKillsLeftovers(t *testing.T) {
	for _, keep := range []bool{false, true} {
		root := t.TempDir()
		var files map[string]string
		if keep {
			files = svcTOML("kill_leftovers = false")
		}
		mkService(t, root, "nginx", files)
		h := newHarness(t, root)
		h.phase("nginx", PhaseRunning)
		pid := h.procs.last("nginx", ProcRun)
		h.procs.mu.Lock()
		h.procs.linger[pid] = true // its workers
		h.procs.mu.Unlock()
		h.exit(pid, exitCode(1))
		h.until("restarted", func() bool { return h.procs.last("nginx", ProcRun) != pid })
		h.procs.mu.Lock()
		killed := !h.procs.alive[pid]
		h.procs.mu.Unlock()
		if killed == keep {
			t.Fatalf("kill_leftovers=%v: leftover group killed=%v", !keep, killed)
		}
	}
}

// TestEngineLogService: log/run is a service of its own, started before
// the service and fed by a pipe from the service's stdout.
func TestEngineLogService(t *testing.T) {
	root := t.TempDir()
	dir := mkService(t, root, "app", nil)
	if err := os.MkdirAll(filepath.Join(dir, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log", "run"), []byte("#!/bin/sh\nexec cat\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, root)
	h.phase("app", PhaseRunning)
	if got := h.procs.runOrder(); !reflect.DeepEqual(got, []string{"app.log", "app"}) {
		t.Fatalf("start order %v, want the logger first", got)
	}
	h.procs.mu.Lock()
	defer h.procs.mu.Unlock()
	var logIn, appOut uintptr
	for _, p := range h.procs.started {
		switch p.Service {
		case "app.log":
			logIn = p.Files[0]
		case "app":
			appOut = p.Files[1]
		}
	}
	if logIn == devNull.Fd() || appOut == 1 || logIn == appOut {
		t.Fatalf("logger stdin %d, service stdout %d: want the two ends of one pipe", logIn, appOut)
	}
}
