package services

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testPolicy() Policy {
	p := DefaultPolicy()
	p.HasFinish = false
	return p
}

// canonical returns a typical state for each phase.
func canonical(ph Phase) State {
	s := State{Phase: ph, Want: WantUp, Since: t0, StartedAt: t0}
	switch ph {
	case PhaseDown, PhaseFailed, PhaseDone:
		s.Want = WantDown
	case PhaseStarting, PhaseRunning:
		s.Pid = 42
		s.Ready = ph == PhaseRunning
	case PhaseStopping:
		s.Pid, s.cause, s.Timer, s.TimerGen, s.Want = 42, stopOperator, TimerStop, 1, WantDown
	case PhaseFinishing:
		s.cause, s.Timer, s.TimerGen, s.Want = stopOperator, TimerFinish, 1, WantDown
	case PhaseBackoff:
		s.Timer, s.TimerGen = TimerBackoff, 1
	}
	return s
}

// event returns a typical event of each kind; timers match the canonical state.
func event(k EventKind, s State) Event {
	ev := Event{Kind: k, Now: t0.Add(time.Second)}
	switch k {
	case EvSpawned:
		ev.Pid = 43
	case EvSpawnFailed:
		ev.Status = ExitStatus{Code: 127}
	case EvExited:
		ev.Status = ExitStatus{Code: 1}
	case EvTimer:
		ev.Timer, ev.Gen = s.Timer, s.TimerGen
	}
	return ev
}

