package logs

import (
	"context"
	"fmt"
	"math"
	"strconv"
)

// DefaultBatch is the largest batch Next builds.
const DefaultBatch = 256 << 10

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
// acknowledged), then new records in sequence order, at most max bytes
// unless a single record is larger. The batch stays in flight until
// acknowledged.
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
			data := b.build(max)
			b.mu.Unlock()
			return data, nil
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

// build moves records from the queues into a new in-flight batch, merging
// the queues in sequence order.
func (b *Buffer) build(max int) []byte {
	size := 0
	for _, q := range b.active {
		size += int(q.bytes)
		if q.dropped > 0 {
			size += HeaderSize + len(q.name) + 64
		}
	}
	out := make([]byte, 0, min(size, max))
	for len(b.active) > 0 {
		qi, next := b.lowest()
		q := b.active[qi]
		for {
			s := q.nextSeq()
			if s == 0 || s > next {
				break
			}
			// A marker takes the sequence number of a record that was
			// dropped, so it can never be one of the queue's records.
			isMarker := q.dropped > 0 && s == q.dropSeq
			var rec []byte
			if isMarker {
				m := q.marker()
				rec = AppendRecord(nil, &m)
			} else {
				rec = q.head()
			}
			if len(out) > 0 && len(out)+len(rec) > max {
				return b.sent(out)
			}
			out = append(out, rec...)
			if isMarker {
				q.dropped = 0
				b.used += int64(len(rec)) // released with its batch
			} else {
				q.pop(len(rec))
			}
		}
		if q.nextSeq() == 0 {
			q.isActive = false
			b.active = append(b.active[:qi], b.active[qi+1:]...)
		}
	}
	return b.sent(out)
}

// lowest finds the active queue with the lowest next sequence number, and
// the lowest next sequence number of any other queue (records of the
// chosen one are taken up to it).
func (b *Buffer) lowest() (int, uint64) {
	best, bestSeq, second := -1, uint64(math.MaxUint64), uint64(math.MaxUint64)
	for i, q := range b.active {
		s := q.nextSeq()
		if s == 0 {
			s = math.MaxUint64 - 1 // empty: removed once chosen
		}
		if s < bestSeq {
			best, bestSeq, second = i, s, bestSeq
		} else if s < second {
			second = s
		}
	}
	return best, second
}

// sent records a built batch as in flight.
func (b *Buffer) sent(out []byte) []byte {
	if len(out) == 0 {
		return nil
	}
	first := recordSeq(out)
	last := first
	for p := out; len(p) > 0; p = p[recordLen(p):] {
		last = recordSeq(p)
	}
	b.inflight = append(b.inflight, flight{data: out, first: first, last: last})
	b.resend = len(b.inflight)
	b.sentMax = max(b.sentMax, last)
	return out
}

// marker is the record that stands for q's dropped records.
func (q *queue) marker() Record {
	return Record{Seq: q.dropSeq, Time: q.dropTime, Service: q.name, Stream: Jinit,
		Text: []byte("dropped " + strconv.FormatUint(q.dropped, 10) + " lines: log buffer full")}
}

// Ack records that the collector has stored everything up to seq.
func (b *Buffer) Ack(seq uint64) {
	b.mu.Lock()
	b.ackLocked(min(seq, b.sentMax))
	b.mu.Unlock()
}

func (b *Buffer) ackLocked(seq uint64) {
	if seq <= b.acked {
		return
	}
	b.acked = seq
	for len(b.inflight) > 0 && b.inflight[0].last <= seq {
		b.used -= int64(len(b.inflight[0].data))
		b.inflight[0] = flight{}
		b.inflight = b.inflight[1:]
		if b.resend > 0 {
			b.resend--
		}
	}
	if len(b.inflight) > 0 && b.inflight[0].first <= seq {
		f := &b.inflight[0]
		off := 0
		for off < len(f.data) && recordSeq(f.data[off:]) <= seq {
			off += recordLen(f.data[off:])
		}
		b.used -= int64(off)
		f.data = f.data[off:]
		f.first = recordSeq(f.data)
	}
	b.freed()
}

// String summarises the buffer for diagnostics.
func (b *Buffer) String() string {
	st := b.Stats()
	return fmt.Sprintf("log buffer %d/%d bytes, seq %d, acked %d", st.Used, st.Limit, st.Seq, st.Acked)
}
