package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/services"
	"golang.org/x/sys/unix"
)

// Capture takes every service's stdout and stderr through pipes that jinit
// holds across restarts (created at the first start, reused afterwards),
// cuts them into records in a bounded buffer (package logs) and streams
// them to the host collector (the "logs" verb), keeping each record until
// the collector acknowledges it. jinit's own messages about a service go
// into the same log, after whatever the service wrote before them.
//
// Reading costs no wakeup while services are quiet: one goroutine per
// pipe parked in the poller, no timers.
type Capture struct {
	buf   *logs.Buffer
	dir   string // the scan directory, for the services' [log] drop setting
	log   hclog.Logger
	drain time.Duration // how long a shutdown waits for the collector
	spill string        // where unacknowledged records go at the end ("": stderr)

	mu   sync.Mutex
	svcs map[string]*svcLog
	wg   sync.WaitGroup // pipe readers
	done chan struct{}  // closed when jinit shuts down: readers stop waiting for space
}

// svcLog is one service's pipes. mu serialises reading and cutting of
// both pipes with jinit's messages, so a message follows the output
// written before it.
type svcLog struct {
	name     string
	mu       sync.Mutex
	pipes    []*pipe // stdout, stderr; nil until the service first runs
	released bool    // write ends closed (service removed, or shutdown)
	recent   recent  // its last output, for start errors (recent.go)
	tee      *tee    // its log/ service's stdin, if it has one (tee.go)
}

type pipe struct {
	r   *os.File // jinit's end: non-blocking, in the poller
	rc  syscall.RawConn
	w   *os.File // the service's end: blocking
	src *logs.Source
	svc *svcLog
}

// readSize is one read from a pipe; buffers come from a pool, so idle
// services hold none.
const readSize = 64 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// newCapture sets up capture for the supervisor.
func newCapture(o options, log hclog.Logger) *Capture {
	// The boot id only tells one jinit run from another; it needs no
	// cryptographic generator (crypto/rand would bring the FIPS module's
	// initialisation into every jail's start). The runtime seeds this one
	// from the kernel.
	var id [8]byte
	binary.LittleEndian.PutUint64(id[:], rand.Uint64())
	return &Capture{
		buf:   logs.NewBuffer(logs.BufferConfig{Limit: o.logBuffer, LineMax: o.logLineMax, Boot: hex.EncodeToString(id[:])}),
		dir:   o.services,
		log:   log.Named("logs"),
		drain: o.logDrain,
		spill: spillDir(o),
		svcs:  map[string]*svcLog{},
		done:  make(chan struct{}),
	}
}

func (c *Capture) service(name string) *svcLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.svcs[name]
	if s == nil || s.released {
		s = &svcLog{name: name}
		c.svcs[name] = s
	}
	return s
}

// Output is the engine's hook: the descriptors a service's processes
// (run, finish, readiness checks) get as stdout and stderr.
func (c *Capture) Output(name string) (stdout, stderr *os.File) {
	s := c.service(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pipes == nil {
		if err := c.open(s); err != nil {
			c.log.Error("cannot capture the output of a service; it writes to the console", "service", name, "error", err)
			return nil, nil
		}
	}
	return s.pipes[0].w, s.pipes[1].w
}

// open creates a service's two pipes and starts their readers.
func (c *Capture) open(s *svcLog) error {
	c.loadDrop(s.name)
	var ps []*pipe
	for _, st := range []logs.Stream{logs.Stdout, logs.Stderr} {
		p, err := newPipe()
		if err != nil {
			for _, q := range ps {
				q.r.Close()
				q.w.Close()
			}
			return err
		}
		p.src, p.svc = c.buf.Source(s.name, st), s
		ps = append(ps, p)
	}
	s.pipes = ps
	for _, p := range ps {
		c.wg.Add(1)
		go c.read(p)
	}
	return nil
}

func newPipe() (*pipe, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("create log pipe: %w", err)
	}
	// Only jinit's end is non-blocking: the service's end must block when
	// the pipe is full (that is the backpressure), and O_NONBLOCK on a
	// shared description would make its writes fail instead.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, fmt.Errorf("create log pipe: %w", err)
	}
	growPipe(fds[1])
	p := &pipe{r: os.NewFile(uintptr(fds[0]), "log-pipe"), w: os.NewFile(uintptr(fds[1]), "log-pipe-w")}
	rc, err := p.r.SyscallConn()
	if err != nil {
		p.r.Close()
		p.w.Close()
		return nil, fmt.Errorf("create log pipe: %w", err)
	}
	p.rc = rc
	return p, nil
}