// TestStepEveryPair is the golden table of the machine: for every (phase,
// event) from a canonical state, the resulting phase and the actions, in
// order (signals and timers named).
func TestStepEveryPair(t *testing.T) {
	type row struct {
		phase Phase
		event EventKind
		want  Phase
		acts  string
	}
	golden := []row{
		// down
		{PhaseDown, EvUp, PhaseWaiting, ""},
		{PhaseDown, EvDown, PhaseDown, ""},
		{PhaseDown, EvOnce, PhaseWaiting, ""},
		{PhaseDown, EvRestart, PhaseWaiting, ""},
		{PhaseDown, EvDepsReady, PhaseDown, ""},
		{PhaseDown, EvSpawned, PhaseDown, ""},
		{PhaseDown, EvSpawnFailed, PhaseDown, ""},
		{PhaseDown, EvReady, PhaseDown, ""},
		{PhaseDown, EvExited, PhaseDown, ""},
		{PhaseDown, EvFinished, PhaseDown, ""},
		{PhaseDown, EvTimer, PhaseDown, ""},
		// waiting
		{PhaseWaiting, EvUp, PhaseWaiting, ""},
		{PhaseWaiting, EvDown, PhaseDown, ""},
		{PhaseWaiting, EvOnce, PhaseWaiting, ""},
		{PhaseWaiting, EvRestart, PhaseWaiting, ""},
		{PhaseWaiting, EvDepsReady, PhaseStarting, "spawn"},
		{PhaseWaiting, EvSpawned, PhaseWaiting, ""},
		{PhaseWaiting, EvSpawnFailed, PhaseWaiting, ""},
		{PhaseWaiting, EvReady, PhaseWaiting, ""},
		{PhaseWaiting, EvExited, PhaseWaiting, ""},
		{PhaseWaiting, EvFinished, PhaseWaiting, ""},
		{PhaseWaiting, EvTimer, PhaseWaiting, ""},
		// starting
		{PhaseStarting, EvUp, PhaseStarting, ""},
		{PhaseStarting, EvDown, PhaseStopping, "stop-readiness signal:SIGTERM signal:SIGCONT set-timer:stop"},
		{PhaseStarting, EvOnce, PhaseStarting, ""},
		{PhaseStarting, EvRestart, PhaseStopping, "stop-readiness signal:SIGTERM signal:SIGCONT set-timer:stop"},
		{PhaseStarting, EvDepsReady, PhaseStarting, ""},
		{PhaseStarting, EvSpawned, PhaseStarting, ""},
		{PhaseStarting, EvSpawnFailed, PhaseStarting, ""},
		{PhaseStarting, EvReady, PhaseRunning, "stop-readiness log"},
		{PhaseStarting, EvExited, PhaseWaiting, "stop-readiness kill-group log"},
		{PhaseStarting, EvFinished, PhaseStarting, ""},
		{PhaseStarting, EvTimer, PhaseStarting, ""},
		// running
		{PhaseRunning, EvUp, PhaseRunning, ""},
		{PhaseRunning, EvDown, PhaseStopping, "stop-readiness signal:SIGTERM signal:SIGCONT set-timer:stop"},
		{PhaseRunning, EvOnce, PhaseRunning, ""},
		{PhaseRunning, EvRestart, PhaseStopping, "stop-readiness signal:SIGTERM signal:SIGCONT set-timer:stop"},
		{PhaseRunning, EvDepsReady, PhaseRunning, ""},
		{PhaseRunning, EvSpawned, PhaseRunning, ""},
		{PhaseRunning, EvSpawnFailed, PhaseRunning, ""},
		{PhaseRunning, EvReady, PhaseRunning, ""},
		{PhaseRunning, EvExited, PhaseWaiting, "stop-readiness kill-group log"},
		{PhaseRunning, EvFinished, PhaseRunning, ""},
		{PhaseRunning, EvTimer, PhaseRunning, ""},
		// stopping
		{PhaseStopping, EvUp, PhaseStopping, ""},
		{PhaseStopping, EvDown, PhaseStopping, ""},
		{PhaseStopping, EvOnce, PhaseStopping, ""},
		{PhaseStopping, EvRestart, PhaseStopping, ""},
		{PhaseStopping, EvDepsReady, PhaseStopping, ""},
		{PhaseStopping, EvSpawned, PhaseStopping, ""},
		{PhaseStopping, EvSpawnFailed, PhaseStopping, ""},
		{PhaseStopping, EvReady, PhaseStopping, ""},
		{PhaseStopping, EvExited, PhaseDown, "cancel-timer:stop kill-group log"},
		{PhaseStopping, EvFinished, PhaseStopping, ""},
		{PhaseStopping, EvTimer, PhaseStopping, "log kill-group"},
		// finishing
		{PhaseFinishing, EvUp, PhaseFinishing, ""},
		{PhaseFinishing, EvDown, PhaseFinishing, ""},
		{PhaseFinishing, EvOnce, PhaseFinishing, ""},
		{PhaseFinishing, EvRestart, PhaseFinishing, ""},
		{PhaseFinishing, EvDepsReady, PhaseFinishing, ""},
		{PhaseFinishing, EvSpawned, PhaseFinishing, ""},
		{PhaseFinishing, EvSpawnFailed, PhaseFinishing, ""},
		{PhaseFinishing, EvReady, PhaseFinishing, ""},
		{PhaseFinishing, EvExited, PhaseFinishing, ""},
		{PhaseFinishing, EvFinished, PhaseDown, "cancel-timer:finish"},
		{PhaseFinishing, EvTimer, PhaseFinishing, "log kill-finish"},
		// backoff
		{PhaseBackoff, EvUp, PhaseBackoff, ""},
		{PhaseBackoff, EvDown, PhaseDown, "cancel-timer:backoff"},
		{PhaseBackoff, EvOnce, PhaseBackoff, ""},
		{PhaseBackoff, EvRestart, PhaseWaiting, "cancel-timer:backoff"},
		{PhaseBackoff, EvDepsReady, PhaseBackoff, ""},
		{PhaseBackoff, EvSpawned, PhaseBackoff, ""},
		{PhaseBackoff, EvSpawnFailed, PhaseBackoff, ""},
		{PhaseBackoff, EvReady, PhaseBackoff, ""},
		{PhaseBackoff, EvExited, PhaseBackoff, ""},
		{PhaseBackoff, EvFinished, PhaseBackoff, ""},
		{PhaseBackoff, EvTimer, PhaseWaiting, ""},
		// failed
		{PhaseFailed, EvUp, PhaseWaiting, ""},
		{PhaseFailed, EvDown, PhaseDown, ""},
		{PhaseFailed, EvOnce, PhaseWaiting, ""},
		{PhaseFailed, EvRestart, PhaseWaiting, ""},
		{PhaseFailed, EvDepsReady, PhaseFailed, ""},
		{PhaseFailed, EvSpawned, PhaseFailed, ""},
		{PhaseFailed, EvSpawnFailed, PhaseFailed, ""},
		{PhaseFailed, EvReady, PhaseFailed, ""},
		{PhaseFailed, EvExited, PhaseFailed, ""},
		{PhaseFailed, EvFinished, PhaseFailed, ""},
		{PhaseFailed, EvTimer, PhaseFailed, ""},
		// done
		{PhaseDone, EvUp, PhaseWaiting, ""},
		{PhaseDone, EvDown, PhaseDown, ""},
		{PhaseDone, EvOnce, PhaseWaiting, ""},
		{PhaseDone, EvRestart, PhaseWaiting, ""},
		{PhaseDone, EvDepsReady, PhaseDone, ""},
		{PhaseDone, EvSpawned, PhaseDone, ""},
		{PhaseDone, EvSpawnFailed, PhaseDone, ""},
		{PhaseDone, EvReady, PhaseDone, ""},
		{PhaseDone, EvExited, PhaseDone, ""},
		{PhaseDone, EvFinished, PhaseDone, ""},
		{PhaseDone, EvTimer, PhaseDone, ""},
	}
	if len(golden) != int(numPhases)*int(numEventKinds) {
		t.Fatalf("golden table has %d rows, want every one of %d pairs", len(golden), int(numPhases)*int(numEventKinds))
	}
	for _, g := range golden {
		s := canonical(g.phase)
		got, acts := Step(s, event(g.event, s), testPolicy())
		if got.Phase != g.want || actionText(acts) != g.acts {
			t.Errorf("%s + %s: %s [%s], want %s [%s]", g.phase, g.event, got.Phase, actionText(acts), g.want, g.acts)
		}
	}
}

