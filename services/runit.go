package services

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// jinit keeps each service's supervise/ directory the way runit's runsv
// does, so that the unmodified `sv` (which Debian's run scripts and
// /lib/runit/invoke-run call) works against jinit:
//
//	supervise/ok       a FIFO jinit holds open for reading: sv's sign that a supervisor runs
//	supervise/control  a FIFO of one-byte commands (u d o t k p c h a i q 1 2 x)
//	supervise/status   20 bytes: TAI64N of the last change, pid (little-endian), paused, want, term, state
//	supervise/stat     the state in words ("run", "down, normally up", …)
//	supervise/pid      the main process's pid
//
// The engine goroutine owns all of it: commands arrive as events, and the
// files are rewritten after every state change.

// supervise is one service's supervise/ directory.
type supervise struct {
	dir    string
	s6     bool     // an s6 directory: s6's files (s6.go), not runit's
	ok     *os.File // runit: held open so that sv's O_WRONLY|O_NDELAY open succeeds
	lock   *os.File // s6: held locked
	events string   // s6: the event/ fifodir
	prev   State    // s6: the state of the last write, for the events
	ctl    *os.File
	paused bool // 'p' sent, no 'c' since
	term   bool // 't' sent to the current process
	last   string
}

// runit's states in status[19].
const (
	runitDown   = 0
	runitRun    = 1
	runitFinish = 2
)

// openSupervise creates (or reuses) the service's supervise/ directory and
// starts reading its control FIFO. A symlink (Debian's supervise ->
// /run/runit/supervise/NAME) is followed and its target created: it lies
// inside the jail, whose /run is fresh at every start.
func (e *Engine) openSupervise(u *unit) {
	dir := filepath.Join(u.spec.Dir, "supervise")
	if target, err := os.Readlink(dir); err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(u.spec.Dir, target)
		}
		dir = target
	}
	sv, err := makeSupervise(dir, u.spec.Style == StyleS6)
	if err == nil && sv.s6 {
		sv.events, err = makeEventDir(u.spec.Dir)
		if err != nil {
			sv.close()
		}
	}
	if err != nil {
		e.log.Warn("no supervise/ directory: sv will not work for this service", "service", u.spec.Name, "error", err)
		return
	}
	u.sup = sv
	name := u.spec.Name
	go readControl(sv.ctl, func(b byte) { e.evC <- unitEvent{name: name, kind: evControl, ctl: b} })
	e.writeSupervise(u)
}

func makeSupervise(dir string, s6 bool) (*supervise, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sv := &supervise{dir: dir, s6: s6}
	fifos := []struct {
		name string
		dst  **os.File
	}{{"control", &sv.ctl}}
	if s6 {
		lock, err := lockSupervise(dir)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		sv.lock = lock
	} else {
		fifos = append(fifos, struct {
			name string
			dst  **os.File
		}{"ok", &sv.ok})
	}
	for _, f := range fifos {
		p := filepath.Join(dir, f.name)
		if err := syscall.Mkfifo(p, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
			sv.close()
			return nil, fmt.Errorf("mkfifo %s: %w", p, err)
		}
		// Read-write: the FIFO never reads EOF when a writer leaves, and
		// O_NONBLOCK puts it in the runtime's poller.
		fd, err := os.OpenFile(p, os.O_RDWR|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
		if err != nil {
			sv.close()
			return nil, err
		}
		if fi, err := fd.Stat(); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			fd.Close()
			sv.close()
			return nil, fmt.Errorf("%s is not a FIFO", p)
		}
		*f.dst = fd
	}
	return sv, nil
}

func (sv *supervise) close() {
	for _, f := range []*os.File{sv.ok, sv.ctl, sv.lock} {
		if f != nil {
			f.Close()
		}
	}
}

// readControl delivers each command byte until the FIFO is closed.
func readControl(f *os.File, cmd func(byte)) {
	buf := make([]byte, 64)
	for {
		n, err := f.Read(buf)
		for _, b := range buf[:max(n, 0)] {
			cmd(b)
		}
		if err != nil {
			return
		}
	}
}

// runitSignals are the control bytes that only send a signal.
var runitSignals = map[byte]syscall.Signal{
	'p': syscall.SIGSTOP, 'c': syscall.SIGCONT, 'h': syscall.SIGHUP, 'a': syscall.SIGALRM,
	'i': syscall.SIGINT, 'q': syscall.SIGQUIT, '1': syscall.SIGUSR1, '2': syscall.SIGUSR2,
	't': syscall.SIGTERM, 'k': syscall.SIGKILL,
}

// control carries out one command byte. An executable control/X in the
// service directory runs first; for a signal command, its exit 0 means
// the signal is not sent (runsv's rule: apache2's control/t does a
// graceful stop instead).
func (e *Engine) control(u *unit, b byte) {
	if _, ok := runitSignals[b]; ok && e.runControlScript(u, b) {
		return // its exit decides (controlDone)
	}
	e.controlDefault(u, b)
}

