// Package collector is the host's log collector: it finds the running
// jails of a jails instance (Jails), subscribes to each one's log stream
// and writes the records to the store (package logs), acknowledging them
// once they are checkpointed.
//
// A jail's identity is the stream the collector subscribed to (on the
// host, the jail's host-side control socket, which nothing inside a jail
// can reach); the records carry service names only, so nothing a jail
// sends can put a line under another jail.
package collector

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/logs"
)

// Config configures a Collector.
type Config struct {
	Jails Jails
	Log   hclog.Logger
	// Rotation and retention, unless a jail's definition sets its own.
	Defaults logs.StoreConfig
	// Syslog, if set, gets a copy of every stored record.
	Syslog *logs.Syslog
	// Poll is how often <run>/ is scanned for jails started since (1 s).
	Poll time.Duration
	// Retry is the pause before reconnecting to a jail (250 ms).
	Retry time.Duration
	// Report is how often a store that keeps failing is reported (1 min).
	Report time.Duration
}

// Collector collects the logs of every running jail of a store.
type Collector struct {
	cfg      Config
	log      hclog.Logger
	mu       sync.Mutex
	sessions map[string]*JailStats
	wg       sync.WaitGroup
	reopen   atomic.Uint64        // Reopen's generation; each session follows it
	warned   map[string]time.Time // when a warning (warnEvery's key) was last given
}

// JailStats describes the collection of one jail.
type JailStats struct {
	Jail      string `json:"jail"`
	Connected bool   `json:"connected"`
	Boot      string `json:"boot"`
	Seq       uint64 `json:"seq"`     // the last record stored
	Records   uint64 `json:"records"` // stored by this collector process
	Bytes     uint64 `json:"bytes"`   // their text bytes
	Batches   uint64 `json:"batches"`
	Reconnect uint64 `json:"reconnects"`
	// StoreErrors counts batches the store could not take (they are
	// stored again from the checkpoint once it can); StoreFull is set
	// while the last of them failed for want of space, since FullSince.
	StoreErrors uint64           `json:"store_errors"`
	StoreFull   bool             `json:"store_full"`
	FullSince   time.Time        `json:"full_since,omitzero"`
	LastError   string           `json:"last_error,omitempty"`
	reported    time.Time        // when a failure was last logged
	cfg         logs.StoreConfig // the jail's rotation, read when the session began
}

// New makes a collector.
func New(cfg Config) *Collector {
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 250 * time.Millisecond
	}
	if cfg.Report <= 0 {
		cfg.Report = time.Minute
	}
	return &Collector{cfg: cfg, log: cfg.Log, sessions: map[string]*JailStats{}, warned: map[string]time.Time{}}
}

// Run collects until ctx ends, then closes (and syncs) every store. Only
// one collector may run per jails instance: a second one fails at once.
func (c *Collector) Run(ctx context.Context) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c.log.Info("collecting", "log", c.cfg.Jails.LogRoot())
	c.endStale()
	t := time.NewTicker(c.cfg.Poll)
	defer t.Stop()
	for {
		c.scan(ctx)
		c.boundConsoles()
		c.spillScan()
		select {
		case <-ctx.Done():
			c.wg.Wait()
			return nil
		case <-t.C:
		}
	}
}

// lock takes <log>/.collector.lock for the lifetime of the collector.
func (c *Collector) lock() (func(), error) {
	root := c.cfg.Jails.LogRoot()
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	p := filepath.Join(root, ".collector.lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another collector is running for %s (%s is locked)", root, p)
	}
	return func() { f.Close() }, nil
}

// scan starts a session for every running jail with none yet, with the
// jail's rotation read once for the session's store and its console.
// Only this loop adds sessions; each removes its own when it ends.
func (c *Collector) scan(ctx context.Context) {
	names, err := c.cfg.Jails.Running()
	if err != nil {
		c.log.Warn("scan for jails", "error", err)
		return
	}
	for _, name := range names {
		c.mu.Lock()
		_, busy := c.sessions[name]
		c.mu.Unlock()
		if busy {
			continue
		}
		cfg := c.storeConfig(name)
		c.mu.Lock()
		c.sessions[name] = &JailStats{Jail: name, cfg: cfg}
		c.mu.Unlock()
		c.wg.Add(1)
		go c.session(ctx, name, cfg)
	}
}

// endStale records the end of streams whose jail stopped while no
// collector ran.
func (c *Collector) endStale() {
	names, err := c.cfg.Jails.Collected()
	if err != nil {
		return
	}
	for _, name := range names {
		if !logs.HasCheckpoint(c.cfg.Jails.LogDir(name)) || c.cfg.Jails.Alive(name) {
			continue // running: the session decides
		}
		js, err := logs.OpenJail(c.cfg.Jails.LogDir(name), c.storeConfig(name))
		if err != nil {
			c.log.Warn("open log store", "jail", name, "error", err)
			continue
		}
		if err := js.Trim(); err == nil && c.ingestSpills(name, js) == nil {
			c.endStream(name, js)
		}
		js.Close()
	}
}

// storeConfig is the rotation of a jail: its definition's, else the default.
func (c *Collector) storeConfig(name string) logs.StoreConfig {
	return c.cfg.Jails.StoreConfig(name, c.cfg.Defaults)
}

// endStream writes how the store's current stream ended, from the jail's
// last-exit record if it is about this stream.
func (c *Collector) endStream(name string, js *logs.JailStore) {
	cp := js.Checkpoint()
	if cp.Boot == "" || cp.Stopped {
		return
	}
	at, reason := time.Now(), "unknown: the jail was gone when the collector looked"
	if lat, lreason, ok := c.cfg.Jails.LastExit(name); ok && !lat.Before(cp.Started) {
		at, reason = lat, lreason
	}
	ev := "jinit-exit"
	if reason == "stopped" {
		ev = "stop"
	}
	if err := js.EndStream(at, ev, reason); err != nil {
		c.log.Warn("write audit log", "jail", name, "error", err)
	}
}

// Reopen makes every session close its files and open them again by name
// before its next batch (SIGHUP, after logrotate). Each session owns its
// store, so it does the reopening itself; a file moved away is noticed at
// the next batch even without it.
func (c *Collector) Reopen() {
	c.reopen.Add(1)
	c.log.Info("reopening log files at each jail's next batch")
}

// Stats returns the state of every jail being collected, by name.
func (c *Collector) Stats() []JailStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]JailStats, 0, len(c.sessions))
	for _, s := range c.sessions {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Jail < out[j].Jail })
	return out
}

func (c *Collector) update(name string, fn func(*JailStats)) {
	c.mu.Lock()
	if s := c.sessions[name]; s != nil {
		fn(s)
	}
	c.mu.Unlock()
}
