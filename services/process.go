package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// devNull is every service's stdin.
var devNull = func() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
}()

func fdOf(f *os.File, fallback uintptr) uintptr {
	if f == nil {
		return fallback
	}
	return f.Fd()
}

// stdio returns the three standard descriptors of a service's processes.
func (e *Engine) stdio(name string) []uintptr {
	var out, errf *os.File
	if e.cfg.Output != nil {
		out, errf = e.cfg.Output(name)
	}
	in := uintptr(^uint(0)) // closed
	if devNull != nil {
		in = devNull.Fd()
	}
	if u := e.units[name]; u != nil && u.spec.LogFor != "" {
		if p := e.logPipeOf(u.spec.LogFor); p != nil {
			in = p.r.Fd() // a log service reads its service's output
		}
	} else if e.hasLog(name) {
		if p := e.logPipeOf(name); p != nil && e.cfg.Tee == nil {
			out = p.w // no capture to copy it: the logger gets it directly
		}
	}
	return []uintptr{in, fdOf(out, 1), fdOf(errf, 2)}
}

// spawn starts the run program of u. Every service starts a new session, so
// its process group can be signalled as a whole. The pid is registered
// before the engine reads the next exit, so a child that dies at once is
// never mistaken for an orphan.
func (e *Engine) spawn(u *unit) {
	pid, err := e.startRun(u)
	if err != nil {
		e.message(u.spec.Name, err.Error())
		code := 126
		if errors.Is(err, syscall.ENOENT) {
			code = 127
		}
		e.apply(u, Event{Kind: EvSpawnFailed, Status: ExitStatus{Code: code}, Cause: spawnCause(err)})
		return
	}
	e.pids[pid] = pidRef{unit: u, kind: pidMain}
	e.groups[pid] = struct{}{}
	u.pgid = pid
	e.message(u.spec.Name, fmt.Sprintf("started (pid %d)", pid))
	e.apply(u, Event{Kind: EvSpawned, Pid: pid})
}

// spawnCause words a spawn error for the operator, without the "start NAME:"
// prefix the error already names the service with.
func spawnCause(err error) string {
	var ue user.UnknownUserError
	var ge user.UnknownGroupError
	switch {
	case errors.As(err, &ue):
		return fmt.Sprintf("unknown user %s", string(ue))
	case errors.As(err, &ge):
		return fmt.Sprintf("unknown group %s", string(ge))
	case errors.Is(err, syscall.ENOENT):
		return "run: program or interpreter not found (exit 127)"
	case errors.Is(err, syscall.EACCES):
		return "run: permission denied (exit 126)"
	}
	return err.Error()
}

func (e *Engine) startRun(u *unit) (int, error) {
	s := u.spec
	cred, usr, err := s.credential()
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", s.Name, err)
	}
	files := e.stdio(s.Name)
	e.seq++
	u.spawnGen = e.seq
	var notifyW *os.File
	if fd := s.Readiness.NotificationFD; fd > 0 {
		r, w, err := os.Pipe()
		if err != nil {
			return 0, fmt.Errorf("start %s: notification pipe: %w", s.Name, err)
		}
		u.notifyR, notifyW = r, w
		for len(files) < fd {
			files = append(files, ^uintptr(0))
		}
		files = append(files, w.Fd())
	}
	path, argv := s.Run, []string{"./run"}
	if s.RunArgs != nil {
		argv = s.RunArgs
	}
	if len(s.Rlimits) > 0 {
		path, argv = e.cfg.Exe, append([]string{"jinit", "rlimit-exec", rlimitArg(s.Rlimits), "--", s.Run}, argv...)
	}
	pid, err := e.proc.Start(Proc{Kind: ProcRun, Service: s.Name, Path: path, Argv: argv,
		Dir: s.Dir, Env: s.environ(os.Environ(), usr), Files: files, Cred: cred})
	if notifyW != nil {
		notifyW.Close()
	}
	if err != nil {
		u.stopReadiness()
		return 0, fmt.Errorf("start %s: %w", s.Name, err)
	}
	return pid, nil
}

