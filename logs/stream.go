package logs

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// DefaultBatch is the size Next aims at for one batch.
const DefaultBatch = 1 << 20

// Subscribe starts a new subscription, replacing any other: the collector
// has stored everything of stream boot up to and including from. If boot
// is not this buffer's, nothing of this stream is stored yet and from is
// taken as 0. It returns the subscription's generation and the sequence
// number it resumes after.
func (b *Buffer) Subscribe(boot string, from uint64) (gen, after uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if boot != b.cfg.Boot {
		from = 0
	}
	from = min(from, b.sentMax) // a collector cannot have what was never sent
	b.gen++
	close(b.dataC) // wakes the previous subscription's sender, which sees it is stale
	b.dataC = make(chan struct{}, 1)
	b.ackLocked(from)
	b.resend = 0
	b.subscribed, b.everSub = true, true
	b.notify()
	return b.gen, from
}

// Unsubscribe ends subscription gen, if it is still the current one.
func (b *Buffer) Unsubscribe(gen uint64) {
	b.mu.Lock()
	if gen == b.gen {
		b.subscribed = false
	}
	b.mu.Unlock()
}

// Next returns the next batch for subscription gen, waiting until there is
// one: first the batches in flight (sent to an earlier collector, never
// acknowledged), then new lines, about max bytes (more if a single line is
// larger). The batch stays in flight until acknowledged.
func (b *Buffer) Next(ctx context.Context, gen uint64, max int) ([]byte, error) {
	b.mu.Lock()
	for {
		if gen != b.gen {
			b.mu.Unlock()
			return nil, ErrSuperseded
		}
		if b.resend < len(b.inflight) {
			f := b.inflight[b.resend]
			b.resend++
			b.mu.Unlock()
			return f.data, nil
		}
		if len(b.active) > 0 {
			if data := b.build(max); data != nil {
				b.mu.Unlock()
				return data, nil
			}
		}
		c := b.dataC
		b.mu.Unlock()
		select {
		case <-c:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		b.mu.Lock()
	}
}

// cutSeq chooses the last sequence number of the next batch: everything
// given out so far if it fits, else the lines in sequence order up to
// about max bytes. (Drop markers, a line each, are not counted.)
func (b *Buffer) cutSeq(max int) uint64 {
	size := 0
	for _, q := range b.active {
		size += int(q.bytes)
	}
	if size <= max {
		return b.seq
	}
	pos := make([]int, len(b.active)) // lines of each queue counted so far
	size = 0
	for {
		best, bestSeq := -1, uint64(math.MaxUint64)
		for i, q := range b.active {
			if j := q.ihead + pos[i]; j < len(q.idx) && q.idx[j].seq < bestSeq {
				best, bestSeq = i, q.idx[j].seq
			}
		}
		if best < 0 {
			return b.seq
		}
		q := b.active[best]
		size += int(q.idx[q.ihead+pos[best]].n)
		pos[best]++
		if size >= max {
			return bestSeq
		}
	}
}

// build moves the lines up to a cut into a new in-flight batch, one
// segment per service.
func (b *Buffer) build(max int) []byte {
	cutAt := b.cutSeq(max)
	first := uint64(math.MaxUint64)
	out := AppendBatchHeader(b.chunk(min(max, int(b.unsent))+64*len(b.active)), 0, 0)
	keep := b.active[:0]
	var size int64
	for _, q := range b.active {
		if s := q.nextSeq(); s != 0 && s <= cutAt {
			first = min(first, s)
			var n int64
			out, n = b.segment(out, q, cutAt)
			size += n
		}
		if q.nextSeq() != 0 {
			keep = append(keep, q)
		} else {
			q.isActive = false
		}
	}
	b.active = keep
	if first == math.MaxUint64 {
		return nil // nothing after all
	}
	copy(out, AppendBatchHeader(nil, first, cutAt))
	b.inflight = append(b.inflight, flight{data: out, size: size, first: first, last: cutAt})
	b.resend = len(b.inflight)
	b.sentMax = cutAt
	return out
}

// segment appends q's lines up to cutAt (and its marker) as a segment,
// and returns the bytes of lines it took.
func (b *Buffer) segment(out []byte, q *queue, cutAt uint64) ([]byte, int64) {
	k := 0
	for q.ihead+k < len(q.idx) && q.idx[q.ihead+k].seq <= cutAt {
		k++
	}
	out = AppendSegment(out, q.name, 0, nil) // counts filled in below
	start, lines, size, markerBytes := len(out), k, 0, 0
	if q.dropped > 0 && q.dropSeq <= cutAt {
		before := 0 // lines older than the marker
		for before < k && q.idx[q.ihead+before].seq < q.dropSeq {
			before++
		}
		var n int
		out, n = q.popLines(out, before, b.release)
		m := b.stamp.AppendLine(nil, q.marker())
		out = append(out, m...)
		b.used += int64(len(m)) // released with the batch
		q.dropped = 0
		k -= before
		lines++
		size += n + len(m)
		markerBytes = len(m)
	}
	out, n := q.popLines(out, k, b.release)
	b.unsent -= int64(size + n - markerBytes)
	binary.BigEndian.PutUint32(out[start-8:], uint32(lines))
	binary.BigEndian.PutUint32(out[start-4:], uint32(len(out)-start))
	return out, int64(size + n)
}

// marker is the line that stands for q's dropped lines.
func (q *queue) marker() *Record {
	return &Record{Seq: q.dropSeq, Time: q.dropTime, Service: q.name, Stream: Jinit,
		Text: []byte("dropped " + strconv.FormatUint(q.dropped, 10) + " lines: log buffer full")}
}

// Ack records that the collector has stored everything up to seq.
func (b *Buffer) Ack(seq uint64) {
	b.mu.Lock()
	b.ackLocked(min(seq, b.sentMax))
	b.mu.Unlock()
}

// ackLocked releases the in-flight batches up to seq (acknowledgements
// fall on batch boundaries: the collector stores whole batches).
func (b *Buffer) ackLocked(seq uint64) {
	if seq <= b.acked {
		return
	}
	b.acked = seq
	for len(b.inflight) > 0 && b.inflight[0].last <= seq {
		b.used -= b.inflight[0].size
		// Safe to reuse: the collector acknowledges a batch only once it
		// has all of it, so no write of it is still reading the buffer.
		b.release(b.inflight[0].data)
		b.inflight[0] = flight{}
		b.inflight = b.inflight[1:]
		if b.resend > 0 {
			b.resend--
		}
	}
	b.freed()
}

// Tail returns up to n of the lines still held (unacknowledged), the
// newest ones, with a sequence number above after; service "" means all.
// Lines in flight (sent, not acknowledged) come first with Seq 0 and are
// left out when after > 0. Text is copied.
func (b *Buffer) Tail(service string, after uint64, n int) []Record {
	b.mu.Lock()
	var out []Record
	add := func(svc string, seq uint64, line []byte) {
		if service != "" && svc != service {
			return
		}
		l, err := ParseLine(line[:len(line)-1])
		if err != nil {
			return
		}
		fl := Flags(0)
		if l.Partial {
			fl = Partial
		}
		out = append(out, Record{Seq: seq, Time: l.Time.UnixNano(), Service: svc, Stream: l.Stream, Flags: fl,
			Text: append([]byte(nil), l.Text...)})
	}
	if after == 0 {
		for _, f := range b.inflight {
			bt, _ := DecodeBatch(f.data)
			for _, sg := range bt.Segments {
				for d := sg.Data; len(d) > 0; {
					i := indexNL(d)
					add(sg.Service, 0, d[:i+1])
					d = d[i+1:]
				}
			}
		}
	}
	held := len(out)
	for _, q := range b.queues {
		off, ci := q.off, 0
		for _, r := range q.idx[q.ihead:] {
			line := q.chunks[ci][off : off+int(r.n)]
			if off += int(r.n); off == len(q.chunks[ci]) {
				off, ci = 0, ci+1
			}
			if r.seq > after {
				add(q.name, r.seq, line)
			}
		}
		if q.dropped > 0 && q.dropSeq > after {
			add(q.name, q.dropSeq, b.stamp.AppendLine(nil, q.marker()))
		}
	}
	b.mu.Unlock()
	rest := out[held:]
	sort.Slice(rest, func(i, j int) bool { return rest[i].Seq < rest[j].Seq })
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	size := 0
	for i := len(out) - 1; i >= 0; i-- {
		if size += len(out[i].Text) + 64; size > tailCap {
			return out[i+1:]
		}
	}
	return out
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return len(b) - 1
}

// String summarises the buffer for diagnostics.
func (b *Buffer) String() string {
	st := b.Stats()
	return fmt.Sprintf("log buffer %d/%d bytes, seq %d, acked %d", st.Used, st.Limit, st.Seq, st.Acked)
}
