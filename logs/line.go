package logs

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// The store's line format is the CRI log format (what kubelet's runtimes
// write, and what Promtail, Fluent Bit, Vector and the OpenTelemetry
// collector parse natively), one record a line, readable with tail -F:
//
//	2024-05-01T12:00:00.123456789Z stdout F text of the line
//
// The timestamp is UTC with nine decimals (always 30 bytes); the stream is
// stdout or stderr; the tag is F for a full line, P for a partial one (the
// service wrote no newline after it: a split long line continues in the
// next record of that stream). jinit's own lines about the service are
// stderr lines tagged F:jinit (or P:jinit): CRI tags are ':'-separated and
// parsers read the first, and no service can write a tag. The text is the
// service's bytes unchanged.
//
// Stores written before (TIME STREAM[+] TEXT, stream jinit for jinit's
// lines) are still read: a line whose third field is not a tag is read
// that way.

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
	dst = s.AppendPrefix(dst, r.Time, r.Stream, r.Flags)
	dst = append(dst, r.Text...)
	return append(dst, '\n')
}

// AppendPrefix appends what precedes the text in a line.
func (s *Stamper) AppendPrefix(dst []byte, t int64, st Stream, fl Flags) []byte {
	dst = s.Append(dst, t)
	if st == Jinit {
		dst = append(dst, " stderr "...)
	} else {
		dst = append(dst, ' ')
		dst = append(dst, st.String()...)
		dst = append(dst, ' ')
	}
	if fl&Partial != 0 {
		dst = append(dst, 'P')
	} else {
		dst = append(dst, 'F')
	}
	if st == Jinit {
		dst = append(dst, jinitTag...)
	}
	return append(dst, ' ')
}

// jinitTag follows F or P on jinit's own lines.
const jinitTag = ":jinit"

// stampShape is TimeLayout with every digit as '0'.
const stampShape = "0000-00-00T00:00:00.000000000Z"

// checkLine checks the shape of a line of the store (without its newline)
// cheaply, and returns its stream, partial mark and where its text starts.
func checkLine(b []byte) (Stream, bool, int, error) {
	if len(b) < timeLen+2 || b[timeLen] != ' ' {
		return 0, false, 0, errBadLine
	}
	for i := 0; i < timeLen; i++ {
		c, want := b[i], stampShape[i]
		if want == '0' && (c < '0' || c > '9') || want != '0' && c != want {
			return 0, false, 0, fmt.Errorf("%w: bad timestamp", errBadLine)
		}
	}
	rest := b[timeLen+1:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return 0, false, 0, fmt.Errorf("%w: no stream", errBadLine)
	}
	off := timeLen + 1 + sp + 1
	if st, ok := ParseStream(string(rest[:sp])); ok && st != Jinit {
		tag := rest[sp+1:]
		if i := bytes.IndexByte(tag, ' '); i >= 0 {
			tag = tag[:i]
		} else if len(tag) > 0 && off+len(tag) == len(b) {
			// a tag and no text: the text is empty
		} else {
			tag = nil
		}
		if partial, jinit, ok := parseTag(tag); ok {
			if jinit {
				st = Jinit
			}
			return st, partial, min(off+len(tag)+1, len(b)), nil
		}
	}
	return legacyStream(rest[:sp], off)
}

// parseTag reads a CRI tag: F or P, then :jinit on jinit's lines.
func parseTag(tag []byte) (partial, jinit, ok bool) {
	switch string(tag) {
	case "F":
		return false, false, true
	case "P":
		return true, false, true
	case "F" + jinitTag:
		return false, true, true
	case "P" + jinitTag:
		return true, true, true
	}
	return false, false, false
}

// legacyStream reads the stream field of the earlier format: stdout,
// stderr or jinit, with '+' on partial records.
func legacyStream(tok []byte, off int) (Stream, bool, int, error) {
	partial := false
	if n := len(tok); n > 0 && tok[n-1] == '+' {
		tok, partial = tok[:n-1], true
	}
	st, ok := ParseStream(string(tok))
	if !ok {
		return 0, false, 0, fmt.Errorf("%w: stream %q", errBadLine, tok)
	}
	return st, partial, off, nil
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
	st, partial, off, err := checkLine(b)
	if err != nil {
		return Line{}, err
	}
	t, err := time.Parse(TimeLayout, string(b[:timeLen]))
	if err != nil {
		return Line{}, fmt.Errorf("%w: %v", errBadLine, err)
	}
	return Line{Time: t.UTC(), Stream: st, Partial: partial, Text: b[off:]}, nil
}

// LineTime parses only the timestamp of a store line (cheap filtering).
func LineTime(b []byte) (time.Time, bool) {
	if len(b) < timeLen {
		return time.Time{}, false
	}
	t, err := time.Parse(TimeLayout, string(b[:timeLen]))
	return t, err == nil
}

// EachLine calls fn for every line of data (without its newline).
func EachLine(data []byte, fn func(line []byte)) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			fn(data)
			return
		}
		fn(data[:i])
		data = data[i+1:]
	}
}
