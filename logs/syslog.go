package logs

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Syslog forwarding: a copy of every stored record goes to a syslog daemon
// as RFC 5424 messages, over a local unix datagram socket or UDP on the
// loopback. It is best effort, as syslog is: a full queue drops (counted),
// and records sent again after a collector crash are forwarded again.

// SyslogConfig configures forwarding.
type SyslogConfig struct {
	Addr     string // "unix:/dev/log" (or a bare path), or "udp:127.0.0.1:514"
	Facility string // a facility name (default "daemon")
	Tag      string // APP-NAME (default "jails")
}

// Syslog forwards records; Send never blocks.
type Syslog struct {
	conn     net.Conn
	facility int
	tag      string
	host     string
	ch       chan []byte
	dropped  atomic.Uint64
	wg       sync.WaitGroup
}

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// syslogMaxMsg bounds the text of one message (longer text is cut).
const syslogMaxMsg = 8 << 10

// ParseFacility maps a facility name to its number.
func ParseFacility(s string) (int, error) {
	if s == "" {
		return facilities["daemon"], nil
	}
	if f, ok := facilities[strings.ToLower(s)]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown syslog facility %q (want kern, user, daemon, local0..local7, ...)", s)
}

// DialSyslog validates the configuration and connects.
func DialSyslog(cfg SyslogConfig) (*Syslog, error) {
	fac, err := ParseFacility(cfg.Facility)
	if err != nil {
		return nil, err
	}
	tag := cfg.Tag
	if tag == "" {
		tag = "jails"
	}
	if len(tag) > 48 || strings.ContainsFunc(tag, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return nil, fmt.Errorf("syslog tag %q: want 1 to 48 printable ASCII characters", tag)
	}
	network, addr, err := syslogAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.Dial(network, addr)
	if err != nil {
		return nil, fmt.Errorf("connect to syslog at %s: %w", cfg.Addr, err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "-"
	}
	s := &Syslog{conn: conn, facility: fac, tag: tag, host: host, ch: make(chan []byte, 4096)}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// syslogAddr parses the address: only local destinations are allowed.
func syslogAddr(a string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(a, "udp:"):
		addr = strings.TrimPrefix(a, "udp:")
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return "", "", fmt.Errorf("syslog address %q: %w", a, err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return "", "", fmt.Errorf("syslog address %q: UDP only to a loopback address", a)
		}
		return "udp", addr, nil
	case strings.HasPrefix(a, "unix:"):
		return "unixgram", strings.TrimPrefix(a, "unix:"), nil
	case strings.HasPrefix(a, "/"):
		return "unixgram", a, nil
	}
	return "", "", fmt.Errorf("syslog address %q: want unix:PATH or udp:127.0.0.1:PORT", a)
}

// Send queues a record of a jail; it drops (and counts) when the queue is full.
func (s *Syslog) Send(jail string, r *Record) {
	msg := FormatSyslog(nil, s.facility, s.tag, s.host, jail, r)
	select {
	case s.ch <- msg:
	default:
		s.dropped.Add(1)
	}
}

// Dropped is how many messages were dropped.
func (s *Syslog) Dropped() uint64 { return s.dropped.Load() }

func (s *Syslog) loop() {
	defer s.wg.Done()
	for m := range s.ch {
		s.conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := s.conn.Write(m); err != nil {
			s.dropped.Add(1)
		}
	}
}

// Close sends what is queued and closes the connection.
func (s *Syslog) Close() error {
	close(s.ch)
	s.wg.Wait()
	return s.conn.Close()
}

// severity per stream: stdout info, stderr warning, jinit notice.
func severity(st Stream) int {
	switch st {
	case Stderr:
		return 4
	case Jinit:
		return 5
	}
	return 6
}

// FormatSyslog appends an RFC 5424 message for a record:
//
//	<PRI>1 TIMESTAMP HOST TAG JAIL - [jails@32473 service="S" stream="stdout"] TEXT
//
// PROCID carries the jail name; 32473 is the private enterprise number
// RFC 5612 reserves for documentation.
func FormatSyslog(dst []byte, facility int, tag, host, jail string, r *Record) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(facility*8+severity(r.Stream)), 10)
	dst = append(dst, ">1 "...)
	dst = time.Unix(0, r.Time).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	dst = append(dst, ' ')
	dst = append(dst, host...)
	dst = append(dst, ' ')
	dst = append(dst, tag...)
	dst = append(dst, ' ')
	dst = append(dst, jail...)
	dst = append(dst, ` - [jails@32473 service="`...)
	dst = append(dst, r.Service...)
	dst = append(dst, `" stream="`...)
	dst = append(dst, r.Stream.String()...)
	if r.Flags&Partial != 0 {
		dst = append(dst, `" partial="1`...)
	}
	dst = append(dst, `"] `...)
	text := r.Text
	if len(text) > syslogMaxMsg {
		text = text[:syslogMaxMsg]
	}
	return append(dst, text...)
}
