package logs

import (
	"errors"
	"sort"
	"sync"
	"time"
)

// Defaults of jinit's log capture.
const (
	DefaultBuffer  = 4 << 20  // bytes of encoded records per jail
	DefaultLineMax = 64 << 10 // longer lines are split
	MinBuffer      = 64 << 10
)

const (
	chunkSize = 64 << 10
	// messageSlack is how far jinit's own messages may go over the limit:
	// they must never block the supervisor, but cannot grow without bound.
	messageSlack = 64 << 10
	// tailCap bounds what Tail returns.
	tailCap = 8 << 20
)

// ErrSuperseded ends a subscription that a newer one replaced.
var ErrSuperseded = errors.New("log subscription superseded by a newer one")

// BufferConfig configures a Buffer.
type BufferConfig struct {
	Limit   int64  // bytes of encoded records held, unsent and in flight
	LineMax int    // longer lines are split into pieces of this size
	Boot    string // identifies this jinit's sequence space
}

// Counters are the capture statistics of one service.
type Counters struct {
	Lines     uint64 `json:"lines"`      // records taken from stdout and stderr
	Bytes     uint64 `json:"bytes"`      // their text bytes
	Dropped   uint64 `json:"dropped"`    // records dropped because the buffer was full
	BlockedNS uint64 `json:"blocked_ns"` // time its pipes were left unread because the buffer was full
}

// Buffer is jinit's bounded log buffer. Each service has a queue of
// encoded records not yet sent; sent batches stay "in flight" until the
// collector acknowledges them, and are sent again to the next collector if
// the connection breaks. Limit bounds unsent plus in-flight bytes. When the
// buffer is full a service in blocking mode is not read (its writers block
// on the full pipe); a service in drop mode loses its oldest unsent
// records, and a marker record saying how many takes their place.
type Buffer struct {
	mu     sync.Mutex
	cfg    BufferConfig
	used   int64
	seq    uint64 // the last sequence number given out
	queues map[string]*queue
	active []*queue // queues with something to send

	inflight []flight
	resend   int    // next in-flight batch to send again on a new subscription
	sentMax  uint64 // the highest sequence number ever sent
	acked    uint64

	gen        uint64
	subscribed bool
	everSub    bool
	dataC      chan struct{} // cap 1: something to send (per subscription)
	spaceC     chan struct{} // closed when space is freed or a batch acknowledged
}

type flight struct {
	data        []byte
	first, last uint64
}

type queue struct {
	name     string
	drop     bool
	chunks   [][]byte // encoded records; chunks[0][off:] is the oldest
	off      int
	bytes    int64
	isActive bool
	// A pending drop marker: how many records were dropped, and the
	// sequence number (of the last one dropped) the marker takes over.
	dropped  uint64
	dropSeq  uint64
	dropTime int64
	c        Counters
}

// NewBuffer makes a buffer; zero fields of cfg get the defaults.
func NewBuffer(cfg BufferConfig) *Buffer {
	if cfg.Limit <= 0 {
		cfg.Limit = DefaultBuffer
	}
	if cfg.LineMax <= 0 {
		cfg.LineMax = DefaultLineMax
	}
	return &Buffer{cfg: cfg, queues: map[string]*queue{}, dataC: make(chan struct{}, 1), spaceC: make(chan struct{})}
}

// Boot returns the buffer's boot identifier.
func (b *Buffer) Boot() string { return b.cfg.Boot }

func (b *Buffer) queue(service string) *queue {
	q := b.queues[service]
	if q == nil {
		q = &queue{name: service}
		b.queues[service] = q
	}
	return q
}

// SetDrop chooses drop mode (true) or blocking mode for a service.
func (b *Buffer) SetDrop(service string, drop bool) {
	b.mu.Lock()
	b.queue(service).drop = drop
	b.mu.Unlock()
}

// Drop reports whether a service is in drop mode.
func (b *Buffer) Drop(service string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queue(service).drop
}

// appendLocked encodes one record at the tail of q.
func (b *Buffer) appendLocked(q *queue, st Stream, fl Flags, t int64, text []byte) {
	b.seq++
	n := RecordSize(q.name, len(text))
	last := len(q.chunks) - 1
	if last < 0 || cap(q.chunks[last])-len(q.chunks[last]) < n {
		q.chunks = append(q.chunks, make([]byte, 0, max(chunkSize, n)))
		last++
	}
	r := Record{Seq: b.seq, Time: t, Service: q.name, Stream: st, Flags: fl, Text: text}
	q.chunks[last] = AppendRecord(q.chunks[last], &r)
	q.bytes += int64(n)
	b.used += int64(n)
	if st != Jinit {
		q.c.Lines++
		q.c.Bytes += uint64(len(text))
	}
	b.activate(q)
}

func (b *Buffer) activate(q *queue) {
	if !q.isActive {
		q.isActive = true
		b.active = append(b.active, q)
	}
}

// head returns q's oldest unsent record, or nil.
func (q *queue) head() []byte {
	if len(q.chunks) == 0 || q.off >= len(q.chunks[0]) {
		return nil
	}
	c := q.chunks[0][q.off:]
	return c[:recordLen(c)]
}

// pop removes q's oldest record (which head returned).
func (q *queue) pop(n int) {
	q.off += n
	q.bytes -= int64(n)
	if q.off < len(q.chunks[0]) {
		return
	}
	q.off = 0
	if len(q.chunks) == 1 {
		q.chunks[0] = q.chunks[0][:0] // reuse the only chunk
		return
	}
	q.chunks[0] = nil
	q.chunks = q.chunks[1:]
}

