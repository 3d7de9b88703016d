package services

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const sigKill = syscall.SIGKILL

// unit is the engine's record of one service: its definition, its machine
// state and the process-side handles the machine does not know about.
type unit struct {
	spec      *Service
	st        State
	timer     Timer
	finishPid int
	spawnGen  uint64
	pgid      int                // process group of the last spawn
	probe     context.CancelFunc // stops readiness probing
	notifyR   *os.File           // read end of the notification-fd pipe
	removed   bool               // its directory is gone: drop once quiet
	sup       *supervise         // its runit supervise/ directory, nil if it could not be made
}

func (u *unit) active() bool {
	switch u.st.Phase {
	case PhaseDown, PhaseFailed, PhaseDone:
		return false
	}
	return true
}

func (u *unit) quiet() bool { return !u.active() && u.finishPid == 0 }

func (u *unit) dependsOn(name string) bool {
	for _, d := range u.spec.Depends {
		if d == name {
			return true
		}
	}
	return false
}

// signalGroup signals the service's process group (its pgid is its pid,
// since every service starts a new session).
func (e *Engine) signalGroup(u *unit, sig syscall.Signal) {
	if u.st.Pid > 0 {
		e.killGroup(u.st.Pid, sig)
	} else if u.pgid > 0 {
		e.killGroup(u.pgid, sig)
	}
}

// killGroup signals a group; ESRCH (gone) and EPERM (the group now belongs
// to someone else) are both left alone.
func (e *Engine) killGroup(pgid int, sig syscall.Signal) {
	e.proc.SignalGroup(pgid, sig)
}

func (u *unit) stopReadiness() {
	if u.probe != nil {
		u.probe()
		u.probe = nil
	}
	if u.notifyR != nil {
		u.notifyR.Close()
		u.notifyR = nil
	}
}

// environ builds a service's environment from jinit's and its env/ dir.
func (s *Service) environ(base []string, creds *user.User) []string {
	env := make(map[string]string, len(base)+len(s.Env))
	order := []string{}
	set := func(kv string) {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range base {
		set(kv)
	}
	if creds != nil {
		set("USER=" + creds.Username)
		set("LOGNAME=" + creds.Username)
		set("HOME=" + creds.HomeDir)
	}
	for _, kv := range s.Env {
		set(kv)
	}
	for _, k := range s.EnvUnset {
		delete(env, k)
	}
	out := make([]string, 0, len(env))
	for _, k := range order {
		if v, ok := env[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// credential resolves user/group in the jail's own passwd and group files.
func (s *Service) credential() (*syscall.Credential, *user.User, error) {
	if s.User == "" && s.Group == "" {
		return nil, nil, nil
	}
	cred := &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
	var u *user.User
	if s.User != "" {
		var err error
		if u, err = lookupUser(s.User); err != nil {
			return nil, nil, err
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cred.Uid, cred.Gid = uint32(uid), uint32(gid)
		if gids, err := u.GroupIds(); err == nil {
			for _, g := range gids {
				if n, err := strconv.ParseUint(g, 10, 32); err == nil {
					cred.Groups = append(cred.Groups, uint32(n))
				}
			}
		}
	}
	if s.Group != "" {
		gid, err := lookupGroup(s.Group)
		if err != nil {
			return nil, nil, err
		}
		cred.Gid = gid
	}
	if cred.Groups == nil {
		cred.Groups = []uint32{cred.Gid}
	}
	return cred, u, nil
}

func lookupUser(name string) (*user.User, error) {
	if _, err := strconv.ParseUint(name, 10, 32); err == nil {
		if u, err := user.LookupId(name); err == nil {
			return u, nil
		}
		return &user.User{Uid: name, Gid: name, Username: name, HomeDir: "/"}, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", name, err)
	}
	return u, nil
}

func lookupGroup(name string) (uint32, error) {
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(n), nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("look up group %q: %w", name, err)
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	return uint32(n), err
}

// probeTCP dials 127.0.0.1:port until it connects or ctx ends.
func probeTCP(ctx context.Context, port int, every time.Duration, ready func()) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			ready()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// waitNotify reads the notification pipe until a newline (s6 semantics).
func waitNotify(r *os.File, ready func()) {
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b == '\n' {
				ready()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// finishArgs follows the directory's own supervisor: runsv passes the exit
// code (-1 when signalled) and the low byte of the wait status; s6-supervise
// passes the exit code (256 when signalled), the signal number and the
// service's name.
func finishArgs(s *Service, st ExitStatus) []string {
	sig := strconv.Itoa(int(st.Signal))
	if s.Style == StyleRunit {
		code := strconv.Itoa(st.Code)
		if st.Signal != 0 {
			code = "-1"
		}
		return []string{"./finish", code, sig}
	}
	code := strconv.Itoa(st.Code)
	if st.Signal != 0 {
		code = "256"
	}
	return []string{"./finish", code, sig, filepath.Base(s.Name)}
}
