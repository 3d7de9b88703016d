package collector

import (
	"errors"
	"fmt"
	"time"

	"github.com/jailsproject/jails/logs"
)

// Spills: the records a jinit could not hand over before it ended, left in
// the jail's writable layer (logs.Buffer.Spill). They are stored where the
// collector would have stored them, exactly once: a spill of the stream
// the checkpoint is on resumes after the checkpoint (WriteBatch skips the
// batches it has), one of a stream never seen starts it in the audit log;
// the spill is removed once stored and checkpointed. A spill is the jail's
// own writing, so it is decoded as untrusted input and can only put lines
// under its own jail.

// storeError is a failure of the store (retried), not of the spill.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

// ingestSpills stores every spill of a jail that does not run (or whose
// stream is being replaced). A spill that does not decode is removed, with
// an error in the log; a store that fails leaves it for the next try.
func (c *Collector) ingestSpills(name string, js *logs.JailStore) error {
	boots, err := c.cfg.Jails.Spills(name)
	if err != nil {
		return err
	}
	for _, boot := range boots {
		n, err := c.ingestSpill(name, js, boot)
		var se storeError
		if errors.As(err, &se) {
			c.storeFailed(name, se.err)
			return err
		}
		if err != nil {
			c.log.Error("spilled log lines unreadable; removed", "jail", name, "boot", boot, "stored", n, "error", err)
		} else {
			c.log.Info("stored log lines jinit had spilled", "jail", name, "boot", boot, "lines", n)
		}
		if err := c.cfg.Jails.RemoveSpill(name, boot); err != nil {
			return fmt.Errorf("remove spill: %w", err)
		}
	}
	return nil
}

// ingestSpill stores one spill and returns how many records it stored.
func (c *Collector) ingestSpill(name string, js *logs.JailStore, boot string) (int, error) {
	rc, err := c.cfg.Jails.OpenSpill(name, boot)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	same := js.Checkpoint().Boot == boot
	if same {
		if err := js.Rewind(); err != nil {
			return 0, storeError{err}
		}
	} else if err := js.Trim(); err != nil {
		return 0, storeError{err}
	}
	n, begun := 0, same
	_, err = logs.ReadSpill(rc, func(b string, bt *logs.Batch) error {
		if b != boot {
			return fmt.Errorf("spill of boot %s named %s", b, boot)
		}
		if !begun {
			c.endStream(name, js)
			if err := js.BeginStream(boot, firstTime(bt)); err != nil {
				return storeError{err}
			}
			begun = true
		}
		if err := js.WriteBatch(bt); err != nil {
			return storeError{err}
		}
		for _, sg := range bt.Segments {
			n += sg.Lines
		}
		return nil
	})
	return n, err
}

// firstTime is the time of a batch's first line (when its stream was
// first seen, for a stream the collector never saw).
func firstTime(bt *logs.Batch) time.Time {
	for _, sg := range bt.Segments {
		if t, ok := logs.LineTime(sg.Data); ok {
			return t
		}
	}
	return time.Now()
}

// spillScan stores the spills of jails that neither run nor have a
// session (a session handles its jail's spills when it ends or sees a new
// stream). It runs at every scan; a jail whose store fails is tried again
// at the next one.
func (c *Collector) spillScan() {
	names, err := c.cfg.Jails.Spilled()
	if err != nil {
		c.log.Warn("look for spilled log lines", "error", err)
		return
	}
	for _, name := range names {
		c.mu.Lock()
		_, busy := c.sessions[name]
		c.mu.Unlock()
		if busy || c.cfg.Jails.Alive(name) {
			continue
		}
		js, err := logs.OpenJail(c.cfg.Jails.LogDir(name), c.storeConfig(name))
		if err != nil {
			c.log.Warn("open log store", "jail", name, "error", err)
			continue
		}
		if err := c.ingestSpills(name, js); err != nil {
			c.warnEvery(name, "spilled log lines not stored yet; trying again", "jail", name, "error", err)
		} else {
			c.endStream(name, js)
		}
		js.Close()
	}
}

// warnEvery gives a warning, once per Report interval and key (a jail's
// name for its spills, console.log/NAME for its console).
func (c *Collector) warnEvery(key, msg string, args ...any) {
	c.mu.Lock()
	due := time.Since(c.warned[key]) >= c.cfg.Report
	if due {
		c.warned[key] = time.Now()
	}
	c.mu.Unlock()
	if due {
		c.log.Warn(msg, args...)
	}
}
