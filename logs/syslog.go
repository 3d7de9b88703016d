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

// Forwarding: a copy of every stored record goes to the host's log daemon,
// in the form that daemon parses on that transport:
//
//   - unix:PATH (/dev/log): the local syslog format that syslog(3) writes
//     and rsyslog's and syslog-ng's local inputs parse:
//     <PRI>Mmm dd hh:mm:ss JAIL/SERVICE/STREAM: TEXT (the program name,
//     up to the first '/', is the jail)
//   - udp:HOST:PORT (loopback): RFC 5424, one message a datagram
//   - tcp:HOST:PORT (loopback): RFC 5424 with octet-counting framing
//     (RFC 6587), reconnecting after a failure
//   - journald[:PATH]: journald's native protocol (journald.go)
//
// RFC 5424 messages: <PRI>1 TIMESTAMP HOST JAIL - - [jails@32473
// service="S" stream="stdout"] TEXT (32473 is the enterprise number
// RFC 5612 reserves for documentation).
//
// It is best effort, as syslog is: a full queue drops (counted), and
// records sent again after a collector crash are forwarded again.

// SyslogConfig configures forwarding.
type SyslogConfig struct {
	Addr     string // see above
	Facility string // a facility name (default "daemon")
}

// Syslog forwards records; Send never blocks.
type Syslog struct {
	network, addr string
	format        func(dst []byte, jail string, r *Record) []byte
	conn          net.Conn // nil while disconnected (tcp)
	ch            chan []byte
	dropped       atomic.Uint64
	wg            sync.WaitGroup
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
	host, _ := os.Hostname()
	if host == "" || strings.ContainsAny(host, " \t\n") {
		host = "-"
	}
	s := &Syslog{ch: make(chan []byte, 4096)}
	switch {
	case cfg.Addr == "journald" || strings.HasPrefix(cfg.Addr, "journald:"):
		s.network, s.addr = "unixgram", strings.TrimPrefix(strings.TrimPrefix(cfg.Addr, "journald"), ":")
		if s.addr == "" {
			s.addr = JournalSocket
		}
		s.format = func(dst []byte, jail string, r *Record) []byte { return FormatJournal(dst, fac, jail, r) }
	case strings.HasPrefix(cfg.Addr, "unix:") || strings.HasPrefix(cfg.Addr, "/"):
		s.network, s.addr = "unixgram", strings.TrimPrefix(cfg.Addr, "unix:")
		s.format = func(dst []byte, jail string, r *Record) []byte { return FormatLocal(dst, fac, jail, r) }
	case strings.HasPrefix(cfg.Addr, "udp:") || strings.HasPrefix(cfg.Addr, "tcp:"):
		s.network, s.addr, _ = strings.Cut(cfg.Addr, ":")
		if err := loopbackAddr(cfg.Addr, s.addr); err != nil {
			return nil, err
		}
		framed := s.network == "tcp"
		s.format = func(dst []byte, jail string, r *Record) []byte { return formatNet(dst, fac, host, jail, r, framed) }
	default:
		return nil, fmt.Errorf("syslog address %q: want unix:PATH, udp:127.0.0.1:PORT, tcp:127.0.0.1:PORT or journald[:PATH]", cfg.Addr)
	}
	if s.conn, err = net.DialTimeout(s.network, s.addr, 5*time.Second); err != nil {
		return nil, fmt.Errorf("connect to syslog at %s: %w", cfg.Addr, err)
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// loopbackAddr allows only local destinations: records are the jails'
// output, not for the network.
func loopbackAddr(a, hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("syslog address %q: %w", a, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("syslog address %q: only to a loopback address", a)
	}
	return nil
}

// Send queues a record of a jail; it drops (and counts) when the queue is full.
func (s *Syslog) Send(jail string, r *Record) {
	select {
	case s.ch <- s.format(nil, jail, r):
	default:
		s.dropped.Add(1)
	}
}

// Dropped is how many messages were dropped.
func (s *Syslog) Dropped() uint64 { return s.dropped.Load() }

// loop sends the queue. A connection that fails (a TCP peer restarted,
// a socket recreated) is dialled again, at most once a second; messages
// meanwhile are dropped and counted.
func (s *Syslog) loop() {
	defer s.wg.Done()
	var retry time.Time
	for m := range s.ch {
		if s.conn == nil && time.Now().After(retry) {
			retry = time.Now().Add(time.Second)
			s.conn, _ = net.DialTimeout(s.network, s.addr, time.Second)
		}
		if s.conn == nil {
			s.dropped.Add(1)
			continue
		}
		s.conn.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := s.conn.Write(m); err != nil {
			s.dropped.Add(1)
			s.conn.Close()
			s.conn = nil
		}
	}
}

// Close sends what is queued and closes the connection.
func (s *Syslog) Close() error {
	close(s.ch)
	s.wg.Wait()
	if s.conn == nil {
		return nil
	}
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

func cutText(t []byte) []byte {
	if len(t) > syslogMaxMsg {
		return t[:syslogMaxMsg]
	}
	return t
}

// FormatLocal appends a message in the local syslog format:
//
//	<PRI>Mmm dd hh:mm:ss JAIL/SERVICE/STREAM: TEXT
//
// in local time, as syslog(3) writes it (no host: the daemon adds its
// own). Daemons take the program name up to the first '/': the jail.
func FormatLocal(dst []byte, facility int, jail string, r *Record) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(facility*8+severity(r.Stream)), 10)
	dst = append(dst, '>')
	dst = time.Unix(0, r.Time).AppendFormat(dst, time.Stamp)
	dst = append(dst, ' ')
	dst = append(dst, jail...)
	dst = append(dst, '/')
	dst = append(dst, r.Service...)
	dst = append(dst, '/')
	dst = append(dst, r.Stream.String()...)
	dst = append(dst, ": "...)
	return append(dst, cutText(r.Text)...)
}

// FormatSyslog appends an RFC 5424 message for a record:
//
//	<PRI>1 TIMESTAMP HOST JAIL - - [jails@32473 service="S" stream="stdout"] TEXT
func FormatSyslog(dst []byte, facility int, host, jail string, r *Record) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(facility*8+severity(r.Stream)), 10)
	dst = append(dst, ">1 "...)
	dst = time.Unix(0, r.Time).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	dst = append(dst, ' ')
	dst = append(dst, host...)
	dst = append(dst, ' ')
	dst = append(dst, jail...)
	dst = append(dst, ` - - [jails@32473 service="`...)
	dst = append(dst, r.Service...)
	dst = append(dst, `" stream="`...)
	dst = append(dst, r.Stream.String()...)
	if r.Flags&Partial != 0 {
		dst = append(dst, `" partial="1`...)
	}
	dst = append(dst, `"] `...)
	return append(dst, cutText(r.Text)...)
}

// formatNet is RFC 5424, octet-counted for a stream (RFC 6587 3.4.1:
// "LEN SP MSG"; the text may hold any byte, so no delimiter would do).
func formatNet(dst []byte, facility int, host, jail string, r *Record, framed bool) []byte {
	if !framed {
		return FormatSyslog(dst, facility, host, jail, r)
	}
	msg := FormatSyslog(nil, facility, host, jail, r)
	dst = strconv.AppendInt(dst, int64(len(msg)), 10)
	dst = append(dst, ' ')
	return append(dst, msg...)
}