func (e *Engine) controlDefault(u *unit, b byte) {
	switch b {
	case 'u':
		e.apply(u, Event{Kind: EvUp})
	case 'd':
		e.apply(u, Event{Kind: EvDown})
	case 'o':
		e.apply(u, Event{Kind: EvOnce})
	case 'O':
		e.apply(u, Event{Kind: EvOnce})
	case 'x', 'X', 'Q':
		// The supervisor's own exit: jinit stays, nothing to do.
	case 't', 'r':
		// runsv sends TERM and restarts a service that is wanted up; a
		// restart through the machine keeps it from counting as a death.
		if u.st.Want == WantUp && u.st.Pid > 0 {
			if u.sup != nil {
				u.sup.term = true
			}
			e.apply(u, Event{Kind: EvRestart})
			return
		}
		e.signalMain(u, syscall.SIGTERM)
	default:
		if sig, ok := runitSignals[b]; ok {
			if u.sup != nil && (b == 'p' || b == 'c') {
				u.sup.paused = b == 'p'
			}
			e.signalMain(u, sig)
		}
	}
	e.writeSupervise(u)
}

func (e *Engine) signalMain(u *unit, sig syscall.Signal) {
	if u.st.Pid > 0 {
		e.killGroup(u.st.Pid, sig)
	}
}

// runControlScript starts control/X if the directory has it; it reports
// whether it did.
func (e *Engine) runControlScript(u *unit, b byte) bool {
	s := u.spec
	p := filepath.Join(s.Dir, "control", string(b))
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return false
	}
	pid, err := e.proc.Start(Proc{Kind: ProcCheck, Service: s.Name, Path: p, Argv: []string{"./control/" + string(b)},
		Dir: s.Dir, Env: s.environ(os.Environ(), nil), Files: e.stdio(s.Name)})
	if err != nil {
		e.message(s.Name, fmt.Sprintf("cannot run control/%c: %v", b, err))
		return false
	}
	e.pids[pid] = pidRef{unit: u, kind: pidControl, ctl: b}
	e.groups[pid] = struct{}{}
	return true
}

func (e *Engine) controlDone(u *unit, b byte, st ExitStatus) {
	if st.Failed() {
		e.controlDefault(u, b)
	}
}

// writeSupervise rewrites status, stat and pid after a change.
func (e *Engine) writeSupervise(u *unit) {
	sv := u.sup
	if sv == nil {
		return
	}
	if u.st.Pid == 0 {
		sv.term = false
		sv.paused = false
	}
	if sv.s6 {
		e.writeS6(u)
		return
	}
	status := runitStatus(u.st, sv.paused, sv.term)
	if string(status) == sv.last {
		return
	}
	sv.last = string(status)
	pid := ""
	if u.st.Pid > 0 {
		pid = strconv.Itoa(u.st.Pid) + "\n"
	}
	for _, f := range []struct{ name, body string }{
		{"status", string(status)},
		{"stat", runitStat(u.st, sv.paused, sv.term) + "\n"},
		{"pid", pid},
	} {
		if err := writeAtomic(filepath.Join(sv.dir, f.name), []byte(f.body)); err != nil {
			e.log.Warn("write supervise/"+f.name, "service", u.spec.Name, "error", err)
		}
	}
}

func (e *Engine) writeS6(u *unit) {
	sv := u.sup
	status := s6Status(u.st, sv.paused)
	if string(status) != sv.last {
		sv.last = string(status)
		if err := writeAtomic(filepath.Join(sv.dir, "status"), status); err != nil {
			e.log.Warn("write supervise/status", "service", u.spec.Name, "error", err)
		}
	}
	notifyEvents(sv.events, s6Events(sv.prev, u.st))
	sv.prev = u.st
}

// runitStatus is runsv's 20-byte status record.
func runitStatus(st State, paused, term bool) []byte {
	b := make([]byte, 20)
	// runsv's time is that of the last start or exit, not of any change:
	// `sv restart` waits for it to move past the moment it asked.
	since := st.Since
	if st.Pid > 0 {
		since = st.StartedAt
	}
	if since.IsZero() {
		since = time.Now()
	}
	binary.BigEndian.PutUint64(b[0:8], uint64(4611686018427387914+since.Unix())) // TAI64: 2^62 + 10 + Unix seconds
	binary.BigEndian.PutUint32(b[8:12], uint32(since.Nanosecond()))
	binary.LittleEndian.PutUint32(b[12:16], uint32(st.Pid))
	b[16] = boolByte(paused)
	b[17] = 'd'
	if st.Want == WantUp {
		b[17] = 'u'
	}
	b[18] = boolByte(term)
	b[19] = runitState(st)
	return b
}

func runitState(st State) byte {
	switch {
	case st.Phase == PhaseFinishing:
		return runitFinish
	case st.Pid > 0:
		return runitRun
	}
	return runitDown
}

// runitStat is runsv's supervise/stat line.
func runitStat(st State, paused, term bool) string {
	s := [...]string{"down", "run", "finish"}[runitState(st)]
	if paused {
		s += ", paused"
	}
	if term {
		s += ", got TERM"
	}
	switch {
	case st.Want == WantUp && runitState(st) != runitRun:
		s += ", want up"
	case st.Want != WantUp && runitState(st) == runitRun:
		s += ", want down"
	}
	return s
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
