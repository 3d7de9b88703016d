package services

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeProcs is a Spawner that starts nothing: it hands out pids, records
// what was started and signalled, and keeps a group "alive" until the test
// delivers its leader's exit (or SIGKILLs a group left lingering).
type fakeProcs struct {
	mu      sync.Mutex
	next    int
	started []fakeProc
	signals []fakeSignal
	alive   map[int]bool // process groups
	linger  map[int]bool // groups that outlive their leader until SIGKILL
	fail    map[string]error
}

type fakeProc struct {
	Proc
	pid int
}

type fakeSignal struct {
	service string
	pgid    int
	sig     syscall.Signal
}

func newFakeProcs() *fakeProcs {
	return &fakeProcs{next: 100, alive: map[int]bool{}, linger: map[int]bool{}, fail: map[string]error{}}
}

func (f *fakeProcs) Start(p Proc) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail[p.Service]; err != nil && p.Kind == ProcRun {
		return 0, err
	}
	f.next++
	f.started = append(f.started, fakeProc{p, f.next})
	f.alive[f.next] = true
	return f.next, nil
}

func (f *fakeProcs) SignalGroup(pgid int, sig syscall.Signal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.alive[pgid] {
		return syscall.ESRCH
	}
	if sig != 0 {
		f.signals = append(f.signals, fakeSignal{f.serviceOf(pgid), pgid, sig})
	}
	if sig == syscall.SIGKILL && f.linger[pgid] {
		delete(f.alive, pgid)
	}
	return nil
}

func (f *fakeProcs) SignalDescendants(syscall.Signal) {}
func (f *fakeProcs) AnyDescendants() bool             { return false }

func (f *fakeProcs) serviceOf(pid int) string {
	for _, p := range f.started {
		if p.pid == pid {
			return p.Service
		}
	}
	return ""
}

// last returns the pid of the latest process of kind for service, 0 if none.
func (f *fakeProcs) last(service string, kind ProcKind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.started) - 1; i >= 0; i-- {
		if p := f.started[i]; p.Service == service && p.Kind == kind {
			return p.pid
		}
	}
	return 0
}

// runOrder lists the services in the order their run programs started.
func (f *fakeProcs) runOrder() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.started {
		if p.Kind == ProcRun {
			out = append(out, p.Service)
		}
	}
	return out
}

// sent lists the signals sent, with the service whose group got them.
func (f *fakeProcs) sent(sig syscall.Signal) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.signals {
		if s.sig == sig {
			out = append(out, s.service)
		}
	}
	return out
}

// exited marks pid's group gone, unless it lingers.
func (f *fakeProcs) exited(pid int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.linger[pid] {
		delete(f.alive, pid)
	}
}

// fakeClock is a Clock that moves only when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// advance moves time on by d, firing every timer that falls due, in order.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		slices.SortStableFunc(c.timers, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
		var due *fakeTimer
		for i, t := range c.timers {
			if !t.stopped && !t.at.After(end) {
				due = t
				c.timers = slices.Delete(c.timers, i, i+1)
				break
			}
		}
		if due == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.now = due.at
		c.mu.Unlock()
		due.f()
	}
}

// harness runs an engine over a scan directory with fake processes and a
// fake clock; exits are delivered by the test.
type harness struct {
	t      *testing.T
	dir    string
	e      *Engine
	procs  *fakeProcs
	clock  *fakeClock
	exits  chan Exit
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned (runErr)
	runErr error
	tail   map[string][]string
}

// newHarness starts the engine; setup (if any) runs before it.
func newHarness(t *testing.T, dir string, setup ...func(*harness)) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, procs: newFakeProcs(), clock: &fakeClock{now: t0},
		exits: make(chan Exit, 64), done: make(chan struct{}), tail: map[string][]string{}}
	var mu sync.Mutex
	h.e = New(Config{Dir: dir, Reaper: &Reaper{C: h.exits}, Spawner: h.procs, Clock: h.clock,
		Tail: func(s string, n int) []string { mu.Lock(); defer mu.Unlock(); return h.tail[s] }})
	for _, f := range setup {
		f(h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr = h.e.Run(ctx); close(h.done) }()
	t.Cleanup(func() {
		// Services left running never exit here: move the fake clock past
		// the shutdown deadline so that the engine ends.
		cancel()
		for i := 0; i < 1000; i++ {
			select {
			case <-h.done:
				return
			default:
				h.clock.advance(time.Second)
				time.Sleep(time.Millisecond)
			}
		}
		t.Error("the engine did not end after its shutdown deadline")
	})
	return h
}

// exit delivers the exit of pid with a wait status.
func (h *harness) exit(pid int, ws syscall.WaitStatus) {
	h.t.Helper()
	if pid == 0 {
		h.t.Fatal("exit of pid 0: the process was never started")
	}
	h.procs.exited(pid)
	h.exits <- Exit{Pid: pid, Status: ws}
}

func exitCode(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }

// status returns a service's status after the engine has handled
// everything sent to it before.
func (h *harness) status(name string) Status {
	h.t.Helper()
	r, err := h.e.Do(context.Background(), Command{Verb: VerbStatus, Service: name})
	if err != nil {
		h.t.Fatalf("status %s: %v", name, err)
	}
	return r.Services[0]
}

// until polls the engine until cond holds. The bound only turns a hang
// into a failure: no timing is asserted.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			h.t.Fatalf("never: %s", what)
		}
		h.e.Do(context.Background(), Command{Verb: VerbStatus})
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) phase(name string, want Phase) {
	h.t.Helper()
	h.until(name+" "+want.String(), func() bool { return h.status(name).State == want.String() })
}

// waitReady asks for wait-ready in the background.
func (h *harness) waitReady(timeout time.Duration) <-chan error {
	c := make(chan error, 1)
	r := &request{cmd: Command{Verb: VerbWaitReady, Timeout: timeout}, reply: make(chan result, 1)}
	h.e.reqC <- r // handed over: the engine parks it before its next event
	go func() { c <- (<-r.reply).err }()
	return c
}
