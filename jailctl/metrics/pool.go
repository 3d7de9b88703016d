package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/jailsproject/jails/jinit/control"
)

// Pool keeps one control connection per running jail between scrapes.
// Dialling costs a connect and a handshake on both sides, and measured on
// the test VM a jinit spent 2.2 ms of CPU on a metrics request on a new
// connection against 1.3 ms on a kept one. What is kept is a connection,
// never a figure: every scrape still asks.
type Pool struct {
	mu    sync.Mutex
	conns map[string]*pooled
}

type pooled struct {
	started time.Time // the jail run it belongs to
	c       *control.Client
}

func NewPool() *Pool { return &Pool{conns: map[string]*pooled{}} }

// report asks the jail's jinit for its metrics over a kept connection,
// dialling once more if it broke (jinit restarted with the jail).
func (p *Pool) report(ctx context.Context, name string, started time.Time, sock string) (*control.Metrics, error) {
	for attempt := 0; ; attempt++ {
		c, fresh, err := p.get(ctx, name, started, sock)
		if err != nil {
			return nil, err
		}
		rep, err := ask(ctx, c)
		if err == nil {
			return rep, nil
		}
		p.drop(name, c)
		if fresh || attempt > 0 || ctx.Err() != nil {
			return nil, err
		}
	}
}

func (p *Pool) get(ctx context.Context, name string, started time.Time, sock string) (c *control.Client, fresh bool, err error) {
	p.mu.Lock()
	e := p.conns[name]
	p.mu.Unlock()
	if e != nil && e.started.Equal(started) {
		return e.c, false, nil
	}
	if e != nil {
		p.drop(name, e.c) // an earlier run of the jail
	}
	if c, err = control.Dial(ctx, sock); err != nil {
		return nil, false, err
	}
	p.mu.Lock()
	if old := p.conns[name]; old != nil && old.started.Equal(started) {
		p.mu.Unlock()
		c.Close() // another scrape dialled meanwhile
		return old.c, false, nil
	}
	p.conns[name] = &pooled{started: started, c: c}
	p.mu.Unlock()
	return c, true, nil
}

// drop closes the jail's connection if it is still c.
func (p *Pool) drop(name string, c *control.Client) {
	p.mu.Lock()
	if e := p.conns[name]; e != nil && e.c == c {
		delete(p.conns, name)
	}
	p.mu.Unlock()
	c.Close()
}

// keepOnly closes the connections of jails not in live (stopped or
// destroyed since).
func (p *Pool) keepOnly(live map[string]bool) {
	p.mu.Lock()
	var gone []*control.Client
	for n, e := range p.conns {
		if !live[n] {
			gone = append(gone, e.c)
			delete(p.conns, n)
		}
	}
	p.mu.Unlock()
	for _, c := range gone {
		c.Close()
	}
}
