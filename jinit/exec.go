package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"syscall"

	"github.com/creack/pty"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

// execer runs operator commands (jailctl exec, attach, apply) as children
// of jinit: they are inside the jail by construction — its namespaces,
// cgroup, root and profile — with no setns from the host. Standard streams
// arrive as passed descriptors; a terminal is allocated here, on the
// jail's own devpts, and its master side is passed back.
type execer struct{ eng *services.Engine }

func data(v control.ExecData) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (x *execer) Exec(ctx context.Context, req control.Request, c *control.Conn) error {
	n := 3
	if req.TTY {
		n = 0
	}
	if err := c.WriteResponse(control.Response{OK: true, Data: data(control.ExecData{FDs: n})}); err != nil {
		return err
	}
	files, err := c.ReadFDs(n)
	if err != nil {
		return err
	}
	var master *os.File
	if req.TTY {
		m, slave, err := pty.Open()
		if err != nil {
			return x.fail(c, 126, "allocate terminal: "+err.Error())
		}
		if req.Rows > 0 && req.Cols > 0 {
			pty.Setsize(m, &pty.Winsize{Rows: req.Rows, Cols: req.Cols})
		}
		master, files = m, []*os.File{slave, slave, slave}
		defer m.Close()
	}
	env := req.Env
	spec := services.ExecSpec{Argv: req.Argv, Env: env, User: req.User, Dir: req.Dir, Shell: req.Shell, Files: files, TTY: req.TTY}
	pid, done, err := x.eng.Exec(ctx, spec)
	for _, f := range files {
		f.Close() // the child has its own copies
	}
	if err != nil {
		code := 126
		if errors.Is(err, services.ErrNotFound) {
			code = 127
		}
		return x.fail(c, code, err.Error())
	}
	var pass []*os.File
	if master != nil {
		pass = []*os.File{master}
	}
	if err := c.WriteResponse(control.Response{OK: true, Data: data(control.ExecData{Pid: pid})}, pass...); err != nil {
		syscall.Kill(-pid, syscall.SIGHUP)
	}
	exited := make(chan struct{})
	go forwardSignals(c, pid, exited)
	st := <-done
	close(exited)
	code := st.Code
	ed := control.ExecData{ExitCode: &code}
	if st.Signal != 0 {
		code = 128 + int(st.Signal)
		ed.Signal = services.SignalName(st.Signal)
	}
	return c.WriteResponse(control.Response{OK: true, Data: data(ed)})
}

func (x *execer) fail(c *control.Conn, code int, msg string) error {
	c.WriteResponse(control.Response{Error: msg, Data: data(control.ExecData{ExitCode: &code})})
	return errors.New(msg)
}

// forwardSignals relays the client's signal requests to the command's
// process group; when the client goes away, the group gets SIGHUP, as a
// terminal hang-up would give it.
func forwardSignals(c *control.Conn, pid int, exited <-chan struct{}) {
	alive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}
	for {
		typ, payload, err := c.Read()
		if err != nil {
			if alive() {
				syscall.Kill(-pid, syscall.SIGHUP)
				syscall.Kill(-pid, syscall.SIGCONT)
			}
			return
		}
		if typ != control.TypeRequest {
			continue
		}
		var r control.Request
		if json.Unmarshal(payload, &r) != nil || r.Verb != services.VerbSignal {
			continue
		}
		if sig, err := services.ParseSignal(r.Signal); err == nil && alive() {
			syscall.Kill(-pid, sig)
		}
	}
}
