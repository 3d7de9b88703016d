// Package control is the wire protocol between jinit and the host (jailctl
// and the collector), with its server and client.
//
// A connection carries frames: a 4-byte big-endian length n, then n bytes
// of which the first is the frame type and the rest its payload. The client
// opens with a Hello naming the protocol version it speaks; the server
// answers with its own Hello or an Error frame and closes. After that the
// client sends Requests and the server answers each with a Response carrying
// the same id. Requests and responses are JSON objects; log batches (type
// 'L', server → client) and acknowledgements (type 'A') are binary and
// described in package logs. See docs/PROTOCOL.md.
//
// A log subscription (verb "logs") takes the connection over: the server
// answers with a Response whose Data is {"boot","after"}, then sends 'L'
// frames, each a batch of records (logs.DecodeBatch) in sequence order;
// the client sends 'A' frames (logs.EncodeAck: u64 sequence number) once
// it has stored everything up to that record. Records stay in jinit until
// acknowledged and are sent again to the next subscriber. See docs/LOGS.md.
package control

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jailsproject/jails/services"
)

// Version is the protocol version this package speaks. A peer announcing a
// different major version is refused with an error naming both.
const Version = 1

// Frame types.
const (
	TypeHello    byte = 'H'
	TypeRequest  byte = 'Q'
	TypeResponse byte = 'R'
	TypeError    byte = 'E' // fatal: the connection closes after it
	TypeLogs     byte = 'L'
	TypeAck      byte = 'A'
)

// MaxFrame bounds a frame; larger lengths are protocol errors, so a broken
// or hostile peer cannot make the other side allocate without limit.
const MaxFrame = 16 << 20

// MaxClientFrame bounds what a client may send to jinit (hellos,
// requests, acknowledgements, exec's input), far below MaxFrame: jinit
// lives in the jail's memory limit, and log batches only go the other way.
const MaxClientFrame = 256 << 10

// Hello opens a connection in both directions.
type Hello struct {
	Proto    int    `json:"proto"`
	Software string `json:"software,omitempty"`
	Jail     string `json:"jail,omitempty"`
}

// Request is one client command.
type Request struct {
	ID        uint64 `json:"id"`
	Verb      string `json:"verb"`
	Service   string `json:"service,omitempty"`
	Signal    string `json:"signal,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
	// FromSeq starts a log subscription (verb "logs") after this sequence
	// number of stream Boot (jinit's boot; another boot means from the
	// start), or limits a "tail" to later records. Lines bounds a "tail".
	FromSeq uint64 `json:"from_seq,omitempty"`
	Boot    string `json:"boot,omitempty"`
	Lines   int    `json:"lines,omitempty"`

	// Exec (verb "exec"): the command and how to run it.
	Argv  []string `json:"argv,omitempty"`
	Env   []string `json:"env,omitempty"`
	User  string   `json:"user,omitempty"`
	Dir   string   `json:"dir,omitempty"`
	Shell bool     `json:"shell,omitempty"` // the user's login shell instead of Argv
	TTY   bool     `json:"tty,omitempty"`
	Rows  uint16   `json:"rows,omitempty"`
	Cols  uint16   `json:"cols,omitempty"`
}

// Response answers the Request with the same ID.
type Response struct {
	ID       uint64            `json:"id"`
	OK       bool              `json:"ok"`
	Error    string            `json:"error,omitempty"`
	Services []services.Status `json:"services,omitempty"`
	Stats    *services.Stats   `json:"stats,omitempty"`
	// Data carries verb-specific payloads (metrics, log tails).
	Data json.RawMessage `json:"data,omitempty"`
}

// Timeout returns the request's timeout as a duration.
func (r Request) Timeout() time.Duration { return time.Duration(r.TimeoutMS) * time.Millisecond }

var (
	ErrFrameTooLarge = errors.New("frame too large")
	ErrEmptyFrame    = errors.New("empty frame")
)

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	if len(payload)+1 > MaxFrame {
		return fmt.Errorf("write frame: %w (%d bytes)", ErrFrameTooLarge, len(payload)+1)
	}
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(payload)+1))
	hdr[4] = typ
	if len(payload) > 4096 {
		// Large frames (log batches) go out with writev, not copied.
		bufs := net.Buffers{hdr[:], payload}
		_, err := bufs.WriteTo(w)
		return err
	}
	_, err := w.Write(append(hdr[:], payload...))
	return err
}

// WriteJSON writes one frame with a JSON payload.
func WriteJSON(w io.Writer, typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	return WriteFrame(w, typ, b)
}

// ReadFrame reads one frame, refusing lengths of zero or above max.
func ReadFrame(r io.Reader, max int) (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	switch {
	case n == 0:
		return 0, nil, fmt.Errorf("read frame: %w", ErrEmptyFrame)
	case n > uint32(max):
		return 0, nil, fmt.Errorf("read frame: %w (%d bytes, limit %d)", ErrFrameTooLarge, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("read frame body: %w", noEOF(err))
	}
	return buf[0], buf[1:], nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// knownVerbs are the verbs a Request may carry.
var knownVerbs = map[string]bool{
	services.VerbStatus: true, services.VerbUp: true, services.VerbDown: true,
	services.VerbRestart: true, services.VerbOnce: true, services.VerbSignal: true,
	services.VerbRescan: true, services.VerbShutdown: true, services.VerbWaitReady: true,
	VerbLogs: true, VerbMetrics: true, VerbTail: true, VerbExec: true,
}

// Verbs beyond the engine's.
const (
	VerbLogs    = "logs"    // subscribe to the log stream
	VerbMetrics = "metrics" // service and supervisor telemetry
	VerbTail    = "tail"    // the recent log buffer, without subscribing
	VerbExec    = "exec"    // run a command in the jail (takes the connection over)
)

// DecodeRequest parses and validates a request payload.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(b, &r); err != nil {
		return Request{}, fmt.Errorf("decode request: %w", err)
	}
	if !knownVerbs[r.Verb] {
		return Request{}, fmt.Errorf("decode request: unknown verb %q", truncate(r.Verb))
	}
	if len(r.Service) > 255 {
		return Request{}, fmt.Errorf("decode request: service name longer than 255 bytes")
	}
	if r.Verb == VerbExec && !r.Shell && len(r.Argv) == 0 {
		return Request{}, fmt.Errorf("decode request: exec without argv")
	}
	if len(r.Argv) > 4096 || len(r.Env) > 4096 {
		return Request{}, fmt.Errorf("decode request: too many argv or env entries")
	}
	if r.Lines < 0 || len(r.Boot) > 64 {
		return Request{}, fmt.Errorf("decode request: bad lines or boot")
	}
	if r.TimeoutMS < 0 {
		return Request{}, fmt.Errorf("decode request: negative timeout_ms %d", r.TimeoutMS)
	}
	return r, nil
}

// DecodeHello parses a Hello and checks the version.
func DecodeHello(b []byte) (Hello, error) {
	var h Hello
	if err := json.Unmarshal(b, &h); err != nil {
		return Hello{}, fmt.Errorf("decode hello: %w", err)
	}
	if h.Proto != Version {
		return h, fmt.Errorf("protocol version %d not supported (this side speaks %d)", h.Proto, Version)
	}
	return h, nil
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