// loadDrop reads the service's [log] drop setting.
func (c *Capture) loadDrop(name string) {
	if svc, err := services.Load(filepath.Join(c.dir, name)); err == nil {
		c.buf.SetDrop(name, svc.LogDrop)
	}
}

// read is a pipe's reader. In blocking mode it reads only while the buffer
// has room, so a full buffer leaves the pipe full and the writers blocked.
func (c *Capture) read(p *pipe) {
	defer c.wg.Done()
	for {
		if !p.src.Drop() {
			c.buf.WaitSpace(p.svc.name, c.done)
		}
		var eof bool
		err := p.rc.Read(func(fd uintptr) bool {
			p.svc.mu.Lock()
			defer p.svc.mu.Unlock()
			n, err := readOnce(int(fd), p)
			if err == unix.EAGAIN {
				c.buf.Kick() // read dry: send what is buffered now
				return false
			}
			eof = n == 0 || err != nil
			return true
		})
		if err != nil || eof {
			p.svc.mu.Lock()
			p.src.Flush(time.Now().UnixNano())
			p.svc.mu.Unlock()
			p.r.Close()
			return
		}
	}
}

// readOnce reads once from the pipe into the buffer.
func readOnce(fd int, p *pipe) (int, error) {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	for {
		n, err := unix.Read(fd, *bp)
		if err == unix.EINTR {
			continue
		}
		if n > 0 {
			p.src.Feed(time.Now().UnixNano(), (*bp)[:n])
			p.svc.recent.add((*bp)[:n])
			if p == p.svc.pipes[0] {
				p.svc.tee.write((*bp)[:n]) // stdout only, as runsv pipes it
			}
		}
		return max(n, 0), err
	}
}

// drainLocked reads what a pipe holds now, without waiting (bounded: a
// writer that keeps going is left to the reader).
func drainLocked(p *pipe) {
	p.rc.Control(func(fd uintptr) {
		for i := 0; i < 4; i++ {
			if n, err := readOnce(int(fd), p); n == 0 || err != nil {
				return
			}
		}
	})
}

// flushOn are the messages after which a service's unterminated last line
// is stored as it is: the process that wrote it is gone.
var flushOn = []string{"exited:", "stopped:", "restarting in", "failed:", "removed", "cannot start"}

// Message is the engine's hook for its lines about a service.
func (c *Capture) Message(name, msg string) {
	s := c.service(name)
	now := time.Now().UnixNano()
	s.mu.Lock()
	flush := false
	for _, f := range flushOn {
		flush = flush || strings.HasPrefix(msg, f)
	}
	for _, p := range s.pipes {
		drainLocked(p)
		if flush {
			p.src.Flush(now)
		}
	}
	c.buf.Message(name, now, msg)
	s.recent.addLine(msg)
	s.mu.Unlock()
	switch {
	case strings.HasPrefix(msg, "started ("):
		c.loadDrop(name) // service.toml may have changed
	case msg == "removed":
		c.release(s)
	}
}

// release closes jinit's copies of a service's write ends: its readers
// end once every process holding them has exited.
func (c *Capture) release(s *svcLog) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.released = true
	for _, p := range s.pipes {
		p.w.Close()
	}
	if c.svcs[s.name] == s {
		delete(c.svcs, s.name)
	}
}

// Counters returns each service's capture counters: lines and bytes taken,
// lines dropped, and time its pipes were left unread (backpressure).
func (c *Capture) Counters() map[string]logs.Counters { return c.buf.Counters() }

// BufferStats describes the jail's log buffer.
func (c *Capture) BufferStats() logs.Stats { return c.buf.Stats() }

