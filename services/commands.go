package services

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Verbs the engine understands (the control protocol uses the same words).
const (
	VerbStatus    = "status"
	VerbUp        = "up"
	VerbDown      = "down"
	VerbRestart   = "restart"
	VerbOnce      = "once"
	VerbSignal    = "signal"
	VerbRescan    = "rescan"
	VerbShutdown  = "shutdown"
	VerbWaitReady = "wait-ready"
)

// Command is one operator request.
type Command struct {
	Verb    string
	Service string        // empty: every service (status, wait-ready)
	Signal  string        // for VerbSignal
	Timeout time.Duration // for VerbWaitReady; 0 means no limit
}

// Reply answers a Command.
type Reply struct {
	Services []Status
	Stats    Stats
}

type request struct {
	cmd   Command
	exec  *ExecSpec
	reply chan result
}

type result struct {
	r    Reply
	err  error
	pid  int
	done chan ExitStatus
}

type waiter struct {
	names    []string
	deadline time.Time
	reply    chan result
	timer    Timer
}

// ErrShutdown is returned to commands that arrive after the supervisor stopped.
var ErrShutdown = errors.New("supervisor is shutting down")

// Do sends a command to the engine and waits for its answer.
func (e *Engine) Do(ctx context.Context, cmd Command) (Reply, error) {
	r := &request{cmd: cmd, reply: make(chan result, 1)}
	select {
	case e.reqC <- r:
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res.r, res.err
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	}
}

func (e *Engine) onRequest(r *request) {
	c := r.cmd
	var err error
	switch c.Verb {
	case VerbStatus:
	case VerbRescan:
		e.rescan()
	case VerbShutdown:
		e.beginShutdown()
	case VerbWaitReady:
		e.addWaiter(r)
		return
	case verbExec:
		pid, done, err := e.startExec(r.exec)
		r.reply <- result{pid: pid, done: done, err: err}
		return
	case VerbUp, VerbDown, VerbRestart, VerbOnce, VerbSignal:
		err = e.operate(c)
	default:
		err = fmt.Errorf("unknown verb %q", c.Verb)
	}
	r.reply <- e.answer(c.Service, err)
}

func (e *Engine) answer(service string, err error) result {
	if err != nil {
		return result{err: err}
	}
	st, err := e.statuses(service)
	return result{r: Reply{Services: st, Stats: e.stats}, err: err}
}

func (e *Engine) operate(c Command) error {
	u := e.units[c.Service]
	if u == nil {
		return fmt.Errorf("%s %s: no such service", c.Verb, c.Service)
	}
	if e.shutdown != nil && c.Verb != VerbDown && c.Verb != VerbSignal {
		return ErrShutdown
	}
	switch c.Verb {
	case VerbUp:
		e.apply(u, Event{Kind: EvUp})
	case VerbDown:
		e.apply(u, Event{Kind: EvDown})
	case VerbRestart:
		e.apply(u, Event{Kind: EvRestart})
	case VerbOnce:
		e.apply(u, Event{Kind: EvOnce})
	case VerbSignal:
		sig, err := ParseSignal(c.Signal)
		if err != nil {
			return fmt.Errorf("signal %s: %w", c.Service, err)
		}
		if u.st.Pid == 0 {
			return fmt.Errorf("signal %s: service is not running", c.Service)
		}
		e.killGroup(u.st.Pid, sig)
	}
	return nil
}

func (e *Engine) statuses(service string) ([]Status, error) {
	if service != "" {
		u := e.units[service]
		if u == nil {
			return nil, fmt.Errorf("status %s: no such service", service)
		}
		return []Status{e.status(u)}, nil
	}
	out := make([]Status, 0, len(e.units))
	for _, n := range e.names() {
		out = append(out, e.status(e.units[n]))
	}
	return out, nil
}

func (e *Engine) status(u *unit) Status {
	s := Status{
		Name: u.spec.Name, State: u.st.Phase.String(), Want: u.st.Want.String(),
		Pid: u.st.Pid, Since: u.st.Since, Ready: u.st.Ready, Restarts: u.st.Restarts,
		LastExit: u.st.report(), Oneshot: u.spec.Policy.Oneshot,
	}
	if u.st.Phase == PhaseWaiting {
		s.WaitingFor = e.waitingFor(u)
	}
	return s
}

// addWaiter parks a wait-ready request until its services are ready, one
// of them fails, or its timeout passes.
func (e *Engine) addWaiter(r *request) {
	w := &waiter{reply: r.reply}
	if r.cmd.Service != "" {
		if e.units[r.cmd.Service] == nil {
			r.reply <- result{err: fmt.Errorf("wait-ready %s: no such service", r.cmd.Service)}
			return
		}
		w.names = []string{r.cmd.Service}
	}
	if r.cmd.Timeout > 0 {
		w.deadline = e.clock.Now().Add(r.cmd.Timeout)
		w.timer = e.clock.AfterFunc(r.cmd.Timeout, func() { e.evC <- unitEvent{kind: evWaiterTimeout} })
	}
	e.waiters = append(e.waiters, w)
}