// TestStepSpawnOutcomes covers the states the canonical table leaves out:
// a start whose spawn is pending (no pid yet), per kind of service.
func TestStepSpawnOutcomes(t *testing.T) {
	oneshot, ready, noSettle := testPolicy(), testPolicy(), testPolicy()
	oneshot.Oneshot = true
	ready.HasReadiness, ready.ReadyTimeout = true, 5*time.Second
	noSettle.Settle = 0
	cases := []struct {
		name    string
		p       Policy
		ev      Event
		want    Phase
		acts    string
		ready   bool
		settled bool
		cause   string
	}{
		{"plain service: ready for dependents, settle timer", testPolicy(), Event{Kind: EvSpawned, Pid: 7}, PhaseRunning, "set-timer:settle", true, false, ""},
		{"plain service, no settle window", noSettle, Event{Kind: EvSpawned, Pid: 7}, PhaseRunning, "", true, true, ""},
		{"oneshot: running, not ready until exit 0", oneshot, Event{Kind: EvSpawned, Pid: 7}, PhaseRunning, "", false, false, ""},
		{"readiness mechanism: probe and its timeout", ready, Event{Kind: EvSpawned, Pid: 7}, PhaseStarting, "start-readiness set-timer:ready", false, false, ""},
		{"spawn failed: failed at once, with the cause", testPolicy(), Event{Kind: EvSpawnFailed, Status: ExitStatus{Code: 126}, Cause: "unknown user www-data"}, PhaseFailed, "log", false, false, "unknown user www-data"},
	}
	for _, c := range cases {
		s := State{Phase: PhaseStarting, Want: WantUp}
		c.ev.Now = t0
		got, acts := Step(s, c.ev, c.p)
		if got.Phase != c.want || actionText(acts) != c.acts || got.Ready != c.ready || got.Settled != c.settled || got.Cause != c.cause {
			t.Errorf("%s: %s [%s] ready=%v settled=%v cause=%q, want %s [%s] ready=%v settled=%v cause=%q",
				c.name, got.Phase, actionText(acts), got.Ready, got.Settled, got.Cause, c.want, c.acts, c.ready, c.settled, c.cause)
		}
	}
}

func kinds(acts []Action) []ActionKind {
	var ks []ActionKind
	for _, a := range acts {
		if a.Kind != ActLog {
			ks = append(ks, a.Kind)
		}
	}
	return ks
}

func has(acts []Action, k ActionKind) *Action {
	for i := range acts {
		if acts[i].Kind == k {
			return &acts[i]
		}
	}
	return nil
}

