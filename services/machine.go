package services

import (
	"fmt"
	"syscall"
	"time"
)

// This file is the per-service state machine: a pure function
// Step(state, event) → (state, actions). It never touches a process, a
// clock or a timer; the engine feeds it events (with the time they
// happened) and carries out the actions it returns. That keeps every
// supervision decision table-testable without processes.

// stopCause says why a service is being stopped, which decides what its
// exit means.
type stopCause uint8

const (
	stopNone         stopCause = iota
	stopOperator               // down or shutdown: the exit is expected
	stopRestart                // operator restart: start again at once, not a death
	stopReadyTimeout           // never became ready: counts as a death
)

// State is everything the machine knows about one service.
type State struct {
	Phase     Phase
	Want      Want
	Pid       int
	Ready     bool
	WasReady  bool      // ready at least once since it was last brought up
	Settled   bool      // up for good: ready by its mechanism, or alive for Policy.Settle
	Unsettled int       // deaths before settling since it was last brought up
	Cause     string    // why it failed for good, when it did
	Since     time.Time // last phase change
	StartedAt time.Time // last spawn
	Restarts  int       // respawns after an exit
	LastExit  *ExitStatus
	Deaths    []time.Time // deaths within the start-limit interval
	Streak    int         // consecutive deaths without a stable run
	TimerGen  uint64
	Timer     TimerKind
	cause     stopCause
	exit      ExitStatus // the exit being finished
}

// NextDelay is the delay before the restart that follows the next death:
// 0 the first time, then initial, 2×initial, … capped at max.
func (p Policy) NextDelay(streak int) time.Duration {
	if streak <= 0 {
		return 0
	}
	d := p.BackoffInitial
	for i := 1; i < streak && d < p.BackoffMax; i++ {
		d *= 2
	}
	return min(d, p.BackoffMax)
}

// Step is the transition function. It copies s, applies ev and returns the
// new state with the actions to carry out, in order.
func Step(s State, ev Event, p Policy) (State, []Action) {
	m := machine{s: s, p: p, now: ev.Now}
	m.s.Deaths = append([]time.Time(nil), s.Deaths...)
	m.step(ev)
	return m.s, m.acts
}

type machine struct {
	s    State
	p    Policy
	now  time.Time
	acts []Action
}

func (m *machine) emit(a Action) { m.acts = append(m.acts, a) }

func (m *machine) logf(format string, args ...any) {
	m.emit(Action{Kind: ActLog, Message: fmt.Sprintf(format, args...)})
}

func (m *machine) enter(ph Phase) {
	if m.s.Phase != ph {
		m.s.Since = m.now
	}
	m.s.Phase = ph
}

func (m *machine) setTimer(k TimerKind, d time.Duration) {
	m.s.TimerGen++
	m.s.Timer = k
	m.emit(Action{Kind: ActSetTimer, Timer: k, Delay: d, Gen: m.s.TimerGen})
}

func (m *machine) cancelTimer() {
	if m.s.Timer != TimerNone {
		m.emit(Action{Kind: ActCancelTimer, Timer: m.s.Timer})
		m.s.Timer = TimerNone
	}
}

func (m *machine) step(ev Event) {
	switch ev.Kind {
	case EvUp, EvOnce:
		want := WantUp
		if ev.Kind == EvOnce {
			want = WantOnce
		}
		m.want(want)
	case EvDown:
		m.down()
	case EvRestart:
		m.restart()
	case EvDepsReady:
		if m.s.Phase == PhaseWaiting {
			m.enter(PhaseStarting)
			m.emit(Action{Kind: ActSpawn})
		}
	case EvSpawned:
		m.spawned(ev.Pid)
	case EvSpawnFailed:
		if m.s.Phase == PhaseStarting && m.s.Pid == 0 {
			m.spawnFailed(ev)
		}
	case EvReady:
		if m.s.Phase == PhaseStarting && m.s.Pid != 0 {
			m.s.Ready, m.s.WasReady = true, true
			m.settled()
			m.cancelTimer()
			m.emit(Action{Kind: ActStopReadiness})
			m.enter(PhaseRunning)
			m.logf("ready")
		}
	case EvExited:
		m.exited(ev.Status)
	case EvFinished:
		if m.s.Phase == PhaseFinishing {
			m.cancelTimer()
			m.afterExit(ev.Status.Code == 125 && ev.Status.Signal == 0)
		}
	case EvTimer:
		if ev.Gen == m.s.TimerGen && ev.Timer == m.s.Timer {
			m.s.Timer = TimerNone
			m.timer(ev.Timer)
		}
	}
}

