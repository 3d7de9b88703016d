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

const knownFlags = Partial

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

// Wire format of a record (all integers big-endian); a batch is records
// back to back, with strictly increasing sequence numbers, so any suffix of
// a batch is a batch too:
//
//	seq u64 | time i64 | stream u8 | flags u8 | service length u8 |
//	text length u32 | service | text
const HeaderSize = 23

// Limits a decoder enforces on untrusted input.
const (
	MaxService = 63      // as the service directory contract allows
	MaxText    = 4 << 20 // far above any line limit jinit accepts
)

// MaxLineLimit is the largest line limit (bytes) jinit accepts.
const MaxLineLimit = 1 << 20

var (
	ErrTruncated = errors.New("truncated record")
	ErrBadRecord = errors.New("invalid record")
)

// RecordSize is the encoded size of a record.
func RecordSize(service string, text int) int { return HeaderSize + len(service) + text }

// AppendRecord appends the wire form of r to dst.
func AppendRecord(dst []byte, r *Record) []byte {
	var h [HeaderSize]byte
	binary.BigEndian.PutUint64(h[0:], r.Seq)
	binary.BigEndian.PutUint64(h[8:], uint64(r.Time))
	h[16] = byte(r.Stream)
	h[17] = byte(r.Flags)
	h[18] = byte(len(r.Service))
	binary.BigEndian.PutUint32(h[19:], uint32(len(r.Text)))
	dst = append(dst, h[:]...)
	dst = append(dst, r.Service...)
	return append(dst, r.Text...)
}

// recordLen returns the length of the encoded record at the start of b,
// which must hold at least a header.
func recordLen(b []byte) int {
	return HeaderSize + int(b[18]) + int(binary.BigEndian.Uint32(b[19:]))
}

func recordSeq(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func recordTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b[8:])) }

// DecodeRecord decodes and validates the record at the start of b and
// returns it with its encoded length. Text aliases b.
func DecodeRecord(b []byte) (Record, int, error) { return decodeRecord(b, "") }

// decodeRecord reuses prev as the service name when it is the same, so a
// batch does not allocate a string per record.
func decodeRecord(b []byte, prev string) (Record, int, error) {
	if len(b) < HeaderSize {
		return Record{}, 0, ErrTruncated
	}
	svcLen := int(b[18])
	textLen := binary.BigEndian.Uint32(b[19:])
	if textLen > MaxText {
		return Record{}, 0, fmt.Errorf("%w: text of %d bytes", ErrBadRecord, textLen)
	}
	n := HeaderSize + svcLen + int(textLen)
	if len(b) < n {
		return Record{}, 0, ErrTruncated
	}
	r := Record{
		Seq:     binary.BigEndian.Uint64(b),
		Time:    int64(binary.BigEndian.Uint64(b[8:])),
		Stream:  Stream(b[16]),
		Flags:   Flags(b[17]),
		Service: prev,
		Text:    b[HeaderSize+svcLen : n : n],
	}
	if svc := b[HeaderSize : HeaderSize+svcLen]; string(svc) != prev {
		r.Service = string(svc)
	}
	if err := r.check(); err != nil {
		return Record{}, 0, err
	}
	return r, n, nil
}

func (r *Record) check() error {
	switch {
	case r.Seq == 0:
		return fmt.Errorf("%w: sequence number 0", ErrBadRecord)
	case r.Stream < Stdout || r.Stream > Jinit:
		return fmt.Errorf("%w: stream %d", ErrBadRecord, r.Stream)
	case r.Flags&^knownFlags != 0:
		return fmt.Errorf("%w: flags %#x", ErrBadRecord, r.Flags)
	}
	if err := ValidService(r.Service); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if bytes.IndexByte(r.Text, '\n') >= 0 {
		return fmt.Errorf("%w: newline in text", ErrBadRecord)
	}
	return nil
}

// DecodeBatch decodes a batch, calling fn for every record in order. It
// fails on the first invalid record or on sequence numbers that do not
// strictly increase; records before it have been passed to fn.
func DecodeBatch(b []byte, fn func(*Record) error) error {
	var last uint64
	var svc string
	for len(b) > 0 {
		r, n, err := decodeRecord(b, svc)
		if err != nil {
			return fmt.Errorf("decode log batch: %w", err)
		}
		if r.Seq <= last {
			return fmt.Errorf("decode log batch: %w: sequence %d after %d", ErrBadRecord, r.Seq, last)
		}
		last, svc = r.Seq, r.Service
		if err := fn(&r); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
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