func TestStopSendsSignalThenKills(t *testing.T) {
	p := testPolicy()
	p.StopSignal = syscall.SIGINT
	s, acts := Step(canonical(PhaseRunning), Event{Kind: EvDown, Now: t0}, p)
	if a := has(acts, ActSignal); a == nil || a.Signal != syscall.SIGINT {
		t.Fatalf("down: want SIGINT first, got %+v", acts)
	}
	tm := has(acts, ActSetTimer)
	if tm == nil || tm.Timer != TimerStop || tm.Delay != p.StopTimeout {
		t.Fatalf("down: want stop timer of %s, got %+v", p.StopTimeout, acts)
	}
	s2, acts := Step(s, Event{Kind: EvTimer, Timer: TimerStop, Gen: tm.Gen, Now: t0.Add(p.StopTimeout)}, p)
	if has(acts, ActKillGroup) == nil || s2.Phase != PhaseStopping {
		t.Fatalf("stop timeout: want SIGKILL to the group and still stopping, got %s %+v", s2.Phase, acts)
	}
	// A stale timer (older generation) does nothing.
	if _, acts := Step(s, Event{Kind: EvTimer, Timer: TimerStop, Gen: tm.Gen - 1, Now: t0}, p); len(acts) != 0 {
		t.Fatalf("stale timer acted: %+v", acts)
	}
	s3, _ := Step(s2, Event{Kind: EvExited, Status: ExitStatus{Signal: syscall.SIGKILL}, Now: t0.Add(p.StopTimeout)}, p)
	if s3.Phase != PhaseDown || s3.Restarts != 0 {
		t.Fatalf("after stop: %s restarts %d, want down 0", s3.Phase, s3.Restarts)
	}
}

// crash drives a running service through one death and returns the state
// and the restart delay chosen (-1 if none).
func crash(t *testing.T, s State, p Policy, now time.Time) (State, time.Duration) {
	t.Helper()
	s, acts := Step(s, Event{Kind: EvExited, Status: ExitStatus{Code: 1}, Now: now}, p)
	switch s.Phase {
	case PhaseWaiting:
		return s, 0
	case PhaseBackoff:
		tm := has(acts, ActSetTimer)
		s, _ = Step(s, Event{Kind: EvTimer, Timer: TimerBackoff, Gen: tm.Gen, Now: now.Add(tm.Delay)}, p)
		return s, tm.Delay
	}
	return s, -1
}

func respawn(s State, p Policy, now time.Time) State {
	s, _ = Step(s, Event{Kind: EvDepsReady, Now: now}, p)
	s, _ = Step(s, Event{Kind: EvSpawned, Pid: 100, Now: now}, p)
	return s
}

func TestCrashLoopBacksOffThenFails(t *testing.T) {
	p := testPolicy()
	p.StartLimitBurst, p.StartLimitInterval = 6, time.Minute
	s := canonical(PhaseRunning)
	now := t0
	var delays []time.Duration
	for s.Phase != PhaseFailed {
		var d time.Duration
		s, d = crash(t, s, p, now)
		if d < 0 {
			break
		}
		delays = append(delays, d)
		now = now.Add(d)
		s = respawn(s, p, now)
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
	if len(delays) != len(want) {
		t.Fatalf("delays %v, want %v", delays, want)
	}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays %v, want %v", delays, want)
		}
	}
	if s.Phase != PhaseFailed || s.Restarts != 5 {
		t.Fatalf("phase %s restarts %d, want failed after 5 restarts", s.Phase, s.Restarts)
	}
	// An operator up clears the failure and starts afresh.
	s, _ = Step(s, Event{Kind: EvUp, Now: now}, p)
	if s.Phase != PhaseWaiting || len(s.Deaths) != 0 || s.Streak != 0 {
		t.Fatalf("up after failed: %s deaths %d streak %d", s.Phase, len(s.Deaths), s.Streak)
	}
}

func TestBackoffCapsAndResetsAfterStableRun(t *testing.T) {
	p := testPolicy()
	p.BackoffMax = 300 * time.Millisecond
	if got := p.NextDelay(10); got != p.BackoffMax {
		t.Fatalf("NextDelay(10) = %s, want the cap %s", got, p.BackoffMax)
	}
	s := canonical(PhaseRunning)
	s.Streak = 5
	s.StartedAt = t0
	s, d := crash(t, s, p, t0.Add(p.BackoffReset))
	if d != 0 || s.Streak != 1 {
		t.Fatalf("after a stable run: delay %s streak %d, want 0 and 1", d, s.Streak)
	}
}