// Stream serves a log subscription (control.Streamer).
func (c *Capture) Stream(ctx context.Context, req control.Request, conn *control.Conn) error {
	return control.ServeLogs(ctx, c.buf, req, conn)
}

// Tail answers the "tail" verb: the newest records jinit still holds.
func (c *Capture) Tail(req control.Request) control.Response {
	if c == nil {
		return control.Response{Error: "log capture is off (jinit has no control socket)"}
	}
	recs := c.buf.Tail(req.Service, req.FromSeq, req.Lines)
	data, err := json.Marshal(logs.TailReply{Boot: c.buf.Boot(), Records: logs.ToTail(recs), Buffer: c.buf.Stats()})
	if err != nil {
		return control.Response{Error: err.Error()}
	}
	return control.Response{OK: true, Data: data}
}

// spillDir is where a jail's jinit spills: in the jail's writable layer,
// which outlives the jail. Only PID 1 of a jail spills; jinit run by hand
// writes what is left to its stderr.
func spillDir(o options) string {
	if o.jail == "" || os.Getpid() != 1 {
		return ""
	}
	return "/" + logs.SpillDir
}

// Close ends capture at shutdown, when every service has stopped: the
// pipes are read to their end, and the collector gets time to acknowledge
// everything. What it does not take is spilled into the jail's writable
// layer, where the collector finds it and stores it (exactly once) later;
// where there is no spill, or it fails, it goes to jinit's own stderr (the
// jail's console log), so even then no line is lost without a trace.
func (c *Capture) Close() {
	if c == nil {
		return
	}
	close(c.done)
	c.mu.Lock()
	for _, s := range c.svcs {
		s.released = true
		for _, p := range s.pipes {
			p.w.Close()
		}
	}
	c.mu.Unlock()
	readers := make(chan struct{})
	go func() { c.wg.Wait(); close(readers) }()
	select {
	case <-readers:
	case <-time.After(2 * time.Second):
		c.log.Warn("a process outside the services still holds a log pipe")
	}
	if c.buf.EverSubscribed() && !c.buf.WaitIdle(c.drain) {
		c.log.Warn("the collector did not take every log line before the timeout")
	}
	if c.buf.Idle() {
		return
	}
	if c.spill != "" {
		n, err := c.spillRest()
		if err == nil {
			c.log.Warn("log lines not collected were spilled for the collector", "lines", n, "dir", c.spill)
			return
		}
		c.log.Error("spill log lines", "error", err)
	}
	c.dumpRest()
}

// Abandon is Close for a jinit that exits at once (its keeper is gone):
// no draining and no waiting for a collector, only the lines held so far
// are spilled (or written to stderr).
func (c *Capture) Abandon() {
	if c == nil || c.buf.Idle() {
		return
	}
	if c.spill != "" {
		if n, err := c.spillRest(); err == nil {
			c.log.Warn("log lines not collected were spilled for the collector", "lines", n, "dir", c.spill)
			return
		}
	}
	c.dumpRest()
}

// spillRest writes what the collector did not acknowledge to
// SPILL/BOOT.spill, complete or not at all (written aside, synced, renamed).
func (c *Capture) spillRest() (int, error) {
	if err := os.MkdirAll(c.spill, 0o700); err != nil {
		return 0, err
	}
	p := filepath.Join(c.spill, c.buf.Boot()+logs.SpillSuffix)
	f, err := os.OpenFile(p+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := c.buf.Spill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p+".tmp", p)
	}
	if err != nil {
		os.Remove(p + ".tmp")
	}
	return n, err
}

// dumpRest writes the records never acknowledged to stderr.
func (c *Capture) dumpRest() {
	rest := c.buf.Tail("", c.buf.Stats().Acked, 0)
	if len(rest) == 0 {
		return
	}
	var st logs.Stamper
	out := []byte(fmt.Sprintf("jinit: %d log lines were not collected; they follow as SERVICE TIME STREAM TEXT\n", len(rest)))
	for i := range rest {
		out = append(out, rest[i].Service...)
		out = append(out, ' ')
		out = st.AppendLine(out, &rest[i])
	}
	console.Write(out)
}
