package logs

import "bytes"

// Source is one captured stream (stdout or stderr) of one service: it cuts
// the bytes read from the pipe into records. It is not safe for concurrent
// use; jinit serialises the reads of a service.
type Source struct {
	b       *Buffer
	q       *queue
	stream  Stream
	partial []byte // the start of a line whose newline has not come yet
}

// Source returns a new source feeding a service's queue.
func (b *Buffer) Source(service string, st Stream) *Source {
	b.mu.Lock()
	defer b.mu.Unlock()
	return &Source{b: b, q: b.queue(service), stream: st}
}

// Service names the source's service.
func (s *Source) Service() string { return s.q.name }

// Drop reports whether the source's service is in drop mode.
func (s *Source) Drop() bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.q.drop
}

// Feed takes bytes read from the pipe at time now (Unix ns; every line of
// one read gets the same stamp). Complete lines become records; lines
// longer than the limit are cut into marked pieces; an unterminated rest
// waits for more. In drop mode the oldest unsent records of the service go
// if the buffer is over its limit afterwards.
func (s *Source) Feed(now int64, data []byte) {
	b, max := s.b, s.b.cfg.LineMax
	b.mu.Lock()
	defer b.mu.Unlock()
	var pre, preP []byte // the lines' prefixes: whole, and split piece
	piece := func(text []byte) {
		if preP == nil {
			preP = b.stamp.AppendPrefix(nil, now, s.stream, Partial)
		}
		b.appendLocked(s.q, preP, text)
		s.count(text)
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			s.partial = append(s.partial, data...)
			s.cutLong(max, piece)
			break
		}
		line := data[:i]
		data = data[i+1:]
		if len(s.partial) > 0 {
			s.partial = append(s.partial, line...)
			line = s.partial
		}
		for len(line) > max {
			piece(line[:max])
			line = line[max:]
		}
		if pre == nil {
			pre = b.stamp.AppendPrefix(nil, now, s.stream, 0)
		}
		b.appendLocked(s.q, pre, line)
		s.count(line)
		s.resetPartial()
	}
	if s.q.drop {
		b.shed(s.q, b.cfg.Limit)
	}
	b.notifyFull()
}

// cutLong emits full pieces of a pending line that is already longer than
// the limit. A rest of exactly the limit waits: if a newline follows, it
// is a complete line, not a piece followed by an empty one.
func (s *Source) cutLong(max int, piece func([]byte)) {
	if len(s.partial) <= max {
		return
	}
	rest := s.partial
	for len(rest) > max {
		piece(rest[:max])
		rest = rest[max:]
	}
	s.partial = append(s.partial[:0], rest...)
}

// count counts a record taken (every piece of a split line is one).
func (s *Source) count(text []byte) {
	s.q.c.Lines++
	s.q.c.Bytes += uint64(len(text))
}

func (s *Source) resetPartial() {
	if cap(s.partial) > 4096 {
		s.partial = nil // do not keep a long line's memory for an idle service
	} else {
		s.partial = s.partial[:0]
	}
}

// Flush emits a pending unterminated line as a full one (tag F): the
// service exited (or jinit is about to log about it) without ending the
// line. Nothing continues it, and a CRI reader would join a partial one
// to jinit's line that follows; containerd does the same with a
// container's last unterminated line.
func (s *Source) Flush(now int64) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(s.partial) == 0 {
		return
	}
	b.appendLocked(s.q, b.stamp.AppendPrefix(nil, now, s.stream, 0), s.partial)
	s.count(s.partial)
	s.resetPartial()
	if s.q.drop {
		b.shed(s.q, b.cfg.Limit)
	}
	b.notify()
}