// want handles up and once.
func (m *machine) want(w Want) {
	m.s.Want = w
	switch m.s.Phase {
	case PhaseDown, PhaseFailed, PhaseDone:
		m.s.Deaths = nil
		m.s.Streak = 0
		m.s.WasReady = false
		m.s.Unsettled = 0
		m.s.Cause = ""
		m.enter(PhaseWaiting)
	case PhaseStopping:
		if m.s.cause == stopOperator {
			m.s.cause = stopRestart
		}
	}
}

func (m *machine) down() {
	m.s.Want = WantDown
	switch m.s.Phase {
	case PhaseWaiting, PhaseBackoff, PhaseFailed, PhaseDone:
		m.cancelTimer()
		m.enter(PhaseDown)
	case PhaseStarting, PhaseRunning:
		m.stop(stopOperator)
	case PhaseStopping:
		m.s.cause = stopOperator
	}
}

func (m *machine) restart() {
	switch m.s.Phase {
	case PhaseStarting, PhaseRunning:
		if m.s.Pid == 0 { // spawn pending: nothing to stop yet
			return
		}
		if m.s.Want == WantDown {
			m.s.Want = WantUp
		}
		m.stop(stopRestart)
	case PhaseStopping:
		if m.s.Want == WantDown {
			m.s.Want = WantUp
		}
		m.s.cause = stopRestart
	case PhaseBackoff:
		m.cancelTimer()
		m.enter(PhaseWaiting)
	case PhaseDown, PhaseFailed, PhaseDone:
		m.want(WantUp)
	}
}

// stop sends the stop signal (and SIGCONT, so a stopped process can act on
// it) to the process group and arms the kill timer.
func (m *machine) stop(c stopCause) {
	m.s.cause = c
	m.emit(Action{Kind: ActStopReadiness})
	m.cancelTimer()
	m.emit(Action{Kind: ActSignal, Signal: m.p.StopSignal})
	if m.p.StopSignal != syscall.SIGCONT && m.p.StopSignal != syscall.SIGKILL {
		m.emit(Action{Kind: ActSignal, Signal: syscall.SIGCONT})
	}
	m.enter(PhaseStopping)
	m.setTimer(TimerStop, m.p.StopTimeout)
}

func (m *machine) spawned(pid int) {
	if m.s.Phase != PhaseStarting || m.s.Pid != 0 {
		return
	}
	m.s.Pid = pid
	m.s.StartedAt = m.now
	m.s.Since = m.now
	if m.p.Oneshot {
		// Running, not ready: its dependents wait for its exit 0.
		m.enter(PhaseRunning)
		return
	}
	if !m.p.HasReadiness {
		// runit semantics for dependents: ready once spawned. Up for good
		// (what `start` waits for) only after the settle window.
		m.s.Ready, m.s.WasReady = true, true
		m.enter(PhaseRunning)
		if m.p.Settle > 0 {
			m.setTimer(TimerSettle, m.p.Settle)
		} else {
			m.settled()
		}
		return
	}
	m.emit(Action{Kind: ActStartReadiness})
	if m.p.ReadyTimeout > 0 {
		m.setTimer(TimerReady, m.p.ReadyTimeout)
	}
}

// settled marks the service up for good.
func (m *machine) settled() {
	m.s.Settled = true
	m.s.Unsettled = 0
}

// spawnFailed: the run program could not be started at all (no such file,
// not executable, unknown user or group). Trying again cannot help.
func (m *machine) spawnFailed(ev Event) {
	cause := ev.Cause
	if cause == "" {
		cause = ev.Status.String()
	}
	m.logf("cannot start: %s", cause)
	m.clearRun(ev.Status)
	m.fail(cause)
}

// fail gives up on the service at once.
func (m *machine) fail(cause string) {
	m.s.Cause = cause
	m.s.Unsettled++
	m.s.cause = stopNone
	m.enter(PhaseFailed)
}

// deterministic reports an exit that a restart would only repeat: the
// shell's 126 (not executable) and 127 (not found) before the service
// ever settled.
func deterministic(st ExitStatus, settled bool) bool {
	return !settled && st.Signal == 0 && (st.Code == 126 || st.Code == 127)
}

func (m *machine) exited(st ExitStatus) {
	switch m.s.Phase {
	case PhaseStarting, PhaseRunning:
		if m.s.Pid == 0 {
			return
		}
		m.emit(Action{Kind: ActStopReadiness})
		m.cancelTimer()
		if m.p.KillLeftovers {
			// What the dead main process left in its group (nginx's
			// workers holding the port) must not outlive it.
			m.emit(Action{Kind: ActKillGroup})
		}
		m.logf("exited: %s", st)
		if deterministic(st, m.s.Settled) && !m.p.HasFinish {
			m.clearRun(st)
			m.fail(fmt.Sprintf("%s: %s", st, exitMeaning(st.Code)))
			return
		}
		m.died(st, m.p.HasFinish)
	case PhaseStopping:
		m.cancelTimer()
		// The leader is gone; whatever else is left of its group was sent
		// the stop signal too and is not waited for.
		m.emit(Action{Kind: ActKillGroup})
		m.logf("stopped: %s", st)
		cause := m.s.cause
		m.clearRun(st)
		if cause == stopReadyTimeout {
			m.countDeath()
		}
		m.finishOr(st)
	}
}

