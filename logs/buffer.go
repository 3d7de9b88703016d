package logs

import (
	"errors"
	"time"

	"sync"
)

// Defaults of jinit's log capture.
const (
	DefaultBuffer  = 4 << 20  // bytes of formatted lines per jail
	DefaultLineMax = 64 << 10 // longer lines are split
	MinBuffer      = 64 << 10
)

const (
	firstChunk = 2 << 10
	chunkSize  = 64 << 10
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
	Limit   int64  // bytes held, unsent and in flight
	LineMax int    // longer lines are split into pieces of this size
	Boot    string // identifies this jinit's sequence space
}

// Counters are the capture statistics of one service.
type Counters struct {
	Lines     uint64 `json:"lines"`      // records taken from stdout and stderr
	Bytes     uint64 `json:"bytes"`      // their text bytes
	Dropped   uint64 `json:"dropped"`    // records dropped because the buffer was full
	BlockedNS uint64 `json:"blocked_ns"` // time its pipes were left unread because the buffer was full
	// LastDropNS is when the last dropped record was taken (Unix ns; 0
	// if none was).
	LastDropNS int64 `json:"last_drop_ns,omitempty"`
}

// Buffer is jinit's bounded log buffer. Each service has a queue of lines
// not yet sent, formatted as the store will hold them; sent batches stay
// "in flight" until the collector acknowledges them, and are sent again to
// the next collector if the connection breaks. Limit bounds unsent plus
// in-flight bytes. When the buffer is full a service in blocking mode is
// not read (its writers block on the full pipe); a service in drop mode
// loses its oldest unsent lines, and a marker line saying how many takes
// their place.
type Buffer struct {
	mu     sync.Mutex
	cfg    BufferConfig
	used   int64
	unsent int64  // bytes of lines not sent yet
	seq    uint64 // the last sequence number given out
	stamp  Stamper
	queues map[string]*queue
	active []*queue // queues with something to send

	inflight []flight
	free     [][]byte // chunks and batch buffers to reuse (allocating zeroes memory)
	resend   int      // next in-flight batch to send again on a new subscription
	sentMax  uint64   // every record up to this one was sent or dropped
	acked    uint64

	gen        uint64
	subscribed bool
	everSub    bool
	dataC      chan struct{} // cap 1: something to send (per subscription)
	spaceC     chan struct{} // closed when space is freed or a batch acknowledged
}

type flight struct {
	data        []byte
	size        int64 // what it counts in Buffer.used: its lines
	first, last uint64
}

// queue is one service's unsent lines: their bytes in chunks, and for
// each its sequence number and length.
type queue struct {
	name     string
	drop     bool
	chunks   [][]byte // chunks[0][off:] is the oldest line
	off      int
	idx      []lineRef // idx[ihead:] describes the lines, oldest first
	ihead    int
	bytes    int64
	isActive bool
	// A pending drop marker: how many lines were dropped, and the sequence
	// number (of a dropped line) the marker takes over.
	dropped  uint64
	dropSeq  uint64
	dropTime int64
	c        Counters
	// Readers waiting for space, since when.
	waiting   int
	waitSince time.Time
}

