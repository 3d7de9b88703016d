package services

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// tomlFile mirrors service.toml. Pointers and strings (not time.Duration)
// tell an absent key from a zero one and let errors quote the bad text.
type tomlFile struct {
	Depends []string `toml:"depends"`
	Oneshot bool     `toml:"oneshot"`
	Restart *string  `toml:"restart"`
	Backoff struct {
		Initial *string `toml:"initial"`
		Max     *string `toml:"max"`
		Reset   *string `toml:"reset"`
	} `toml:"backoff"`
	StartLimit struct {
		Burst    *int64  `toml:"burst"`
		Interval *string `toml:"interval"`
	} `toml:"start_limit"`
	Readiness struct {
		NotificationFD *int64   `toml:"notification_fd"`
		Check          []string `toml:"check"`
		TCPPort        *int64   `toml:"tcp_port"`
		Interval       *string  `toml:"interval"`
		Timeout        *string  `toml:"timeout"`
		Settle         *string  `toml:"settle"`
	} `toml:"readiness"`
	KillLeftovers *bool          `toml:"kill_leftovers"`
	StopSignal    any            `toml:"stop_signal"`
	StopTimeout   *string        `toml:"stop_timeout"`
	FinishTimeout *string        `toml:"finish_timeout"`
	User          *string        `toml:"user"`
	Group         *string        `toml:"group"`
	Rlimits       map[string]any `toml:"rlimits"`
	Log           struct {
		Drop bool `toml:"drop"`
	} `toml:"log"`
}

// Bounds on durations: long enough for any real service, short enough that
// the engine's backoff doubling cannot overflow.
const (
	maxDuration      = 24 * time.Hour
	minReadyInterval = 10 * time.Millisecond
	maxBurst         = 10000
)

const tomlName = "service.toml"

// applyTOML decodes service.toml and applies it over the service loaded so
// far from the s6/runit files.
func (l *loader) applyTOML(b []byte) error {
	var t tomlFile
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return l.decodeError(err)
	}
	steps := []func(*tomlFile) error{l.tomlRestart, l.tomlBackoff, l.tomlReadiness,
		l.tomlStop, l.tomlIdentity, l.tomlRlimits, l.tomlDepends}
	for _, step := range steps {
		if err := step(&t); err != nil {
			return err
		}
	}
	l.svc.LogDrop = t.Log.Drop
	return nil
}

// mismatchRE matches go-toml's type errors, which name Go struct types that
// mean nothing to the author of service.toml.
var mismatchRE = regexp.MustCompile(`^cannot decode TOML (\w+) into .* of type (\w+)$`)

var goTypeWords = map[string]string{"bool": "a boolean", "string": "a string", "int64": "an integer"}

// decodeError turns go-toml's errors into LoadErrors with key and line.
func (l *loader) decodeError(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, len(strict.Errors))
		for i := range strict.Errors {
			e := &strict.Errors[i]
			row, _ := e.Position()
			errs[i] = l.errf(tomlName, strings.Join(e.Key(), "."), "unknown key (line %d)", row)
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := mismatchRE.FindStringSubmatch(msg); m != nil && goTypeWords[m[2]] != "" {
			msg = fmt.Sprintf("want %s, got a TOML %s", goTypeWords[m[2]], m[1])
		}
		return l.errf(tomlName, strings.Join(de.Key(), "."), "line %d, column %d: %s", row, col, msg)
	}
	return l.errf(tomlName, "", "%s", strings.TrimPrefix(err.Error(), "toml: "))
}

func (l *loader) tomlRestart(t *tomlFile) error {
	p := &l.svc.Policy
	p.Oneshot = t.Oneshot
	if t.Oneshot {
		p.Restart = RestartNever
	}
	if t.Restart == nil {
		return nil
	}
	switch r := Restart(*t.Restart); r {
	case RestartAlways, RestartOnFailure, RestartNever:
		p.Restart = r
	default:
		return l.errf(tomlName, "restart", "invalid value %q: want always, on-failure or never", *t.Restart)
	}
	if t.Oneshot && p.Restart == RestartAlways {
		return l.errf(tomlName, "restart", `"always" contradicts oneshot = true: use on-failure or never`)
	}
	return nil
}