// checkWaiters answers the waiters that can be answered now.
func (e *Engine) checkWaiters() {
	kept := e.waiters[:0]
	now := e.clock.Now()
	for _, w := range e.waiters {
		done, err := e.waitState(w, now)
		if !done {
			kept = append(kept, w)
			continue
		}
		if w.timer != nil {
			w.timer.Stop()
		}
		w.reply <- e.answer("", err)
	}
	e.waiters = kept
}

// waitState decides a waiter: every wanted service ready (or a successful
// oneshot), or an error naming what failed or is still not ready.
func (e *Engine) waitState(w *waiter, now time.Time) (bool, error) {
	if e.shutdown != nil {
		return true, ErrShutdown
	}
	names := w.names
	se := &StartError{}
	if names == nil {
		names = e.names()
		se.Invalid = e.invalid
	}
	for _, n := range names {
		u := e.units[n]
		switch {
		case u == nil:
			se.Failed = append(se.Failed, StartFailure{Service: n, Cause: "removed"})
		case u.st.Settled, u.st.Phase == PhaseDone:
		case u.st.WasReady && u.st.Unsettled == 0 && (u.st.Phase == PhaseFailed || u.st.Phase == PhaseDown):
			// It started, then ended for good (restart = "never"): its
			// start succeeded whenever this request came in; what became
			// of it since is in its status.
		case u.st.Phase == PhaseFailed || u.st.Unsettled > 0:
			// Failed for good, or died before it settled: a crash loop
			// is never "started", and its answer does not wait for the
			// restart burst to run out.
			se.Failed = append(se.Failed, e.failure(u))
		case u.st.Want == WantDown && w.names == nil:
			// Not wanted (a down file): not waited for.
		default:
			se.Pending = append(se.Pending, n+" ("+u.st.Phase.String()+")")
		}
	}
	timedOut := !w.deadline.IsZero() && !now.Before(w.deadline)
	switch {
	case len(se.Failed) > 0 || len(se.Invalid) > 0 || (timedOut && len(se.Pending) > 0):
		return true, se
	case len(se.Pending) == 0:
		return true, nil
	}
	return false, nil
}

// failure describes why u did not come up, with its last log lines.
func (e *Engine) failure(u *unit) StartFailure {
	f := StartFailure{Service: u.spec.Name, Cause: u.st.Cause}
	if f.Cause == "" {
		f.Cause = "never started"
		if u.st.LastExit != nil {
			f.Cause = "exited: " + u.st.LastExit.String()
		}
		if u.st.Phase != PhaseFailed {
			f.Cause += " before it settled, " + u.st.Phase.String()
		} else {
			f.Cause = "failed: " + f.Cause
		}
	}
	if e.cfg.Tail != nil {
		f.Log = e.cfg.Tail(u.spec.Name, TailLines)
	}
	if e.cfg.Profile != "" && slices.ContainsFunc(f.Log, func(l string) bool { return strings.Contains(l, "Operation not permitted") }) {
		f.Cause += fmt.Sprintf("; it was refused an operation, which the jail's profile %q may deny (docs/SECURITY.md lists what each profile denies)", e.cfg.Profile)
	}
	return f
}

func (e *Engine) failWaiters(msg string) {
	for _, w := range e.waiters {
		w.reply <- result{err: errors.New(msg)}
	}
	e.waiters = nil
}

// rescan reads the scan directory again: new services start (unless they
// have a down file), removed ones stop and are dropped, changed definitions
// take effect at their next start.
func (e *Engine) rescan() {
	svcs, errs := Scan(e.cfg.Dir)
	for _, err := range errs {
		e.log.Error("invalid service", "error", err)
	}
	if err := CheckGraph(svcs); err != nil {
		e.log.Error("service dependencies", "error", err)
		errs = append(errs, err)
	}
	e.invalid = errs
	seen := map[string]bool{}
	for _, s := range svcs {
		seen[s.Name] = true
		if u := e.units[s.Name]; u != nil {
			u.spec, u.removed = s, false
			continue
		}
		u := &unit{spec: s, st: State{Since: e.clock.Now()}}
		e.units[s.Name] = u
		e.openSupervise(u)
		if !s.Down && e.shutdown == nil {
			e.apply(u, Event{Kind: EvUp})
		}
	}
	for name, u := range e.units {
		if !seen[name] && !u.removed {
			u.removed = true
			e.apply(u, Event{Kind: EvDown})
		}
	}
	sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
}
