package services

import (
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

// TestStepEveryPair checks the resulting phase for every (phase, event).
func TestStepEveryPair(t *testing.T) {
	// expected[phase][event]; "-" means unchanged.
	D, W, S, R, X, F, B, L, O := PhaseDown, PhaseWaiting, PhaseStarting, PhaseRunning, PhaseStopping, PhaseFinishing, PhaseBackoff, PhaseFailed, PhaseDone
	expected := map[Phase][numEventKinds]Phase{
		//            up  down once restart deps spawned spfail ready exited finished timer
		PhaseDown:      {W, D, W, W, D, D, D, D, D, D, D},
		PhaseWaiting:   {W, D, W, W, S, W, W, W, W, W, W},
		PhaseStarting:  {S, X, S, X, S, S, S, R, W, S, S},
		PhaseRunning:   {R, X, R, X, R, R, R, R, W, R, R},
		PhaseStopping:  {X, X, X, X, X, X, X, X, D, X, X},
		PhaseFinishing: {F, F, F, F, F, F, F, F, F, D, F},
		PhaseBackoff:   {B, D, B, W, B, B, B, B, B, B, W},
		PhaseFailed:    {W, D, W, W, L, L, L, L, L, L, L},
		PhaseDone:      {W, D, W, W, O, O, O, O, O, O, O},
	}
	for ph := Phase(0); ph < numPhases; ph++ {
		for k := EventKind(0); k < numEventKinds; k++ {
			s := canonical(ph)
			got, _ := Step(s, event(k, s), testPolicy())
			if want := expected[ph][k]; got.Phase != want {
				t.Errorf("%s + %s: phase %s, want %s", ph, k, got.Phase, want)
			}
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
