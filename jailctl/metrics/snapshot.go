// Package telemetry exports the host's jails to Prometheus: kernel
// accounting per jail (from its cgroup on Linux) and what each jail's
// jinit reports about its services (the "metrics" control verb). Every
// figure is read when a scrape asks for it, from jails running at that
// moment: a stopped or destroyed jail leaves no series behind. The one
// thing kept between scrapes is a ring of recent CPU samples per running
// jail, for CPU use over the last 1 s and 10 s.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/kmod"
)

// Jail is a snapshot of one running jail.
type Jail struct {
	ID      int        `json:"id"`
	Name    string     `json:"name"`
	Profile string     `json:"profile"`
	Started time.Time  `json:"started"`
	Usage   kmod.Usage `json:"usage"` // kernel accounting (see Kernel)
	// Kernel is false where the platform has no per-jail accounting yet
	// (NetBSD): Usage is then empty and not exported.
	Kernel bool        `json:"kernel_accounting"`
	Limits kmod.Limits `json:"limits"` // configured limits (zero: none)
	// CPU1s and CPU10s are the CPU time used per second of wall time over
	// the last 1 and 10 seconds (1 = one CPU busy); nil until known.
	CPU1s  *float64 `json:"cpu_1s"`
	CPU10s *float64 `json:"cpu_10s"`
	// Jinit is what the jail's supervisor reports; nil (and JinitError
	// set) when it did not answer.
	Jinit      *control.Metrics `json:"jinit,omitempty"`
	JinitError string           `json:"jinit_error,omitempty"`
}

// Uptime is how long the jail has been running at now.
func (j *Jail) Uptime(now time.Time) time.Duration { return now.Sub(j.Started) }

// ServicesUp counts the services whose run process is alive, of all.
func (j *Jail) ServicesUp() (up, total int) {
	if j.Jinit == nil {
		return 0, 0
	}
	for _, s := range j.Jinit.Services {
		if s.Up {
			up++
		}
	}
	return up, len(j.Jinit.Services)
}

// ErrNotRunning is returned for a jail that is defined but not running.
var ErrNotRunning = errors.New("not running")

// Options tune a snapshot.
type Options struct {
	// JinitTimeout bounds the metrics request to one jail's jinit
	// (default 2 s); a jail whose jinit does not answer in time is
	// exported with its kernel figures only.
	JinitTimeout time.Duration
	// Parallel is how many jails are read at once (default 16).
	Parallel int
	// Rates, if set, supplies CPU1s and CPU10s.
	Rates *Rates
	// Pool, if set, keeps the connections to the jails' jinit between
	// snapshots; without it each snapshot dials.
	Pool *Pool
	// Cache, if set, keeps decoded records and limits between snapshots.
	Cache *Cache
}

func (o Options) withDefaults() Options {
	if o.JinitTimeout <= 0 {
		o.JinitTimeout = 2 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 16
	}
	return o
}

// Snapshot reads one jail; ErrNotRunning (wrapped) if it is not running.
// A running jail whose definition no longer loads (a bad hand edit) is
// still read, without ID, profile or configured limits.
func Snapshot(ctx context.Context, st *store.Store, name string, o Options) (*Jail, error) {
	o = o.withDefaults()
	c := o.Cache
	if c == nil {
		c = NewCache() // nothing kept beyond this call
	}
	rt, e := c.running(st, name)
	if rt == nil {
		return nil, fmt.Errorf("jail %s: %w", name, ErrNotRunning)
	}
	j := &Jail{Name: name, Started: rt.Started, Kernel: kernelUsage}
	var ok bool
	// A jail that stopped while we read it would export a torn snapshot
	// (a cgroup already gone reads as zero CPU): leave it out.
	if j.Usage, ok = c.usage(e); !ok {
		return nil, fmt.Errorf("jail %s: %w", name, ErrNotRunning)
	}
	if r := c.def(st, name, e); r != nil {
		j.ID, j.Profile, j.Limits = r.Def.ID, r.Def.Profile, r.Limits
	}
	if o.Rates != nil {
		j.CPU1s, j.CPU10s = o.Rates.Recent(name, rt.Started)
	}
	var err error
	if o.Pool != nil {
		jctx, cancel := context.WithTimeout(ctx, o.JinitTimeout)
		j.Jinit, err = o.Pool.report(jctx, name, rt.Started, st.SockPath(name))
		cancel()
	} else {
		j.Jinit, err = jinitReport(ctx, st.SockPath(name), o.JinitTimeout)
	}
	if err != nil {
		j.JinitError = err.Error()
	}
	return j, nil
}

// jinitReport asks a jail's jinit for its metrics on a connection of its own.
func jinitReport(ctx context.Context, sock string, timeout time.Duration) (*control.Metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := control.Dial(ctx, sock)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return ask(ctx, c)
}

func ask(ctx context.Context, c *control.Client) (*control.Metrics, error) {
	resp, err := c.Do(ctx, control.Request{Verb: control.VerbMetrics})
	if err != nil {
		return nil, fmt.Errorf("metrics request: %w", err)
	}
	return control.DecodeMetrics(resp.Data)
}

// SnapshotAll reads every running jail, several at a time, sorted by name.
// Jails that stop meanwhile are left out.
func SnapshotAll(ctx context.Context, st *store.Store, o Options) ([]*Jail, error) {
	names, err := st.Names()
	if err != nil {
		return nil, err
	}
	out := make([]*Jail, len(names))
	eachJail(ctx, st, names, o, func(i int, j *Jail) { out[i] = j })
	jails := out[:0]
	for _, j := range out {
		if j != nil {
			jails = append(jails, j)
		}
	}
	return jails, nil
}

// eachJail snapshots the named jails, o.Parallel at a time, and calls fn
// (concurrently) for each one that runs, with its index in names. It
// returns the names of those that ran.
func eachJail(ctx context.Context, st *store.Store, names []string, o Options, fn func(int, *Jail)) map[string]bool {
	o = o.withDefaults()
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	live := make(map[string]bool, len(names))
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if j, err := Snapshot(ctx, st, name, o); err == nil {
				fn(i, j)
				mu.Lock()
				live[name] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return live
}