type lineRef struct {
	seq uint64
	n   uint32
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

// appendLocked adds one line (prefix, text, newline) at the tail of q.
func (b *Buffer) appendLocked(q *queue, prefix, text []byte) {
	b.seq++
	n := len(prefix) + len(text) + 1
	last := len(q.chunks) - 1
	if last < 0 || cap(q.chunks[last])-len(q.chunks[last]) < n {
		// Chunks start small (most services write little) and double
		// while a service keeps writing.
		size := firstChunk
		if last >= 0 {
			size = min(chunkSize, 2*cap(q.chunks[last]))
		}
		q.chunks = append(q.chunks, b.chunk(max(size, n)))
		last++
	}
	c := append(q.chunks[last], prefix...)
	c = append(c, text...)
	q.chunks[last] = append(c, '\n')
	q.idx = append(q.idx, lineRef{b.seq, uint32(n)})
	q.bytes += int64(n)
	b.used += int64(n)
	b.unsent += int64(n)
	b.activate(q)
}

// chunk returns an empty buffer of at least n bytes, reused if one is
// free.
func (b *Buffer) chunk(n int) []byte {
	for i := len(b.free) - 1; i >= 0; i-- {
		if c := b.free[i]; cap(c) >= n && cap(c) <= 2*n {
			b.free[i] = b.free[len(b.free)-1]
			b.free = b.free[:len(b.free)-1]
			return c[:0]
		}
	}
	return make([]byte, 0, n)
}

// release keeps a buffer no longer used for reuse, up to a few MiB.
func (b *Buffer) release(c []byte) {
	if len(b.free) < 32 && cap(c) <= 2*DefaultBatch {
		b.free = append(b.free, c[:0])
	}
}

func (b *Buffer) activate(q *queue) {
	if !q.isActive {
		q.isActive = true
		b.active = append(b.active, q)
	}
}

// head returns q's oldest unsent line and its sequence number.
func (q *queue) head() (lineRef, bool) {
	if q.ihead >= len(q.idx) {
		return lineRef{}, false
	}
	return q.idx[q.ihead], true
}

// take appends q's oldest n bytes (whole lines) to dst and removes them;
// chunks emptied go to free.
func (q *queue) take(dst []byte, n int, free func([]byte)) []byte {
	for n > 0 {
		c := q.chunks[0][q.off:]
		k := min(n, len(c))
		if dst != nil {
			dst = append(dst, c[:k]...)
		}
		n -= k
		q.off += k
		if q.off == len(q.chunks[0]) {
			q.off = 0
			if len(q.chunks) == 1 {
				q.chunks[0] = q.chunks[0][:0] // reuse the only chunk
			} else {
				free(q.chunks[0])
				q.chunks[0] = nil
				q.chunks = q.chunks[1:]
			}
		}
	}
	return dst
}

// popLines removes q's oldest k lines, appending them to dst unless dst
// is nil; it returns dst and their size.
func (q *queue) popLines(dst []byte, k int, free func([]byte)) ([]byte, int) {
	size := 0
	for _, r := range q.idx[q.ihead : q.ihead+k] {
		size += int(r.n)
	}
	q.ihead += k
	if q.ihead == len(q.idx) {
		q.idx, q.ihead = q.idx[:0], 0
	} else if q.ihead > 1024 && q.ihead > len(q.idx)/2 {
		q.idx = append(q.idx[:0], q.idx[q.ihead:]...)
		q.ihead = 0
	}
	q.bytes -= int64(size)
	return q.take(dst, size, free), size
}

// nextSeq is the sequence number of what q sends next (its drop marker
// or its oldest line), 0 if nothing.
func (q *queue) nextSeq() uint64 {
	h, ok := q.head()
	switch {
	case q.dropped > 0 && (!ok || q.dropSeq < h.seq):
		return q.dropSeq
	case ok:
		return h.seq
	}
	return 0
}

// shed drops q's oldest unsent lines while the buffer is over limit.
func (b *Buffer) shed(q *queue, limit int64) {
	for b.used > limit {
		h, ok := q.head()
		if !ok {
			return
		}
		t := lineTime(q.chunks[0][q.off:])
		_, n := q.popLines(nil, 1, b.release)
		b.used -= int64(n)
		b.unsent -= int64(n)
		b.noteDrop(q, h.seq, t)
	}
}

// lineTime reads back the timestamp of a formatted line.
func lineTime(b []byte) int64 {
	if t, ok := LineTime(b); ok {
		return t.UnixNano()
	}
	return time.Now().UnixNano()
}

func (b *Buffer) noteDrop(q *queue, seq uint64, t int64) {
	q.dropped++
	q.c.Dropped++
	q.c.LastDropNS = max(q.c.LastDropNS, t)
	if seq > q.dropSeq {
		q.dropSeq, q.dropTime = seq, t
	}
	b.activate(q)
}

// Kick wakes the sender: the reader has read all there was, so what is
// buffered goes now rather than when a batch is full.
func (b *Buffer) Kick() {
	b.mu.Lock()
	b.notify()
	b.mu.Unlock()
}

// notifyFull wakes the sender if a batch's worth is waiting (during a
// burst the sender then wakes once a batch, not once a read).
func (b *Buffer) notifyFull() {
	if b.unsent >= min(DefaultBatch, b.cfg.Limit/4) {
		b.notify()
	}
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

// WaitSpace blocks a reader of service while the buffer is full and
// returns when there is room or done is closed. The time during which any
// reader of the service waits is its BlockedNS.
func (b *Buffer) WaitSpace(service string, done <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used < b.cfg.Limit {
		return
	}
	q := b.queue(service)
	if q.waiting == 0 {
		q.waitSince = time.Now()
	}
	q.waiting++
	b.notify() // whatever is buffered must go for space to come
	for b.used >= b.cfg.Limit {
		c := b.spaceC
		b.mu.Unlock()
		select {
		case <-c:
		case <-done:
			done = nil
		}
		b.mu.Lock()
		if done == nil {
			break
		}
	}
	if q.waiting--; q.waiting == 0 {
		q.c.BlockedNS += uint64(time.Since(q.waitSince))
	}
}

// Message appends jinit's own line(s) about a service (stream jinit).
// It never blocks; beyond a small allowance over the limit the message is
// dropped and counted like any other line.
func (b *Buffer) Message(service string, now int64, msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queue(service)
	for _, p := range splitMessage(msg, b.cfg.LineMax) {
		if b.used > b.cfg.Limit+messageSlack {
			b.seq++
			if q.dropped == 0 {
				b.noteDrop(q, b.seq, now)
			} else {
				q.dropped++ // the pending marker keeps its place
				q.c.Dropped++
				q.c.LastDropNS = max(q.c.LastDropNS, now)
			}
			continue
		}
		b.appendLocked(q, b.stamp.AppendPrefix(nil, now, Jinit, p.flags), []byte(p.text))
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
		c := q.c
		if q.waiting > 0 {
			c.BlockedNS += uint64(time.Since(q.waitSince))
		}
		out[n] = c
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