func exitMeaning(code int) string {
	if code == 126 {
		return "a program could not be executed"
	}
	return "a program was not found"
}

// died records an unexpected end of the main process.
func (m *machine) died(st ExitStatus, runFinish bool) {
	if !m.s.Settled && st.Failed() {
		m.s.Unsettled++ // a clean exit 0 ended its work; it did not fail to start
	}
	m.clearRun(st)
	m.s.cause = stopNone
	if m.s.Want == WantUp && !(m.p.Oneshot && !st.Failed()) {
		m.countDeath()
	}
	if runFinish {
		m.finishOr(st)
		return
	}
	m.afterExit(false)
}

func (m *machine) clearRun(st ExitStatus) {
	if !m.s.StartedAt.IsZero() && m.now.Sub(m.s.StartedAt) >= m.p.BackoffReset {
		m.s.Streak = 0 // it had been stable: the next restart is immediate again
	}
	m.s.Pid = 0
	m.s.Ready = false
	m.s.Settled = false
	m.s.exit = st
	m.s.LastExit = &st
}

func (m *machine) countDeath() {
	m.s.Deaths = append(m.s.Deaths, m.now)
	cut := m.now.Add(-m.p.StartLimitInterval)
	i := 0
	for i < len(m.s.Deaths) && !m.s.Deaths[i].After(cut) {
		i++
	}
	m.s.Deaths = m.s.Deaths[i:]
}

// finishOr runs the finish script if there is one, else decides at once.
func (m *machine) finishOr(st ExitStatus) {
	if !m.p.HasFinish {
		m.afterExit(false)
		return
	}
	m.emit(Action{Kind: ActRunFinish, Status: st})
	m.enter(PhaseFinishing)
	m.setTimer(TimerFinish, m.p.FinishTimeout)
}

// afterExit decides what follows an exit once finish (if any) is done.
func (m *machine) afterExit(permanent bool) {
	st, cause := m.s.exit, m.s.cause
	m.s.cause = stopNone
	switch {
	case permanent:
		m.logf("finish exited 125: permanent failure")
		m.enter(PhaseFailed)
	case cause == stopRestart:
		m.s.Restarts++
		m.enter(PhaseWaiting)
	case m.s.Want == WantDown:
		m.enter(PhaseDown)
	case m.p.Oneshot && !st.Failed():
		m.s.Want = WantDown
		m.s.Ready, m.s.WasReady = true, true // a oneshot is "ready" once it succeeded
		m.settled()
		m.enter(PhaseDone)
	case m.s.Want == WantOnce:
		m.s.Want = WantDown
		m.enter(PhaseDown)
	case !m.mayRestart(st):
		if st.Failed() {
			m.enter(PhaseFailed)
		} else {
			m.enter(PhaseDown)
		}
	case len(m.s.Deaths) >= m.p.StartLimitBurst:
		m.logf("failed: %d deaths within %s", len(m.s.Deaths), m.p.StartLimitInterval)
		m.enter(PhaseFailed)
	default:
		m.s.Restarts++
		d := m.p.NextDelay(m.s.Streak)
		m.s.Streak++
		if d == 0 {
			m.enter(PhaseWaiting)
			return
		}
		m.logf("restarting in %s", d)
		m.enter(PhaseBackoff)
		m.setTimer(TimerBackoff, d)
	}
}

func (m *machine) mayRestart(st ExitStatus) bool {
	switch m.p.Restart {
	case RestartNever:
		return false
	case RestartOnFailure:
		return st.Failed()
	}
	return true
}

func (m *machine) timer(k TimerKind) {
	switch {
	case k == TimerBackoff && m.s.Phase == PhaseBackoff:
		m.enter(PhaseWaiting)
	case k == TimerStop && m.s.Phase == PhaseStopping:
		m.logf("did not stop within %s: sending SIGKILL to its process group", m.p.StopTimeout)
		m.emit(Action{Kind: ActKillGroup})
	case k == TimerFinish && m.s.Phase == PhaseFinishing:
		m.logf("finish did not exit within %s: killing it", m.p.FinishTimeout)
		m.emit(Action{Kind: ActKillFinish})
	case k == TimerSettle && m.s.Phase == PhaseRunning:
		m.settled()
	case k == TimerReady && m.s.Phase == PhaseStarting:
		m.logf("not ready within %s: stopping it", m.p.ReadyTimeout)
		m.stop(stopReadyTimeout)
	}
}