func TestRestartPolicies(t *testing.T) {
	cases := []struct {
		restart Restart
		oneshot bool
		exit    ExitStatus
		want    Phase
	}{
		{RestartAlways, false, ExitStatus{}, PhaseWaiting},
		{RestartAlways, false, ExitStatus{Signal: syscall.SIGSEGV}, PhaseWaiting},
		{RestartOnFailure, false, ExitStatus{}, PhaseDown},
		{RestartOnFailure, false, ExitStatus{Code: 2}, PhaseWaiting},
		{RestartNever, false, ExitStatus{}, PhaseDown},
		{RestartNever, false, ExitStatus{Code: 2}, PhaseFailed},
		{RestartNever, true, ExitStatus{}, PhaseDone},
		{RestartNever, true, ExitStatus{Code: 1}, PhaseFailed},
		{RestartOnFailure, true, ExitStatus{Code: 1}, PhaseWaiting},
	}
	for _, c := range cases {
		p := testPolicy()
		p.Restart, p.Oneshot = c.restart, c.oneshot
		s, _ := Step(canonical(PhaseRunning), Event{Kind: EvExited, Status: c.exit, Now: t0}, p)
		if s.Phase != c.want {
			t.Errorf("restart=%s oneshot=%v %s: %s, want %s", c.restart, c.oneshot, c.exit, s.Phase, c.want)
		}
		if c.want == PhaseDone && !s.Ready {
			t.Errorf("a successful oneshot must count as ready")
		}
	}
}

func TestFinishRunsWithStatusAndCanFailPermanently(t *testing.T) {
	p := testPolicy()
	p.HasFinish = true
	st := ExitStatus{Signal: syscall.SIGTERM}
	s, acts := Step(canonical(PhaseRunning), Event{Kind: EvExited, Status: st, Now: t0}, p)
	if a := has(acts, ActRunFinish); a == nil || a.Status != st || s.Phase != PhaseFinishing {
		t.Fatalf("want finish with %s, got %s %+v", st, s.Phase, acts)
	}
	tm := has(acts, ActSetTimer)
	if _, acts := Step(s, Event{Kind: EvTimer, Timer: TimerFinish, Gen: tm.Gen, Now: t0}, p); has(acts, ActKillFinish) == nil {
		t.Fatalf("finish timeout must kill finish: %+v", acts)
	}
	if s2, _ := Step(s, Event{Kind: EvFinished, Status: ExitStatus{Code: 125}, Now: t0}, p); s2.Phase != PhaseFailed {
		t.Fatalf("finish 125: %s, want failed", s2.Phase)
	}
	if s2, _ := Step(s, Event{Kind: EvFinished, Now: t0}, p); s2.Phase != PhaseWaiting {
		t.Fatalf("finish 0: %s, want waiting (restart)", s2.Phase)
	}
}

func TestOperatorRestartIsNotADeath(t *testing.T) {
	p := testPolicy()
	s, _ := Step(canonical(PhaseRunning), Event{Kind: EvRestart, Now: t0}, p)
	if s.Phase != PhaseStopping {
		t.Fatalf("restart: %s", s.Phase)
	}
	s, _ = Step(s, Event{Kind: EvExited, Status: ExitStatus{Signal: syscall.SIGTERM}, Now: t0}, p)
	if s.Phase != PhaseWaiting || len(s.Deaths) != 0 || s.Restarts != 1 {
		t.Fatalf("after restart: %s deaths %d restarts %d", s.Phase, len(s.Deaths), s.Restarts)
	}
}

