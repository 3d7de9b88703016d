package metrics

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
)

// Rates samples every running jail's cumulative CPU time once a second and
// keeps the last samples, so CPU use over the last 1 s and 10 s is known
// at any time (the reference's 10-slot ring, but over a counter that
// keeps the time of exited processes). The sampler starts with the first
// Recent call and stops when nobody has asked for IdleStop, so a
// collector nobody scrapes costs no wakeups; its first figures are
// therefore known one and ten seconds after the first scrape.
type Rates struct {
	st       *store.Store
	log      hclog.Logger
	Interval time.Duration // sampling period (default 1 s)
	IdleStop time.Duration // stop sampling after this long without a Recent call (default 5 min)

	// onSample, if set, gets the jails running at each sample.
	onSample func(live map[string]bool)

	mu      sync.Mutex
	rings   map[string]*ring
	running bool
	lastUse time.Time
}

// ringSize holds ten intervals.
const ringSize = 11

type ring struct {
	started time.Time                    // the jail run it belongs to
	read    func() (time.Duration, bool) // its cumulative CPU
	t       [ringSize]time.Time
	v       [ringSize]time.Duration
	n, next int
}

func (r *ring) add(t time.Time, v time.Duration) {
	r.t[r.next], r.v[r.next] = t, v
	r.next = (r.next + 1) % ringSize
	r.n = min(r.n+1, ringSize)
}

// at returns the sample k steps before the newest (k = 0: newest).
func (r *ring) at(k int) (time.Time, time.Duration) {
	i := (r.next - 1 - k + 2*ringSize) % ringSize
	return r.t[i], r.v[i]
}

// rate is the CPU used per second between the newest sample and the one
// k steps before it.
func (r *ring) rate(k int) *float64 {
	t1, v1 := r.at(0)
	t0, v0 := r.at(k)
	dt := t1.Sub(t0).Seconds()
	if dt <= 0 || v1 < v0 {
		return nil
	}
	x := (v1 - v0).Seconds() / dt
	return &x
}

// NewRates returns a sampler over the jails of st.
func NewRates(st *store.Store, log hclog.Logger) *Rates {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Rates{st: st, log: log, Interval: time.Second, IdleStop: 5 * time.Minute, rings: map[string]*ring{}}
}

// Recent returns the CPU use of the named jail's current run (started at
// started) over the last 1 and 10 s, each nil while not yet known (while
// the ring fills, the 10 s figure covers the samples there are).
func (r *Rates) Recent(name string, started time.Time) (cpu1s, cpu10s *float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastUse = time.Now()
	if !r.running {
		r.running = true
		go r.loop()
	}
	g := r.rings[name]
	if g == nil || !g.started.Equal(started) || g.n < 2 {
		return nil, nil
	}
	if t, _ := g.at(0); time.Since(t) > 3*r.Interval {
		return nil, nil // the sampler is stalled: no stale figure
	}
	return g.rate(1), g.rate(g.n - 1)
}

func (r *Rates) loop() {
	tk := time.NewTicker(r.Interval)
	defer tk.Stop()
	for {
		r.sample()
		<-tk.C
		r.mu.Lock()
		if time.Since(r.lastUse) > r.IdleStop {
			r.running = false
			clear(r.rings)
			r.mu.Unlock()
			r.log.Debug("CPU sampler stopped: no scrapes")
			return
		}
		r.mu.Unlock()
	}
}

// sample reads every running jail's CPU once; rings of jails that stopped
// (or restarted: a new run) are dropped.
func (r *Rates) sample() {
	names, err := r.st.Names()
	if err != nil {
		r.log.Warn("CPU sampler: list jails", "error", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	live := make(map[string]bool, len(names))    // running
	sampled := make(map[string]bool, len(names)) // and read
	for _, n := range names {
		rt := r.st.Running(n)
		if rt == nil {
			continue
		}
		live[n] = true
		g := r.rings[n]
		if g == nil || !g.started.Equal(rt.Started) {
			read := CPUReader(rt)
			if read == nil {
				continue
			}
			g = &ring{started: rt.Started, read: read}
			r.rings[n] = g
		}
		if v, ok := g.read(); ok {
			g.add(time.Now(), v)
			sampled[n] = true
		}
	}
	for n := range r.rings {
		if !sampled[n] {
			delete(r.rings, n)
		}
	}
	if r.onSample != nil {
		r.onSample(live)
	}
}
