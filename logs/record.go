// Package logs carries every line a jailed service writes to the host
// store, exactly once and in order: the records and their wire format
// (jinit → collector), jinit's bounded buffer with backpressure or drop,
// the on-disk store with rotation, retention and crash recovery, its
// reader, the audit log and syslog forwarding. The collector engine is in
// package logs/collector. docs/LOGS.md describes the design.
package logs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Stream says where a record came from.
type Stream uint8

const (
	Stdout Stream = 1
	Stderr Stream = 2
	Jinit  Stream = 3 // jinit's own lines about the service
)

func (s Stream) String() string {
	switch s {
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	case Jinit:
		return "jinit"
	}
	return fmt.Sprintf("stream(%d)", uint8(s))
}

// ParseStream is the inverse of Stream.String.
func ParseStream(s string) (Stream, bool) {
	switch s {
	case "stdout":
		return Stdout, true
	case "stderr":
		return Stderr, true
	case "jinit":
		return Jinit, true
	}
	return 0, false
}

// Flags qualify a record.
type Flags uint8

// Partial: the service's output had no newline after this text. Either the
// line was longer than the limit and was split (the next record of the
// same stream continues it), or a last unterminated line was flushed when
// the service exited.
const Partial Flags = 1

// Record is one line of one stream of one service. Seq numbers every record
// of a jail (of one jinit boot) in the order jinit took them; Time is when
// jinit read the line (Unix ns). Text never contains a newline.
type Record struct {
	Seq     uint64
	Time    int64
	Service string
	Stream  Stream
	Flags   Flags
	Text    []byte
}

// Wire format of a batch (integers big-endian). jinit formats each record
// as a line of the store (line.go) when it takes it, so the collector only
// checks and appends bytes:
//
//	first u64 | last u64 | segment...
//	segment: service length u8 | service | lines u32 | data length u32 | data
//
// The batch holds every record numbered first..last that was not dropped,
// grouped by service; data is whole lines, each ending with a newline.
// Batches of a stream follow each other without overlap.
const (
	batchHeader = 16
	segHeader   = 9 // plus the service name
)

// Limits a decoder enforces on untrusted input.
const (
	MaxService = 63 // as the service directory contract allows
	// MaxLineLimit is the largest line limit (bytes) jinit accepts.
	MaxLineLimit = 1 << 20
)

var ErrBadBatch = errors.New("invalid log batch")

// Segment is the lines of one service in a batch.
type Segment struct {
	Service string
	Lines   int
	Data    []byte // whole lines in the store's format
	Jinit   bool   // some line is jinit's (DecodeBatch sets it)
}

// Batch is a decoded batch; segment data aliases the input.
type Batch struct {
	First, Last uint64
	Segments    []Segment
}

// AppendBatchHeader starts a batch; segments follow.
func AppendBatchHeader(dst []byte, first, last uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, first)
	return binary.BigEndian.AppendUint64(dst, last)
}

// AppendSegment appends a segment header and data.
func AppendSegment(dst []byte, service string, lines int, data []byte) []byte {
	dst = append(dst, byte(len(service)))
	dst = append(dst, service...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(lines))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	return append(dst, data...)
}

// DecodeBatch decodes and validates a batch: service names, and every
// line of every segment (count, newline, timestamp and stream).
func DecodeBatch(b []byte) (Batch, error) {
	bad := func(format string, a ...any) (Batch, error) {
		return Batch{}, fmt.Errorf("%w: %s", ErrBadBatch, fmt.Sprintf(format, a...))
	}
	if len(b) < batchHeader {
		return bad("%d bytes", len(b))
	}
	bt := Batch{First: binary.BigEndian.Uint64(b), Last: binary.BigEndian.Uint64(b[8:])}
	if bt.First == 0 || bt.Last < bt.First {
		return bad("range %d..%d", bt.First, bt.Last)
	}
	total := uint64(0)
	for p := b[batchHeader:]; len(p) > 0; {
		if len(p) < 1 || len(p) < 1+int(p[0])+8 {
			return bad("truncated segment")
		}
		n := int(p[0])
		seg := Segment{Service: string(p[1 : 1+n])}
		if err := ValidService(seg.Service); err != nil {
			return bad("%v", err)
		}
		lines := binary.BigEndian.Uint32(p[1+n:])
		size := binary.BigEndian.Uint32(p[5+n:])
		p = p[segHeader+n:]
		if uint64(size) > uint64(len(p)) || lines == 0 {
			return bad("segment of %s: %d lines, %d bytes", seg.Service, lines, size)
		}
		seg.Lines, seg.Data, p = int(lines), p[:size:size], p[size:]
		jinit, err := checkLines(seg.Data, seg.Lines)
		if err != nil {
			return bad("segment of %s: %v", seg.Service, err)
		}
		seg.Jinit = jinit
		total += uint64(lines)
		bt.Segments = append(bt.Segments, seg)
	}
	if total > bt.Last-bt.First+1 {
		return bad("%d lines for %d sequence numbers", total, bt.Last-bt.First+1)
	}
	return bt, nil
}

// checkLines checks that data is exactly n lines of the store's format and
// reports whether one of them is jinit's.
func checkLines(data []byte, n int) (bool, error) {
	jinit := false
	for i := 0; i < n; i++ {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			return false, fmt.Errorf("line %d has no newline", i+1)
		}
		st, _, _, err := checkLine(data[:end])
		if err != nil {
			return false, fmt.Errorf("line %d: %v", i+1, err)
		}
		jinit = jinit || st == Jinit
		data = data[end+1:]
	}
	if len(data) > 0 {
		return false, fmt.Errorf("%d bytes after the last line", len(data))
	}
	return jinit, nil
}

// ValidService checks a service name as it is used as a path element of
// the store: 1..63 bytes of [A-Za-z0-9._-], not starting with '.'.
func ValidService(s string) error {
	if s == "" || len(s) > MaxService {
		return fmt.Errorf("service name %q: want 1 to %d bytes", s, MaxService)
	}
	if s[0] == '.' {
		return fmt.Errorf("service name %q starts with '.'", s)
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("service name %q: character %q not allowed", s, c)
		}
	}
	return nil
}

// EncodeAck is the payload of an acknowledgement frame: every record up to
// and including seq is in the store.
func EncodeAck(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// DecodeAck parses an acknowledgement payload.
func DecodeAck(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("decode ack: %d bytes, want 8", len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}