func (l *loader) tomlBackoff(t *tomlFile) error {
	p := &l.svc.Policy
	err := errors.Join(
		l.duration("backoff.initial", t.Backoff.Initial, &p.BackoffInitial, false),
		l.duration("backoff.max", t.Backoff.Max, &p.BackoffMax, false),
		l.duration("backoff.reset", t.Backoff.Reset, &p.BackoffReset, false),
		l.duration("start_limit.interval", t.StartLimit.Interval, &p.StartLimitInterval, false),
	)
	if err != nil {
		return err
	}
	if p.BackoffMax < p.BackoffInitial {
		return l.errf(tomlName, "backoff.max", "%v is less than backoff.initial %v", p.BackoffMax, p.BackoffInitial)
	}
	if b := t.StartLimit.Burst; b != nil {
		if *b < 1 || *b > maxBurst {
			return l.errf(tomlName, "start_limit.burst", "%d out of range 1..%d", *b, maxBurst)
		}
		p.StartLimitBurst = int(*b)
	}
	return nil
}

func (l *loader) tomlReadiness(t *tomlFile) error {
	r, tr := &l.svc.Readiness, &t.Readiness
	if fd := tr.NotificationFD; fd != nil {
		if *fd < 3 || *fd > 1023 {
			return l.errf(tomlName, "readiness.notification_fd", "%d out of range 3..1023 (0-2 are stdio)", *fd)
		}
		if l.s6.notifyFD != 0 && int64(l.s6.notifyFD) != *fd {
			return l.errf(tomlName, "readiness.notification_fd", "%d contradicts the notification-fd file (%d)", *fd, l.s6.notifyFD)
		}
		r.NotificationFD = int(*fd)
	}
	if tr.Check != nil {
		if len(tr.Check) == 0 || tr.Check[0] == "" {
			return l.errf(tomlName, "readiness.check", "empty command")
		}
		for _, a := range tr.Check {
			if strings.IndexByte(a, 0) >= 0 {
				return l.errf(tomlName, "readiness.check", "argument %q contains a NUL byte", a)
			}
		}
		r.Check = tr.Check
	}
	if p := tr.TCPPort; p != nil {
		if *p < 1 || *p > 65535 {
			return l.errf(tomlName, "readiness.tcp_port", "%d out of range 1..65535", *p)
		}
		r.TCPPort = int(*p)
	}
	n := 0
	for _, set := range []bool{r.NotificationFD != 0, r.Check != nil, r.TCPPort != 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return l.errf(tomlName, "readiness", "more than one of notification_fd (or a notification-fd file), check and tcp_port")
	}
	if err := l.duration("readiness.interval", tr.Interval, &r.Interval, false); err != nil {
		return err
	}
	if r.Interval < minReadyInterval {
		return l.errf(tomlName, "readiness.interval", "%v is shorter than %v", r.Interval, minReadyInterval)
	}
	if err := l.duration("readiness.settle", tr.Settle, &l.svc.Policy.Settle, true); err != nil {
		return err
	}
	return l.duration("readiness.timeout", tr.Timeout, &r.Timeout, true)
}

