package logs

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// The store's line format, one record a line, readable with tail -F:
//
//	2024-05-01T12:00:00.123456789Z stdout text of the line
//
// The timestamp is UTC with nine decimals (always 30 bytes); the stream is
// stdout, stderr or jinit, followed by '+' when the record is partial (the
// service wrote no newline after it: a split long line continues in the
// next record of that stream). The text is the service's bytes unchanged.

// TimeLayout is the store's timestamp format.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

const timeLen = len(TimeLayout)

// Stamper formats timestamps, remembering the last one: the lines of one
// read share a timestamp, so most lines cost a copy.
type Stamper struct {
	last int64
	buf  []byte
}

// Append appends the timestamp t (Unix ns) in TimeLayout.
func (s *Stamper) Append(dst []byte, t int64) []byte {
	if s.buf == nil || t != s.last {
		s.buf = time.Unix(0, t).UTC().AppendFormat(s.buf[:0], TimeLayout)
		s.last = t
	}
	return append(dst, s.buf...)
}

// AppendLine appends r as one line of the store.
func (s *Stamper) AppendLine(dst []byte, r *Record) []byte {
	dst = s.Append(dst, r.Time)
	dst = append(dst, ' ')
	dst = append(dst, r.Stream.String()...)
	if r.Flags&Partial != 0 {
		dst = append(dst, '+')
	}
	dst = append(dst, ' ')
	dst = append(dst, r.Text...)
	return append(dst, '\n')
}

// Line is one parsed line of the store.
type Line struct {
	Time    time.Time
	Stream  Stream
	Partial bool
	Text    []byte // aliases the input
}

var errBadLine = errors.New("not a log line")

// ParseLine parses one line of the store, without its newline.
func ParseLine(b []byte) (Line, error) {
	if len(b) < timeLen+2 || b[timeLen] != ' ' {
		return Line{}, errBadLine
	}
	t, err := time.Parse(TimeLayout, string(b[:timeLen]))
	if err != nil {
		return Line{}, fmt.Errorf("%w: %v", errBadLine, err)
	}
	rest := b[timeLen+1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return Line{}, errBadLine
	}
	tok, partial := rest[:sp], false
	if n := len(tok); n > 0 && tok[n-1] == '+' {
		tok, partial = tok[:n-1], true
	}
	st, ok := ParseStream(string(tok))
	if !ok {
		return Line{}, fmt.Errorf("%w: stream %q", errBadLine, tok)
	}
	return Line{Time: t.UTC(), Stream: st, Partial: partial, Text: rest[sp+1:]}, nil
}

// LineTime parses only the timestamp of a store line (cheap filtering).
func LineTime(b []byte) (time.Time, bool) {
	if len(b) < timeLen {
		return time.Time{}, false
	}
	t, err := time.Parse(TimeLayout, string(b[:timeLen]))
	return t, err == nil
}
