package services

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Config configures an Engine.
type Config struct {
	Dir    string       // the scan directory, e.g. /etc/service
	Log    hclog.Logger // jinit's own diagnostics
	Reaper *Reaper      // the process's single waiter

	// Output returns the stdout and stderr a service's processes get. Nil
	// (or nil files) means jinit's own.
	Output func(service string) (stdout, stderr *os.File)
	// Message receives jinit's own lines about a service ("exited: exit 3",
	// "restarting in 200ms") so they land in that service's log.
	Message func(service, msg string)
	// Exe is jinit's executable; services with rlimits are started through
	// it (`jinit rlimit-exec`) because fork+exec in Go cannot set them.
	Exe string

	// Grace is how long leftover processes get between SIGTERM and SIGKILL
	// at the end of a shutdown (default 2 s). It ends early once nothing is left.
	Grace time.Duration

	// Tail returns the last n lines a service wrote, for the error that
	// tells why it failed to start. Nil: errors carry no log lines.
	Tail func(service string, n int) []string

	// Tee receives, once per service with a log/ service, the write end of
	// the pipe to that logger: whoever captures the service's stdout copies
	// it there. Nil: the service's stdout is the pipe itself.
	Tee func(service string, w *os.File)

	// Profile is the jail's security profile, named in the start error of
	// a service whose last lines say an operation was not permitted.
	Profile string

	// Spawner and Clock are how the engine reaches processes and time;
	// nil means the real ones (Processes, the wall clock). Tests of the
	// engine give fakes.
	Spawner Spawner
	Clock   Clock
}

// Engine supervises the services of one scan directory. One goroutine (Run)
// owns all of its state; other goroutines talk to it through Do.
type Engine struct {
	cfg   Config
	log   hclog.Logger
	proc  Spawner
	clock Clock
	units map[string]*unit
	pids  map[int]pidRef
	reqC  chan *request
	evC   chan unitEvent

	waiters  []*waiter
	invalid  []error             // what the last scan could not load
	pollT    Timer               // the shutdown's poll for leftovers
	logPipes map[string]*logPipe // service → its log service's stdin
	stats    Stats
	shutdown *shutdown
	seq      uint64           // spawn generations
	groups   map[int]struct{} // every process group started, until it is gone
}

type pidKind uint8

const (
	pidMain pidKind = iota
	pidFinish
	pidCheck
	pidExec
	pidControl // a control/X script (runit)
)

type pidRef struct {
	unit *unit
	kind pidKind
	gen  uint64
	done chan ExitStatus // pidExec: receives the exit status
	ctl  byte            // pidControl: the command it handles
}

// New prepares an engine; Run starts it.
func New(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 2 * time.Second
	}
	if cfg.Spawner == nil {
		cfg.Spawner = Processes{}
	}
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	return &Engine{
		cfg:      cfg,
		log:      cfg.Log,
		proc:     cfg.Spawner,
		clock:    cfg.Clock,
		units:    map[string]*unit{},
		pids:     map[int]pidRef{},
		groups:   map[int]struct{}{},
		logPipes: map[string]*logPipe{},
		reqC:     make(chan *request),
		evC:      make(chan unitEvent, 256),
		stats:    Stats{Started: cfg.Clock.Now()},
	}
}

// Run supervises until a shutdown (ctx cancelled or a shutdown command) has
// stopped every service and every leftover process.
func (e *Engine) Run(ctx context.Context) error {
	e.rescan()
	e.settle()
	done := ctx.Done()
	polling := false
	for {
		select {
		case ex, ok := <-e.cfg.Reaper.C:
			if !ok {
				return fmt.Errorf("run supervisor: reaper stopped")
			}
			e.onExit(ex)
		case ev := <-e.evC:
			e.onUnitEvent(ev)
		case r := <-e.reqC:
			e.onRequest(r)
		case <-done:
			done = nil
			e.beginShutdown()
		}
		e.settle()
		if e.shutdown != nil {
			if finished := e.shutdown.advance(e); finished {
				e.failWaiters("supervisor shut down")
				if e.pollT != nil {
					e.pollT.Stop()
				}
				for _, u := range e.units {
					if u.sup != nil {
						u.sup.close()
					}
				}
				return nil
			}
			if !polling && e.shutdown.stage > 0 {
				// Only while the last leftovers are being killed: a short
				// poll, because orphans of orphans may not be our children.
				polling = true
				e.poll()
			}
		}
	}
}

// settle applies the consequences of the last event until nothing changes:
// waiting services whose dependencies became ready start; during a shutdown,
// services whose dependents are all down stop.
func (e *Engine) settle() {
	for changed := true; changed; {
		changed = false
		for _, name := range e.names() {
			u := e.units[name]
			switch {
			case e.shutdown != nil && u.active() && e.dependentsStopped(u):
				changed = e.apply(u, Event{Kind: EvDown}) || changed
			case e.shutdown == nil && u.st.Phase == PhaseWaiting && len(e.waitingFor(u)) == 0:
				changed = e.apply(u, Event{Kind: EvDepsReady}) || changed
			case u.removed && u.quiet():
				e.drop(u)
				changed = true
			}
		}
	}
	e.checkWaiters()
}

