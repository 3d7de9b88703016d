package services

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Size caps for files read from a service directory, which may be hostile.
const (
	maxControlFile = 64        // notification-fd, down-signal, timeout-*
	maxEnvValue    = 64 << 10  // first line of one env/ file
	maxTOML        = 1 << 20   // service.toml
	maxEnvVars     = 4096      // files in env/
	maxStopTimeout = time.Hour // stop_timeout, finish_timeout, s6 timeout-*
)

// errTooLarge is returned by readFile, with the first max bytes, when a file
// is longer than the cap.
var errTooLarge = errors.New("file too large")

// LoadError is a problem with one service directory. Its message names the
// directory, the file inside it and, for service.toml, the key.
type LoadError struct {
	Dir  string // service directory
	File string // file relative to Dir; "" for the directory itself
	Key  string // dotted service.toml key, if any
	Err  error
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("service " + e.Dir)
	if e.File != "" {
		b.WriteString(": " + e.File)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": key %q", e.Key)
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// loader carries the directory being loaded so that every error names it.
type loader struct {
	dir string
	svc *Service
	s6  s6Files
}

func (l *loader) errf(file, key, format string, a ...any) error {
	return &LoadError{Dir: l.dir, File: file, Key: key, Err: fmt.Errorf(format, a...)}
}

// Load reads one s6/runit-compatible service directory: run (required),
// finish, down, notification-fd, s6's down-signal, timeout-kill and
// timeout-finish, env/ and the optional service.toml.
func Load(dir string) (*Service, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, &LoadError{Dir: dir, Err: fmt.Errorf("resolve path: %w", err)}
	}
	l := newLoader(abs)
	if err := checkName(l.svc.Name); err != nil {
		return nil, l.errf("", "", "invalid service name: %w", err)
	}
	fi, err := os.Stat(abs) // a symlink to a directory is a valid service
	if err != nil {
		return nil, l.errf("", "", "%w", bare(err))
	}
	if !fi.IsDir() {
		return nil, l.errf("", "", "not a directory")
	}
	steps := []func() error{l.s6rc, l.programs, l.down, l.readS6, l.readEnv, l.readTOML, l.style, l.finalize}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return l.svc, nil
}

// newLoader starts from the service a plain runit directory describes.
func newLoader(abs string) *loader {
	return &loader{dir: abs, svc: &Service{
		Name:      filepath.Base(abs),
		Dir:       abs,
		Policy:    DefaultPolicy(),
		Readiness: Readiness{Interval: DefaultReadyInterval},
	}}
}

// programs checks run and finish. Both are exec'd by path, so a symlink is
// followed as exec would; only the mode of the target is inspected.
func (l *loader) programs() error {
	if l.svc.RunArgs != nil { // an s6-rc oneshot or bundle: no run file
		return nil
	}
	run, err := l.program("run", true)
	if err != nil {
		return err
	}
	fin, err := l.program("finish", false)
	if err != nil {
		return err
	}
	l.svc.Run, l.svc.Finish = run, fin
	l.svc.Policy.HasFinish = fin != ""
	return nil
}

func (l *loader) program(name string, required bool) (string, error) {
	p := filepath.Join(l.dir, name)
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && required:
		return "", l.errf(name, "", "missing: a service needs an executable %s file", name)
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", l.errf(name, "", "%w", bare(err))
	case !fi.Mode().IsRegular():
		return "", l.errf(name, "", "not a regular file (%s)", kind(fi.Mode()))
	case fi.Mode().Perm()&0o111 == 0:
		return "", l.errf(name, "", "not executable (mode %v)", fi.Mode().Perm())
	}
	return p, nil
}

func (l *loader) down() error {
	_, err := os.Lstat(filepath.Join(l.dir, "down"))
	switch {
	case err == nil:
		l.svc.Down = true
	case !errors.Is(err, fs.ErrNotExist):
		return l.errf("down", "", "%w", bare(err))
	}
	return nil
}