// nextSeq is the sequence number of what q sends next (its drop marker
// or its oldest record), 0 if nothing.
func (q *queue) nextSeq() uint64 {
	h := q.head()
	switch {
	case q.dropped > 0 && (h == nil || q.dropSeq < recordSeq(h)):
		return q.dropSeq
	case h != nil:
		return recordSeq(h)
	}
	return 0
}

// shed drops q's oldest unsent records while the buffer is over limit.
func (b *Buffer) shed(q *queue, limit int64) {
	for b.used > limit {
		h := q.head()
		if h == nil {
			return
		}
		b.noteDrop(q, recordSeq(h), recordTime(h))
		q.pop(len(h))
		b.used -= int64(len(h))
	}
}

func (b *Buffer) noteDrop(q *queue, seq uint64, t int64) {
	q.dropped++
	q.c.Dropped++
	if seq > q.dropSeq {
		q.dropSeq, q.dropTime = seq, t
	}
	b.activate(q)
}

// notify wakes the sender.
func (b *Buffer) notify() {
	select {
	case b.dataC <- struct{}{}:
	default:
	}
}

// freed wakes everyone waiting for space or acknowledgements.
func (b *Buffer) freed() {
	close(b.spaceC)
	b.spaceC = make(chan struct{})
}

// WaitSpace blocks while the buffer is full and returns how long it
// waited; it returns early when done is closed.
func (b *Buffer) WaitSpace(done <-chan struct{}) time.Duration {
	b.mu.Lock()
	if b.used < b.cfg.Limit {
		b.mu.Unlock()
		return 0
	}
	start := time.Now()
	for b.used >= b.cfg.Limit {
		c := b.spaceC
		b.mu.Unlock()
		select {
		case <-c:
		case <-done:
			return time.Since(start)
		}
		b.mu.Lock()
	}
	b.mu.Unlock()
	return time.Since(start)
}

// AddBlocked adds time a service's pipes were left unread.
func (b *Buffer) AddBlocked(service string, d time.Duration) {
	if d <= 0 {
		return
	}
	b.mu.Lock()
	b.queue(service).c.BlockedNS += uint64(d)
	b.mu.Unlock()
}

// Message appends jinit's own line(s) about a service (stream jinit).
// It never blocks; beyond a small allowance over the limit the message is
// dropped and counted like any other record.
func (b *Buffer) Message(service string, now int64, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queue(service)
	for _, p := range splitMessage(msg, b.cfg.LineMax) {
		if b.used > b.cfg.Limit+messageSlack {
			b.seq++
			b.noteDrop(q, b.seq, now)
			continue
		}
		b.appendLocked(q, Jinit, p.flags, now, []byte(p.text))
	}
	b.notify()
}

type piece struct {
	text  string
	flags Flags
}

// splitMessage cuts a message into lines, and lines longer than max into
// marked pieces.
func splitMessage(msg string, max int) []piece {
	var out []piece
	for {
		line, rest, more := cut(msg, '\n')
		for len(line) > max {
			out, line = append(out, piece{line[:max], Partial}), line[max:]
		}
		out = append(out, piece{line, 0})
		if !more {
			return out
		}
		msg = rest
	}
}

func cut(s string, c byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// Counters returns every service's counters.
func (b *Buffer) Counters() map[string]Counters {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]Counters, len(b.queues))
	for n, q := range b.queues {
		out[n] = q.c
	}
	return out
}

// Stats describes the buffer as a whole.
type Stats struct {
	Used       int64  `json:"used"`  // bytes held, unsent and in flight
	Limit      int64  `json:"limit"` // the configured bound
	Seq        uint64 `json:"seq"`   // the last sequence number given out
	Acked      uint64 `json:"acked"` // the last one the collector acknowledged
	Subscribed bool   `json:"subscribed"`
}

func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Used: b.used, Limit: b.cfg.Limit, Seq: b.seq, Acked: b.acked, Subscribed: b.subscribed}
}

// Tail returns up to n of the records still held (unacknowledged), the
// newest ones, with a sequence number above after; service "" means all.
// Text is copied.
func (b *Buffer) Tail(service string, after uint64, n int) []Record {
	b.mu.Lock()
	var out []Record
	keep := func(r *Record) error {
		if r.Seq > after && (service == "" || r.Service == service) {
			c := *r
			c.Text = append([]byte(nil), r.Text...)
			out = append(out, c)
		}
		return nil
	}
	for _, f := range b.inflight {
		DecodeBatch(f.data, keep)
	}
	for _, q := range b.queues {
		for i, c := range q.chunks {
			if i == 0 {
				c = c[q.off:]
			}
			DecodeBatch(c, keep)
		}
		if q.dropped > 0 {
			m := q.marker()
			keep(&m)
		}
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	size := 0
	for i := len(out) - 1; i >= 0; i-- {
		if size += RecordSize(out[i].Service, len(out[i].Text)); size > tailCap {
			return out[i+1:]
		}
	}
	return out
}

// Idle reports whether everything taken has been acknowledged.
func (b *Buffer) Idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.idleLocked()
}

func (b *Buffer) idleLocked() bool { return b.used == 0 && len(b.active) == 0 }

// EverSubscribed reports whether a collector has ever subscribed.
func (b *Buffer) EverSubscribed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.everSub
}

// WaitIdle waits until everything has been acknowledged or the timeout
// passes, and reports which.
func (b *Buffer) WaitIdle(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	b.mu.Lock()
	for !b.idleLocked() {
		c := b.spaceC
		b.mu.Unlock()
		select {
		case <-c:
		case <-t.C:
			return b.Idle()
		}
		b.mu.Lock()
	}
	b.mu.Unlock()
	return true
}
