package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"syscall"
)

// ExecSpec is a command run inside the supervisor's world on behalf of an
// operator (jailctl exec/attach/apply): not a service, but reaped by the
// same single reaper.
type ExecSpec struct {
	Argv  []string
	Env   []string // added to the base environment
	Dir   string
	User  string
	Shell bool       // run the user's login shell (Argv ignored)
	Files []*os.File // stdin, stdout, stderr
	TTY   bool       // Files[0] is a terminal: make it the controlling one
}

// Exec starts spec and returns its pid and a channel that receives its
// exit status.
func (e *Engine) Exec(ctx context.Context, spec ExecSpec) (int, <-chan ExitStatus, error) {
	r := &request{cmd: Command{Verb: verbExec}, exec: &spec, reply: make(chan result, 1)}
	select {
	case e.reqC <- r:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	res := <-r.reply
	if res.err != nil {
		return 0, nil, res.err
	}
	return res.pid, res.done, nil
}

const verbExec = "exec"

// startExec runs on the engine goroutine, so the pid is registered before
// its exit can be dispatched.
func (e *Engine) startExec(spec *ExecSpec) (int, chan ExitStatus, error) {
	if e.shutdown != nil {
		return 0, nil, ErrShutdown
	}
	svc := &Service{User: spec.User}
	cred, usr, err := svc.credential()
	if err != nil {
		return 0, nil, err
	}
	argv := spec.Argv
	if spec.Shell {
		argv = loginShell(usr)
	}
	if len(argv) == 0 {
		return 0, nil, errors.New("exec: no command")
	}
	env := svc.environ(append(os.Environ(), spec.Env...), usr)
	path, err := lookPath(argv[0], env)
	if err != nil {
		return 0, nil, err
	}
	if spec.Shell {
		argv = []string{"-" + argv[0][strings.LastIndexByte(argv[0], '/')+1:]}
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
		if usr != nil && usr.HomeDir != "" {
			dir = usr.HomeDir
		}
	}
	files := make([]uintptr, len(spec.Files))
	for i, f := range spec.Files {
		files[i] = f.Fd()
	}
	sys := &syscall.SysProcAttr{Setsid: true, Credential: cred, Setctty: spec.TTY, Ctty: 0}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{Dir: dir, Env: env, Files: files, Sys: sys})
	if err != nil && dir != "/" && errors.Is(err, syscall.ENOENT) {
		pid, err = syscall.ForkExec(path, argv, &syscall.ProcAttr{Dir: "/", Env: env, Files: files, Sys: sys})
	}
	if err != nil {
		return 0, nil, fmt.Errorf("exec %s: %w", argv[0], err)
	}
	done := make(chan ExitStatus, 1)
	e.pids[pid] = pidRef{kind: pidExec, done: done}
	e.groups[pid] = struct{}{}
	return pid, done, nil
}

// ErrNotFound marks a command that does not exist (exit status 127).
var ErrNotFound = errors.New("command not found")

func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("exec %s: %w", name, ErrNotFound)
		}
		return name, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range strings.Split(path, ":") {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("exec %s: %w", name, ErrNotFound)
}

// loginShell returns the user's shell from the jail's /etc/passwd
// (os/user does not expose it), or /bin/sh.
func loginShell(u *user.User) []string {
	name := "root"
	if u != nil {
		name = u.Username
	}
	if b, err := os.ReadFile("/etc/passwd"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) == 7 && f[0] == name && f[6] != "" {
				if _, err := os.Stat(f[6]); err == nil {
					return []string{f[6]}
				}
			}
		}
	}
	return []string{"/bin/sh"}
}