func (l *loader) tomlStop(t *tomlFile) error {
	p := &l.svc.Policy
	if t.KillLeftovers != nil {
		p.KillLeftovers = *t.KillLeftovers
	}
	if t.StopSignal != nil {
		sig, err := signalValue(t.StopSignal)
		if err != nil {
			return l.errf(tomlName, "stop_signal", "%w", err)
		}
		if l.s6.downSignal != 0 && l.s6.downSignal != sig {
			return l.errf(tomlName, "stop_signal", "%s contradicts the down-signal file (%s)", SignalName(sig), SignalName(l.s6.downSignal))
		}
		p.StopSignal = sig
	}
	for _, d := range []struct {
		key string
		val *string
		dst *time.Duration
		s6  time.Duration
		f   string
	}{
		{"stop_timeout", t.StopTimeout, &p.StopTimeout, l.s6.timeoutKill, "timeout-kill"},
		{"finish_timeout", t.FinishTimeout, &p.FinishTimeout, l.s6.timeoutFinish, "timeout-finish"},
	} {
		if err := l.duration(d.key, d.val, d.dst, false); err != nil {
			return err
		}
		if *d.dst > maxStopTimeout {
			return l.errf(tomlName, d.key, "%v is longer than %v", *d.dst, maxStopTimeout)
		}
		if d.val != nil && d.s6 != 0 && d.s6 != *d.dst {
			return l.errf(tomlName, d.key, "%v contradicts the %s file (%v)", *d.dst, d.f, d.s6)
		}
	}
	return nil
}

func (l *loader) tomlIdentity(t *tomlFile) error {
	for _, id := range []struct {
		key string
		val *string
		dst *string
	}{{"user", t.User, &l.svc.User}, {"group", t.Group, &l.svc.Group}} {
		if id.val == nil {
			continue
		}
		if err := checkIdentity(*id.val); err != nil {
			return l.errf(tomlName, id.key, "%w", err)
		}
		*id.dst = *id.val
	}
	return nil
}

// checkIdentity accepts a numeric id or a portable user/group name (POSIX
// characters, optional trailing '$' for machine accounts).
func checkIdentity(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n == math.MaxUint32 {
			return fmt.Errorf("numeric id %s out of range", s)
		}
		return nil
	}
	if len(s) > 32 {
		return fmt.Errorf("name %q longer than 32 bytes", s)
	}
	if s[0] == '-' {
		return fmt.Errorf("name %q starts with '-'", s)
	}
	name := strings.TrimSuffix(s, "$")
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("name %q contains %q: allowed are A-Z a-z 0-9 . _ - (no ':', use user and group)", s, c)
		}
	}
	return nil
}

func (l *loader) tomlDepends(t *tomlFile) error {
	seen := map[string]bool{}
	for _, d := range t.Depends {
		switch err := checkName(d); {
		case err != nil:
			return l.errf(tomlName, "depends", "invalid service name: %w", err)
		case d == l.svc.Name:
			return l.errf(tomlName, "depends", "service depends on itself")
		case seen[d]:
			return l.errf(tomlName, "depends", "%q listed twice", d)
		}
		seen[d] = true
	}
	l.svc.Depends = t.Depends
	return nil
}

// duration parses an optional Go duration into dst. Zero is refused unless
// zeroOK; every duration is capped at maxDuration.
func (l *loader) duration(key string, val *string, dst *time.Duration, zeroOK bool) error {
	if val == nil {
		return nil
	}
	d, err := time.ParseDuration(*val)
	switch {
	case err != nil:
		return l.errf(tomlName, key, "invalid duration %q", *val)
	case d < 0 || d == 0 && !zeroOK:
		return l.errf(tomlName, key, "duration %q must be positive", *val)
	case d > maxDuration:
		return l.errf(tomlName, key, "duration %q longer than %v", *val, maxDuration)
	}
	*dst = d
	return nil
}

// signalValue accepts a TOML integer or a string (name or number).
func signalValue(v any) (syscall.Signal, error) {
	switch v := v.(type) {
	case int64:
		return ParseSignal(strconv.FormatInt(v, 10))
	case string:
		return ParseSignal(v)
	}
	return 0, fmt.Errorf("want a signal name or number, got %s", tomlType(v))
}

// tomlType names the TOML type of a value decoded into an interface.
func tomlType(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}