// s6Files holds the s6 control files that overlap service.toml keys, so
// that readTOML can refuse a contradiction instead of silently picking one.
type s6Files struct {
	notifyFD      int            // 0: no notification-fd file
	downSignal    syscall.Signal // 0: no down-signal file
	timeoutKill   time.Duration  // 0: absent or 0 (s6: never)
	timeoutFinish time.Duration  // 0: absent or 0 (s6: never)
}

func (l *loader) readS6() error {
	s6 := &l.s6
	files := []struct {
		name  string
		parse func(string) error
	}{
		{"notification-fd", func(v string) (err error) { s6.notifyFD, err = parseNotifyFD(v); return }},
		{"down-signal", func(v string) (err error) { s6.downSignal, err = ParseSignal(v); return }},
		{"timeout-kill", func(v string) (err error) { s6.timeoutKill, err = parseMillis(v); return }},
		{"timeout-finish", func(v string) (err error) { s6.timeoutFinish, err = parseMillis(v); return }},
	}
	for _, f := range files {
		if err := l.control(f.name, f.parse); err != nil {
			return err
		}
	}
	// s6 reads 0 as "never kill"; jinit always escalates so that shutdown
	// stays bounded, hence 0 keeps the default.
	p := &l.svc.Policy
	if s6.notifyFD != 0 {
		l.svc.Readiness.NotificationFD = s6.notifyFD
	}
	if s6.downSignal != 0 {
		p.StopSignal = s6.downSignal
	}
	if s6.timeoutKill != 0 {
		p.StopTimeout = s6.timeoutKill
	}
	if s6.timeoutFinish != 0 {
		p.FinishTimeout = s6.timeoutFinish
	}
	return nil
}

// control reads an optional one-line s6 control file and passes its content,
// without the final newline, to parse.
func (l *loader) control(name string, parse func(string) error) error {
	b, err := readFile(filepath.Join(l.dir, name), maxControlFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return l.errf(name, "", "%w", err)
	}
	if err := parse(strings.TrimSuffix(string(b), "\n")); err != nil {
		return l.errf(name, "", "%w", err)
	}
	return nil
}

func parseNotifyFD(s string) (int, error) {
	n, err := parseDecimal(s, 1023)
	if err != nil {
		return 0, err
	}
	if n < 3 {
		return 0, fmt.Errorf("descriptor %d out of range 3..1023 (0-2 are stdio)", n)
	}
	return int(n), nil
}

func parseMillis(s string) (time.Duration, error) {
	n, err := parseDecimal(s, uint64(maxStopTimeout/time.Millisecond))
	if err != nil {
		return 0, err
	}
	return time.Duration(n) * time.Millisecond, nil
}

// parseDecimal accepts only ASCII digits (no sign, no spaces), as s6 does.
func parseDecimal(s string, max uint64) (uint64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("invalid content %q: want a decimal number", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("%s out of range 0..%d", s, max)
	}
	return n, nil
}

// readEnv loads env/ with s6-envdir and runit chpst -e semantics.
func (l *loader) readEnv() error {
	d := filepath.Join(l.dir, "env")
	fi, err := os.Lstat(d)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return l.errf("env", "", "%w", bare(err))
	}
	if !fi.IsDir() { // not even a symlink: it would let env/ read anywhere
		return l.errf("env", "", "not a directory (%s)", kind(fi.Mode()))
	}
	names, err := listDir(d, maxEnvVars)
	if err != nil {
		return l.errf("env", "", "%w", err)
	}
	for _, name := range names {
		if strings.HasPrefix(name, ".") { // ignored by s6-envdir and chpst
			continue
		}
		file := "env/" + name
		if strings.Contains(name, "=") {
			return l.errf(file, "", "invalid variable name %q: contains '='", name)
		}
		v, unset, err := readEnvFile(filepath.Join(d, name))
		switch {
		case err != nil:
			return l.errf(file, "", "%w", err)
		case unset:
			l.svc.EnvUnset = append(l.svc.EnvUnset, name)
		default:
			l.svc.Env = append(l.svc.Env, name+"="+v)
		}
	}
	return nil
}

