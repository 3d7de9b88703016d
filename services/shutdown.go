package services

import (
	"syscall"
	"time"
)

// shutdown tracks an orderly stop: services in reverse dependency order
// (settle does that), then SIGTERM to whatever is left, then SIGKILL —
// moving on as soon as nothing is left, and never past a hard deadline.
type shutdown struct {
	stage    int // 0: services stopping, 1: leftovers got TERM, 2: leftovers got KILL
	stageAt  time.Time
	deadline time.Time
	timer    Timer
}

func (e *Engine) beginShutdown() {
	if e.shutdown != nil {
		return
	}
	bound := e.shutdownBound()
	e.log.Info("shutting down", "bound", bound)
	e.stats.ShuttingDown = true
	e.shutdown = &shutdown{deadline: e.clock.Now().Add(bound)}
	e.shutdown.timer = e.clock.AfterFunc(bound, func() { e.evC <- unitEvent{kind: evDeadline} })
}

// shutdownBound is the longest chain of stop and finish timeouts along the
// dependency graph, plus the grace period for leftovers and a margin.
func (e *Engine) shutdownBound() time.Duration {
	memo := map[string]time.Duration{}
	var chain func(u *unit, depth int) time.Duration
	chain = func(u *unit, depth int) time.Duration {
		if d, ok := memo[u.spec.Name]; ok {
			return d
		}
		own := u.spec.Policy.StopTimeout + u.spec.Policy.FinishTimeout
		var longest time.Duration
		if depth < len(e.units) { // cycles cannot recurse forever
			for _, o := range e.units {
				if o.dependsOn(u.spec.Name) {
					longest = max(longest, chain(o, depth+1))
				}
			}
		}
		memo[u.spec.Name] = own + longest
		return own + longest
	}
	var worst time.Duration
	for _, u := range e.units {
		worst = max(worst, chain(u, 0))
	}
	return worst + e.cfg.Grace + time.Second
}

// advance moves the shutdown on; it reports true when it is complete.
func (s *shutdown) advance(e *Engine) bool {
	now := e.clock.Now()
	late := !now.Before(s.deadline)
	switch s.stage {
	case 0:
		if !e.allQuiet() && !late {
			return false
		}
		if late {
			e.log.Warn("shutdown deadline passed: killing every service")
			for _, u := range e.units {
				e.signalGroup(u, sigKill)
			}
		}
		s.stage, s.stageAt = 1, now
		e.killLeftovers(syscall.SIGTERM)
		return !e.anyLeft()
	case 1:
		if !e.anyLeft() {
			return true
		}
		if now.Sub(s.stageAt) >= e.cfg.Grace || late {
			e.log.Warn("leftover processes did not exit: sending SIGKILL")
			s.stage, s.stageAt = 2, now
			e.killLeftovers(syscall.SIGKILL)
		}
	case 2:
		return !e.anyLeft() || now.Sub(s.stageAt) > time.Second
	}
	return false
}

func (e *Engine) allQuiet() bool {
	for _, u := range e.units {
		if !u.quiet() {
			return false
		}
	}
	return true
}

// killLeftovers signals every process group jinit ever started that still
// exists, then every other descendant the platform can find.
func (e *Engine) killLeftovers(sig syscall.Signal) {
	for pg := range e.groups {
		if groupGone(e.proc.SignalGroup(pg, sig)) {
			delete(e.groups, pg)
		}
	}
	e.proc.SignalDescendants(sig)
}

func (e *Engine) anyLeft() bool {
	for pg := range e.groups {
		if groupGone(e.proc.SignalGroup(pg, 0)) {
			delete(e.groups, pg)
			continue
		}
		return true
	}
	return e.proc.AnyDescendants()
}