func TestReadinessGatesRunning(t *testing.T) {
	p := testPolicy()
	p.HasReadiness, p.ReadyTimeout = true, time.Second
	s := canonical(PhaseWaiting)
	s, acts := Step(s, Event{Kind: EvDepsReady, Now: t0}, p)
	if got := kinds(acts); len(got) != 1 || got[0] != ActSpawn {
		t.Fatalf("deps ready: %v", got)
	}
	s, acts = Step(s, Event{Kind: EvSpawned, Pid: 7, Now: t0}, p)
	if s.Phase != PhaseStarting || s.Ready || has(acts, ActStartReadiness) == nil {
		t.Fatalf("spawned with readiness: %s ready=%v %+v", s.Phase, s.Ready, acts)
	}
	tm := has(acts, ActSetTimer)
	r, _ := Step(s, Event{Kind: EvReady, Now: t0}, p)
	if r.Phase != PhaseRunning || !r.Ready {
		t.Fatalf("ready: %s %v", r.Phase, r.Ready)
	}
	// Never ready: stopped, and the exit counts as a death that restarts it.
	s, _ = Step(s, Event{Kind: EvTimer, Timer: TimerReady, Gen: tm.Gen, Now: t0.Add(time.Second)}, p)
	if s.Phase != PhaseStopping {
		t.Fatalf("ready timeout: %s", s.Phase)
	}
	s, _ = Step(s, Event{Kind: EvExited, Status: ExitStatus{Signal: syscall.SIGTERM}, Now: t0.Add(time.Second)}, p)
	if s.Phase != PhaseWaiting || len(s.Deaths) != 1 {
		t.Fatalf("after ready timeout: %s deaths %d", s.Phase, len(s.Deaths))
	}
}

func TestOnceDoesNotRestart(t *testing.T) {
	p := testPolicy()
	s, _ := Step(canonical(PhaseDown), Event{Kind: EvOnce, Now: t0}, p)
	s = respawn(s, p, t0)
	s, _ = Step(s, Event{Kind: EvExited, Status: ExitStatus{Code: 3}, Now: t0}, p)
	if s.Phase != PhaseDown || s.LastExit == nil || s.LastExit.Code != 3 {
		t.Fatalf("once: %s %+v", s.Phase, s.LastExit)
	}
}

func TestStepDoesNotAliasDeaths(t *testing.T) {
	p := testPolicy()
	s := canonical(PhaseRunning)
	s.Deaths = make([]time.Time, 1, 8)
	before := s.Deaths
	Step(s, Event{Kind: EvExited, Status: ExitStatus{Code: 1}, Now: t0}, p)
	if len(before[:cap(before)]) > 1 && !before[:2][1].IsZero() {
		t.Fatal("Step wrote into the caller's Deaths backing array")
	}
}

// WasReady marks a service that came up since it was last brought up: it
// survives the run's end (a restart = "never" service that exited after
// starting did start) and is cleared by the next up.
func TestWasReady(t *testing.T) {
	p := testPolicy()
	p.Restart = RestartNever
	s := State{Phase: PhaseDown, Want: WantDown}
	s, _ = Step(s, Event{Kind: EvUp, Now: t0}, p)
	s, _ = Step(s, Event{Kind: EvDepsReady, Now: t0}, p)
	if s.WasReady {
		t.Fatal("ready before it was spawned")
	}
	s, _ = Step(s, Event{Kind: EvSpawned, Pid: 7, Now: t0}, p)
	if !s.Ready || !s.WasReady {
		t.Fatalf("spawned without readiness: ready=%v wasReady=%v", s.Ready, s.WasReady)
	}
	s, _ = Step(s, Event{Kind: EvExited, Status: ExitStatus{Code: 2}, Now: t0}, p)
	if s.Phase != PhaseFailed || s.Ready || !s.WasReady {
		t.Fatalf("after exit 2: %s ready=%v wasReady=%v", s.Phase, s.Ready, s.WasReady)
	}
	s, _ = Step(s, Event{Kind: EvUp, Now: t0}, p)
	if s.WasReady {
		t.Fatal("up did not clear WasReady")
	}
	// A spawn that fails never makes it ready.
	s, _ = Step(s, Event{Kind: EvDepsReady, Now: t0}, p)
	s, _ = Step(s, Event{Kind: EvSpawnFailed, Status: ExitStatus{Code: 127}, Now: t0}, p)
	if s.Phase != PhaseFailed || s.WasReady {
		t.Fatalf("after a failed spawn: %s wasReady=%v", s.Phase, s.WasReady)
	}
}

// actionText is a compact form of actions for the golden table: kinds,
// with the signal or timer they concern.
func actionText(acts []Action) string {
	var out []string
	for _, a := range acts {
		n := a.Kind.String()
		switch a.Kind {
		case ActSignal:
			n += ":" + signalName(a.Signal)
		case ActSetTimer, ActCancelTimer:
			n += ":" + a.Timer.String()
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}