// listDir returns at most max sorted names, refusing a longer directory
// before reading all of it.
func listDir(dir string, max int) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, bare(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(max + 1)
	if err != nil && err != io.EOF {
		return nil, bare(err)
	}
	if len(names) > max {
		return nil, fmt.Errorf("more than %d entries", max)
	}
	slices.Sort(names)
	return names, nil
}

// readEnvFile returns the value of one env/ file, or unset for an empty one.
func readEnvFile(path string) (value string, unset bool, err error) {
	b, err := readFile(path, maxEnvValue)
	if errors.Is(err, errTooLarge) && slices.Contains(b, '\n') {
		err = nil // only the first line counts
	}
	if err != nil {
		if errors.Is(err, errTooLarge) {
			err = fmt.Errorf("value longer than %d bytes", maxEnvValue)
		}
		return "", false, err
	}
	value, unset = envValue(b)
	return value, unset, nil
}

// envValue applies the envdir rules: an empty file unsets the variable;
// otherwise the value is the first line, trailing spaces and tabs removed,
// NUL bytes turned into newlines.
func envValue(b []byte) (value string, unset bool) {
	if len(b) == 0 {
		return "", true
	}
	if i := slices.Index(b, '\n'); i >= 0 {
		b = b[:i]
	}
	s := strings.TrimRight(string(b), " \t")
	return strings.ReplaceAll(s, "\x00", "\n"), false
}

// readFile reads a small file without following a symlink and refuses
// anything but a regular file, so that a FIFO or device planted in a hostile
// directory can neither hang nor feed the loader. Lstat first keeps the
// open (which has side effects on some devices) off special files; fstat
// after the non-blocking open closes the race with a swap.
func readFile(path string, max int) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, bare(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", kind(fi.Mode()))
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, bare(err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, bare(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", kind(fi.Mode()))
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, bare(err)
	}
	if len(b) > max {
		return b[:max], errTooLarge
	}
	return b, nil
}

func (l *loader) readTOML() error {
	b, err := readFile(filepath.Join(l.dir, "service.toml"), maxTOML)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, errTooLarge):
		return l.errf("service.toml", "", "larger than %d bytes", maxTOML)
	case err != nil:
		return l.errf("service.toml", "", "%w", err)
	}
	return l.applyTOML(b)
}

// s6Only are files only an s6 (or s6-rc) service directory has.
var s6Only = []string{"notification-fd", "down-signal", "timeout-kill", "timeout-finish",
	"max-death-tally", "lock-fd", "type", "dependencies.d", "flag-newpidns", "data", "service.toml"}

// style tells a runit directory (none of s6's files, nor service.toml)
// from an s6 or jinit one.
func (l *loader) style() error {
	l.svc.Style = StyleRunit
	for _, f := range s6Only {
		if _, err := os.Lstat(filepath.Join(l.dir, f)); err == nil {
			l.svc.Style = StyleS6
		}
	}
	return nil
}

// finalize derives the policy fields that depend on several files.
func (l *loader) finalize() error {
	s := l.svc
	if s.Style == StyleRunit && !s.Readiness.Mechanism() {
		// runit's check: what `sv check` runs; jinit's readiness too.
		if p, err := l.program("check", false); err != nil {
			return err
		} else if p != "" {
			s.Readiness.Check = []string{"./check"}
		}
	}
	if s.Policy.Oneshot && s.Readiness.Mechanism() {
		return l.errf("service.toml", "oneshot", "a oneshot cannot have a readiness mechanism: it is ready when it exits 0")
	}
	s.Policy.HasReadiness = s.Readiness.Mechanism()
	s.Policy.ReadyTimeout = s.Readiness.Timeout
	return nil
}

// checkName validates a service name: it is a directory name and appears in
// status output and log paths.
func checkName(s string) error {
	switch {
	case s == "":
		return errors.New("empty")
	case len(s) > 63:
		return fmt.Errorf("%q longer than 63 bytes", s)
	case s[0] == '.':
		return fmt.Errorf("%q starts with '.'", s)
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("%q contains %q: allowed are A-Z a-z 0-9 . _ -", s, c)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// bare drops the *fs.PathError wrapper: the LoadError already names the file.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