func (e *Engine) names() []string {
	ns := make([]string, 0, len(e.units))
	for n := range e.units {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// apply runs one event through the state machine and carries out the
// actions. It reports whether the phase changed.
func (e *Engine) apply(u *unit, ev Event) bool {
	if ev.Now.IsZero() {
		ev.Now = e.clock.Now()
	}
	before := u.st.Phase
	st, acts := Step(u.st, ev, u.spec.Policy)
	u.st = st
	for _, a := range acts {
		e.act(u, a)
	}
	e.writeSupervise(u)
	if u.st.Phase != before {
		e.log.Debug("service state", "service", u.spec.Name, "from", before, "to", u.st.Phase, "event", ev.Kind)
	}
	return u.st.Phase != before
}

func (e *Engine) act(u *unit, a Action) {
	switch a.Kind {
	case ActSpawn:
		e.spawn(u)
	case ActSignal:
		e.signalGroup(u, a.Signal)
	case ActKillGroup:
		e.signalGroup(u, sigKill)
	case ActRunFinish:
		e.runFinish(u, a.Status)
	case ActKillFinish:
		if u.finishPid > 0 {
			e.killGroup(u.finishPid, sigKill)
		}
	case ActStartReadiness:
		e.startReadiness(u)
	case ActStopReadiness:
		u.stopReadiness()
	case ActSetTimer:
		e.setTimer(u, a)
	case ActCancelTimer:
		if u.timer != nil {
			u.timer.Stop()
			u.timer = nil
		}
	case ActLog:
		e.message(u.spec.Name, a.Message)
	}
}

func (e *Engine) message(service, msg string) {
	e.log.Info(msg, "service", service)
	if e.cfg.Message != nil {
		e.cfg.Message(service, msg)
	}
}

// unitEvent is an event produced off the engine goroutine (timers,
// readiness probes) for one service.
type unitEvent struct {
	name  string
	kind  EventKind
	timer TimerKind
	gen   uint64
	ctl   byte // evControl: the command byte
}

func (e *Engine) setTimer(u *unit, a Action) {
	if u.timer != nil {
		u.timer.Stop()
	}
	ev := unitEvent{name: u.spec.Name, kind: EvTimer, timer: a.Timer, gen: a.Gen}
	u.timer = e.clock.AfterFunc(a.Delay, func() { e.evC <- ev })
}

// poll wakes the engine in 20 ms; each wake-up arms the next until the
// shutdown is over.
func (e *Engine) poll() {
	e.pollT = e.clock.AfterFunc(20*time.Millisecond, func() { e.evC <- unitEvent{kind: evPoll} })
}

// Engine-internal event kinds, beyond the machine's.
const (
	evCheckAgain    EventKind = 200 + iota // run the readiness check again
	evWaiterTimeout                        // a wait-ready deadline passed
	evDeadline                             // the shutdown's hard deadline passed
	evPoll                                 // look again for leftover processes
	evControl                              // a command byte on supervise/control
)

func (e *Engine) onUnitEvent(ev unitEvent) {
	if ev.kind == evPoll {
		e.poll()
		return
	}
	if ev.kind == evWaiterTimeout || ev.kind == evDeadline {
		return // settle re-checks waiters and the shutdown
	}
	u := e.units[ev.name]
	if u == nil {
		return
	}
	switch ev.kind {
	case evCheckAgain:
		if ev.gen == u.spawnGen && u.st.Phase == PhaseStarting {
			e.runCheck(u)
		}
	case evControl:
		e.control(u, ev.ctl)
	case EvTimer:
		e.apply(u, Event{Kind: EvTimer, Timer: ev.timer, Gen: ev.gen})
	case EvReady:
		if ev.gen == u.spawnGen {
			e.apply(u, Event{Kind: EvReady})
		}
	}
}

// onExit dispatches one reaped process to its owner.
func (e *Engine) onExit(ex Exit) {
	ref, ok := e.pids[ex.Pid]
	if !ok {
		e.stats.OrphansReaped++
		return
	}
	delete(e.pids, ex.Pid)
	u, st := ref.unit, FromWaitStatus(ex.Status)
	switch ref.kind {
	case pidExec:
		ref.done <- st
	case pidMain:
		if u.st.Pid == ex.Pid {
			e.apply(u, Event{Kind: EvExited, Status: st})
		}
	case pidFinish:
		u.finishPid = 0
		e.apply(u, Event{Kind: EvFinished, Status: st})
	case pidCheck:
		e.checkDone(u, ref.gen, st)
	case pidControl:
		e.controlDone(u, ref.ctl, st)
	}
}

// waitingFor lists the dependencies of u that are not satisfied yet: a
// service is satisfied when it is ready (a oneshot: when it succeeded).
func (e *Engine) waitingFor(u *unit) []string {
	var out []string
	for _, d := range u.spec.Depends {
		if dep := e.units[d]; dep == nil || !dep.st.Ready {
			out = append(out, d)
		}
	}
	return out
}

// dependentsStopped reports whether every service that depends on u is down.
func (e *Engine) dependentsStopped(u *unit) bool {
	for _, o := range e.units {
		if o.active() && o.dependsOn(u.spec.Name) {
			return false
		}
	}
	return true
}

func (e *Engine) drop(u *unit) {
	u.stopReadiness()
	if u.sup != nil {
		u.sup.close()
	}
	if u.timer != nil {
		u.timer.Stop()
	}
	delete(e.units, u.spec.Name)
	e.message(u.spec.Name, "removed")
}
