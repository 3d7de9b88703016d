package collector

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/jailsproject/jails/logs"
)

// session collects one jail until its socket disappears (the jail
// stopped) or ctx ends, reconnecting after every failure.
func (c *Collector) session(ctx context.Context, name string, cfg logs.StoreConfig) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		delete(c.sessions, name)
		c.mu.Unlock()
	}()
	log := c.log.With("jail", name)
	js, err := logs.OpenJail(c.cfg.Jails.LogDir(name), cfg)
	if err != nil {
		log.Error("open log store", "error", err)
		return
	}
	defer func() {
		if err := js.Close(); err != nil {
			log.Error("close log store", "error", err)
		}
	}()
	for ctx.Err() == nil {
		err := c.stream(ctx, name, js)
		c.update(name, func(s *JailStats) { s.Connected = false; s.Reconnect++ })
		if ctx.Err() != nil {
			return
		}
		if !c.cfg.Jails.Alive(name) {
			c.jailGone(ctx, name, js)
			return
		}
		log.Debug("log stream interrupted", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(c.cfg.Retry):
		}
	}
}

// jailGone waits (briefly) for the jail's last-exit record (its stop, or
// its keeper, writes it) and writes the end of the stream.
func (c *Collector) jailGone(ctx context.Context, name string, js *logs.JailStore) {
	cp := js.Checkpoint()
	for i := 0; i < 50 && ctx.Err() == nil; i++ {
		if at, _, ok := c.cfg.Jails.LastExit(name); ok && !at.Before(cp.Started) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := js.Trim(); err == nil && c.ingestSpills(name, js) == nil {
		c.endStream(name, js)
	}
	c.log.Info("jail stopped", "jail", name)
}

// stream runs one subscription: prepare the store for the stream jinit is
// on, then store batches and acknowledge each once it is checkpointed.
func (c *Collector) stream(ctx context.Context, name string, js *logs.JailStore) error {
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	s, err := c.cfg.Jails.Subscribe(sctx, name, js.Checkpoint())
	cancel()
	if err != nil {
		return err
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	if err := c.prepare(name, js, s.Boot()); err != nil {
		return err
	}
	c.update(name, func(st *JailStats) { st.Connected, st.Boot, st.Seq = true, s.Boot(), js.Checkpoint().Seq })
	c.log.Debug("log stream subscribed", "jail", name, "boot", s.Boot())
	return c.receive(name, s, js)
}

// prepare readies the store: the same stream resumes at the checkpoint;
// a new one ends the old (in the audit log) and starts.
func (c *Collector) prepare(name string, js *logs.JailStore, boot string) error {
	cp := js.Checkpoint()
	if boot == cp.Boot {
		return js.Rewind()
	}
	if err := c.ingestSpills(name, js); err != nil {
		return err
	}
	if err := js.Trim(); err != nil {
		return err
	}
	c.endStream(name, js)
	started := c.cfg.Jails.Started(name)
	if started.IsZero() {
		started = time.Now()
	}
	return js.BeginStream(boot, started)
}

// receive stores batches until the stream ends.
func (c *Collector) receive(name string, s Stream, js *logs.JailStore) error {
	var buf []byte
	gen := c.reopen.Load()
	for {
		payload, err := s.Next(&buf)
		if err != nil {
			return err
		}
		if g := c.reopen.Load(); g != gen {
			gen = g
			if err := js.Reopen(); err != nil {
				c.storeFailed(name, err)
				return err
			}
		}
		bt, err := logs.DecodeBatch(payload)
		if err == nil {
			err = js.WriteBatch(&bt)
		}
		if err != nil {
			c.storeFailed(name, err)
			return err // the next subscription rewinds to the checkpoint
		}
		if err := s.Ack(bt.Last); err != nil {
			return err
		}
		var lines, bytes uint64
		for _, sg := range bt.Segments {
			lines += uint64(sg.Lines)
			bytes += uint64(len(sg.Data))
			if c.cfg.Syslog != nil {
				c.forward(name, &sg)
			}
		}
		failing := false
		c.update(name, func(s *JailStats) {
			s.Seq = bt.Last
			s.Records += lines
			s.Bytes += bytes
			s.Batches++
			if s.StoreFull {
				c.log.Info("log store writable again", "jail", name, "full_for", time.Since(s.FullSince).Round(time.Second))
			}
			failing = s.LastError != ""
			s.StoreFull, s.FullSince, s.LastError = false, time.Time{}, ""
		})
		if failing {
			c.cfg.Jails.ReportStore(name, nil)
		}
	}
}

// storeFailed counts a batch the store did not take, and says so once per
// Report interval: the collector retries every Retry, and a full disk
// would otherwise fill the log with the same warning, or go unreported.
func (c *Collector) storeFailed(name string, err error) {
	full := errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
	var report *StoreState
	c.update(name, func(s *JailStats) {
		s.StoreErrors++
		s.LastError = err.Error()
		if full && !s.StoreFull {
			s.StoreFull, s.FullSince = true, time.Now()
		}
		if time.Since(s.reported) >= c.cfg.Report {
			s.reported = time.Now()
			c.log.Warn("log store failed: the jail's lines wait in jinit's buffer", "jail", name, "full", full, "errors", s.StoreErrors, "error", err)
			since := s.FullSince
			if since.IsZero() {
				since = time.Now()
			}
			report = &StoreState{Full: s.StoreFull, Since: since, Errors: s.StoreErrors, Error: s.LastError}
		}
	})
	if report != nil {
		c.cfg.Jails.ReportStore(name, report)
	}
}

// forward sends a segment's lines to syslog.
func (c *Collector) forward(jail string, sg *logs.Segment) {
	logs.EachLine(sg.Data, func(line []byte) {
		if l, err := logs.ParseLine(line); err == nil {
			fl := logs.Flags(0)
			if l.Partial {
				fl = logs.Partial
			}
			c.cfg.Syslog.Send(jail, &logs.Record{Time: l.Time.UnixNano(), Service: sg.Service, Stream: l.Stream, Flags: fl, Text: l.Text})
		}
	})
}
