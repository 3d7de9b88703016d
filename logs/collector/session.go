package collector

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
)

// session collects one jail until its socket disappears (the jail
// stopped) or ctx ends, reconnecting after every failure.
func (c *Collector) session(ctx context.Context, name string) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		delete(c.sessions, name)
		c.mu.Unlock()
	}()
	log := c.log.With("jail", name)
	js, err := logs.OpenJail(c.cfg.Store.LogDir(name), c.storeConfig(name))
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
		if _, serr := os.Stat(c.cfg.Store.SockPath(name)); serr != nil {
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

// jailGone waits (briefly) for the keeper's last-exit record and writes
// the end of the stream.
func (c *Collector) jailGone(ctx context.Context, name string, js *logs.JailStore) {
	cp := js.Checkpoint()
	for i := 0; i < 50 && ctx.Err() == nil; i++ {
		if l := c.cfg.Store.ReadLast(name); l != nil && !l.At.Before(cp.Started) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := js.Trim(); err == nil {
		c.endStream(name, js)
	}
	c.log.Info("jail stopped", "jail", name)
}

// stream runs one connection: subscribe after the checkpoint, prepare the
// store for the stream jinit is on, then store batches and acknowledge
// each once it is checkpointed.
func (c *Collector) stream(ctx context.Context, name string, js *logs.JailStore) error {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	cl, err := control.Dial(dctx, c.cfg.Store.SockPath(name))
	cancel()
	if err != nil {
		return err
	}
	defer cl.Close()
	conn, r := cl.Conn()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	reply, err := subscribe(conn, r, js.Checkpoint())
	if err != nil {
		return err
	}
	if err := c.prepare(name, js, reply.Boot); err != nil {
		return err
	}
	c.update(name, func(s *JailStats) { s.Connected, s.Boot, s.Seq = true, reply.Boot, js.Checkpoint().Seq })
	c.log.Debug("log stream subscribed", "jail", name, "boot", reply.Boot, "after", reply.After)
	return c.receive(name, conn, r, js)
}

// subscribe sends the "logs" request and reads jinit's answer.
func subscribe(conn net.Conn, r *bufio.Reader, cp logs.Checkpoint) (logs.SubscribeReply, error) {
	req := control.Request{ID: 1, Verb: control.VerbLogs, FromSeq: cp.Seq, Boot: cp.Boot}
	if err := control.WriteJSON(conn, control.TypeRequest, req); err != nil {
		return logs.SubscribeReply{}, fmt.Errorf("subscribe: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	typ, payload, err := control.ReadFrame(r, control.MaxFrame)
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		return logs.SubscribeReply{}, fmt.Errorf("subscribe: %w", err)
	}
	var resp control.Response
	if err := json.Unmarshal(payload, &resp); err != nil {
		return logs.SubscribeReply{}, fmt.Errorf("subscribe: %w", err)
	}
	if typ != control.TypeResponse || !resp.OK {
		return logs.SubscribeReply{}, fmt.Errorf("subscribe refused: %s", resp.Error)
	}
	var rep logs.SubscribeReply
	if err := json.Unmarshal(resp.Data, &rep); err != nil || rep.Boot == "" {
		return logs.SubscribeReply{}, fmt.Errorf("subscribe: bad reply %q", resp.Data)
	}
	return rep, nil
}

// prepare readies the store: the same stream resumes at the checkpoint;
// a new one ends the old (in the audit log) and starts.
func (c *Collector) prepare(name string, js *logs.JailStore, boot string) error {
	cp := js.Checkpoint()
	if boot == cp.Boot {
		return js.Rewind()
	}
	if err := js.Trim(); err != nil {
		return err
	}
	c.endStream(name, js)
	started := time.Now()
	if rt, err := c.cfg.Store.ReadRuntime(name); err == nil && !rt.Started.IsZero() {
		started = rt.Started
	}
	return js.BeginStream(boot, started)
}

// receive stores batches until the connection ends.
func (c *Collector) receive(name string, conn net.Conn, r *bufio.Reader, js *logs.JailStore) error {
	var buf []byte
	for {
		typ, payload, err := readFrame(r, &buf)
		if err != nil {
			return err
		}
		switch typ {
		case control.TypeLogs:
		case control.TypeError:
			return fmt.Errorf("jinit: %s", payload)
		default:
			return fmt.Errorf("unexpected frame type %q in log stream", typ)
		}
		bt, err := logs.DecodeBatch(payload)
		if err == nil {
			err = js.WriteBatch(&bt)
		}
		if err != nil {
			return err // the next connection rewinds to the checkpoint
		}
		if err := control.WriteFrame(conn, control.TypeAck, logs.EncodeAck(bt.Last)); err != nil {
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
		c.update(name, func(s *JailStats) { s.Seq = bt.Last; s.Records += lines; s.Bytes += bytes; s.Batches++ })
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

// readFrame reads a frame into a buffer reused from one frame to the next
// (batches are large; allocating each would keep the GC busy).
func readFrame(r *bufio.Reader, buf *[]byte) (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n == 0 || n > control.MaxFrame {
		return 0, nil, fmt.Errorf("read frame: bad length %d", n)
	}
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, fmt.Errorf("read frame: %w", err)
	}
	return b[0], b[1:], nil
}