// rlimitArg encodes rlimits for `jinit rlimit-exec`: name=soft:hard,…
func rlimitArg(rl []Rlimit) string {
	parts := make([]string, len(rl))
	for i, r := range rl {
		parts[i] = fmt.Sprintf("%d=%d:%d", r.Resource, r.Soft, r.Hard)
	}
	return strings.Join(parts, ",")
}

// ParseRlimitArg decodes rlimitArg's output.
func ParseRlimitArg(s string) ([]Rlimit, error) {
	var out []Rlimit
	for _, p := range strings.Split(s, ",") {
		res, lim, ok := strings.Cut(p, "=")
		soft, hard, ok2 := strings.Cut(lim, ":")
		r, err1 := strconv.Atoi(res)
		sv, err2 := strconv.ParseUint(soft, 10, 64)
		hv, err3 := strconv.ParseUint(hard, 10, 64)
		if !ok || !ok2 || err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("parse rlimit %q", p)
		}
		out = append(out, Rlimit{Resource: r, Soft: sv, Hard: hv})
	}
	return out, nil
}

func (e *Engine) runFinish(u *unit, st ExitStatus) {
	s := u.spec
	files := e.stdio(s.Name)
	p := Proc{Kind: ProcFinish, Service: s.Name, Path: s.Finish, Argv: finishArgs(s, st),
		Dir: s.Dir, Env: s.environ(os.Environ(), nil), Files: files}
	if cred, usr, err := s.credential(); err == nil && cred != nil {
		p.Cred, p.Env = cred, s.environ(os.Environ(), usr)
	}
	pid, err := e.proc.Start(p)
	if err != nil {
		e.message(s.Name, fmt.Sprintf("cannot run finish: %v", err))
		e.apply(u, Event{Kind: EvFinished, Status: ExitStatus{Code: 111}})
		return
	}
	u.finishPid = pid
	e.pids[pid] = pidRef{unit: u, kind: pidFinish}
	e.groups[pid] = struct{}{}
}

// startReadiness begins watching for the service's readiness signal.
func (e *Engine) startReadiness(u *unit) {
	r := u.spec.Readiness
	name, gen := u.spec.Name, u.spawnGen
	ready := func() { e.evC <- unitEvent{name: name, kind: EvReady, gen: gen} }
	every := r.Interval
	if every <= 0 {
		every = DefaultReadyInterval
	}
	switch {
	case r.NotificationFD > 0 && u.notifyR != nil:
		go waitNotify(u.notifyR, ready)
	case r.TCPPort > 0:
		ctx, cancel := context.WithCancel(context.Background())
		u.probe = cancel
		go probeTCP(ctx, r.TCPPort, every, ready)
	case len(r.Check) > 0:
		e.runCheck(u)
	}
}

// runCheck starts one run of the check command; its exit comes back
// through the reaper (checkDone), never through a second waiter.
func (e *Engine) runCheck(u *unit) {
	s := u.spec
	// A name with a slash is relative to the service directory (where the
	// check runs), not to jinit's own; a bare name is looked up in PATH.
	path := s.Readiness.Check[0]
	if !strings.Contains(path, "/") {
		if p, err := exec.LookPath(path); err == nil {
			path = p
		}
	} else if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	pid, err := e.proc.Start(Proc{Kind: ProcCheck, Service: s.Name, Path: path, Argv: s.Readiness.Check,
		Dir: s.Dir, Env: s.environ(os.Environ(), nil), Files: e.stdio(s.Name)})
	if err != nil {
		e.message(s.Name, fmt.Sprintf("cannot run readiness check: %v", err))
		return
	}
	e.pids[pid] = pidRef{unit: u, kind: pidCheck, gen: u.spawnGen}
	e.groups[pid] = struct{}{}
}

func (e *Engine) checkDone(u *unit, gen uint64, st ExitStatus) {
	if gen != u.spawnGen || u.st.Phase != PhaseStarting {
		return
	}
	if !st.Failed() {
		e.apply(u, Event{Kind: EvReady})
		return
	}
	every := u.spec.Readiness.Interval
	if every <= 0 {
		every = DefaultReadyInterval
	}
	name := u.spec.Name
	t := e.clock.AfterFunc(every, func() { e.evC <- unitEvent{name: name, kind: evCheckAgain, gen: gen} })
	u.probe = func() { t.Stop() }
}
