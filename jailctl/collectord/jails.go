package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/logs/collector"
)

// storeJails is a jails instance as the log collector sees it: the store's
// run directory says which jails run, and each jail's host-side control
// socket (<run>/NAME/control.sock, which nothing inside a jail can reach)
// carries its log stream, so the socket, not the data, names the jail.
type storeJails struct{ st *store.Store }

var _ collector.Jails = storeJails{}

// names lists the valid jail names among the directories of dir.
func names(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && store.ValidName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, err
}

func (j storeJails) Running() ([]string, error) {
	all, err := names(j.st.Run)
	out := all[:0]
	for _, n := range all {
		if j.Alive(n) {
			out = append(out, n)
		}
	}
	return out, err
}

func (j storeJails) Alive(name string) bool {
	_, err := os.Stat(j.st.SockPath(name))
	return err == nil
}

func (j storeJails) LogRoot() string              { return j.st.Log }
func (j storeJails) LogDir(name string) string    { return j.st.LogDir(name) }
func (j storeJails) Collected() ([]string, error) { return names(j.st.Log) }

func (j storeJails) StoreConfig(name string, cfg logs.StoreConfig) logs.StoreConfig {
	r, _ := store.LoadDef(j.st.DefPath(name))
	return r.LogStore(cfg)
}

func (j storeJails) LastExit(name string) (time.Time, string, bool) {
	if l := j.st.ReadLast(name); l != nil {
		return l.At, l.Reason, true
	}
	return time.Time{}, "", false
}

func (j storeJails) Started(name string) time.Time {
	if rt, err := j.st.ReadRuntime(name); err == nil {
		return rt.Started
	}
	return time.Time{}
}

// ReportStore writes (or removes) <run>/NAME/log-store.json, which
// `jailctl list` and `status` read; the run directory is on another
// file system than the log store that may be full. A jail that stopped
// meanwhile has no run directory: nothing is written.
func (j storeJails) ReportStore(name string, st *collector.StoreState) {
	p := filepath.Join(j.st.RunDir(name), collector.StoreStateFile)
	if st == nil {
		os.Remove(p)
		return
	}
	b, err := json.Marshal(st)
	if err != nil {
		return
	}
	if os.WriteFile(p+".tmp", b, 0o644) == nil {
		os.Rename(p+".tmp", p)
	}
}

// Subscribe sends the "logs" request on a new control connection and
// reads jinit's answer.
func (j storeJails) Subscribe(ctx context.Context, name string, cp logs.Checkpoint) (collector.Stream, error) {
	cl, err := control.Dial(ctx, j.st.SockPath(name))
	if err != nil {
		return nil, err
	}
	conn, r := cl.Conn()
	s := &sockStream{cl: cl, conn: conn, r: r}
	if s.boot, err = subscribe(ctx, conn, r, cp); err != nil {
		cl.Close()
		return nil, err
	}
	return s, nil
}

func subscribe(ctx context.Context, conn net.Conn, r *bufio.Reader, cp logs.Checkpoint) (string, error) {
	req := control.Request{ID: 1, Verb: control.VerbLogs, FromSeq: cp.Seq, Boot: cp.Boot}
	if err := control.WriteJSON(conn, control.TypeRequest, req); err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetReadDeadline(deadline)
	typ, payload, err := control.ReadFrame(r, control.MaxFrame)
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	var resp control.Response
	if err := json.Unmarshal(payload, &resp); err != nil {
		return "", fmt.Errorf("subscribe: %w", err)
	}
	if typ != control.TypeResponse || !resp.OK {
		return "", fmt.Errorf("subscribe refused: %s", resp.Error)
	}
	var rep logs.SubscribeReply
	if err := json.Unmarshal(resp.Data, &rep); err != nil || rep.Boot == "" {
		return "", fmt.Errorf("subscribe: bad reply %q", resp.Data)
	}
	return rep.Boot, nil
}

// sockStream is a log subscription on a control connection.
type sockStream struct {
	cl   *control.Client
	conn net.Conn
	r    *bufio.Reader
	boot string
}

func (s *sockStream) Boot() string { return s.boot }
func (s *sockStream) Close() error { return s.cl.Close() }

func (s *sockStream) Ack(seq uint64) error {
	return control.WriteFrame(s.conn, control.TypeAck, logs.EncodeAck(seq))
}

// Next reads a frame into a buffer reused from one frame to the next
// (batches are large; allocating each would keep the GC busy).
func (s *sockStream) Next(buf *[]byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n == 0 || n > control.MaxFrame {
		return nil, fmt.Errorf("read frame: bad length %d", n)
	}
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(s.r, b); err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	switch b[0] {
	case control.TypeLogs:
		return b[1:], nil
	case control.TypeError:
		return nil, fmt.Errorf("jinit: %s", b[1:])
	}
	return nil, fmt.Errorf("unexpected frame type %q in log stream", b[0])
}
