package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
	"golang.org/x/term"
)

// execArgs parses exec's own syntax: NAME [-t] [-u USER] [--] CMD...;
// everything from the command on belongs to the command.
func execArgs(args []string) (name, user string, tty bool, cmd []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-t":
			tty = true
		case a == "-u" || a == "--user":
			if i+1 >= len(args) {
				return "", "", false, nil, usageError{"-u needs a USER"}
			}
			i++
			user = args[i]
		case strings.HasPrefix(a, "-u="):
			user = a[3:]
		case a == "--":
			if name == "" {
				return "", "", false, nil, usageError{"exec NAME [-t] [-u USER] [--] CMD..."}
			}
			return name, user, tty, args[i+1:], nil
		case strings.HasPrefix(a, "-") && name == "":
			return "", "", false, nil, usageError{fmt.Sprintf("unknown flag %q", a)}
		case name == "":
			name = a
		case strings.HasPrefix(a, "-") && a != "-":
			return "", "", false, nil, usageError{fmt.Sprintf("unknown flag %q (put -- before the command)", a)}
		default:
			return name, user, tty, args[i:], nil
		}
	}
	if name == "" {
		return "", "", false, nil, usageError{"exec NAME [-t] [-u USER] [--] CMD..."}
	}
	return name, user, tty, nil, nil
}

func cmdExec(ctx context.Context, e *env, args []string) error {
	name, user, tty, cmd, err := execArgs(args)
	if err != nil {
		return err
	}
	if len(cmd) == 0 {
		return usageError{"exec: no command"}
	}
	return e.exec(ctx, name, control.Request{Argv: cmd, User: user, TTY: tty})
}

func cmdAttach(ctx context.Context, e *env, args []string) error {
	name, user, _, cmd, err := execArgs(args)
	if err != nil {
		return err
	}
	if len(cmd) > 0 {
		return usageError{"attach NAME [-u USER]"}
	}
	return e.exec(ctx, name, control.Request{Shell: true, User: user, TTY: true})
}

// exec runs a command inside the jail through its jinit and returns its
// exit status as an exitStatus error (nil for 0). Without a terminal the
// command's stdio is relayed through pipes (execWith).
func (e *env) exec(ctx context.Context, name string, req control.Request) error {
	if !req.TTY {
		return e.execWith(ctx, name, req, os.Stdin)
	}
	c, err := e.dial(ctx, name)
	if err != nil {
		return err
	}
	defer c.Close()
	req.Env = append(req.Env, "TERM="+termName())
	if w, h, err := term.GetSize(int(os.Stdin.Fd())); err == nil {
		req.Cols, req.Rows = uint16(w), uint16(h)
	}
	// The terminal is allocated in the jail; only its master comes back.
	sess, err := c.Exec(ctx, req, nil)
	var ee *control.ExitError
	if errors.As(err, &ee) {
		fmt.Fprintf(e.stderr, "jailctl: %s\n", ee.Err)
		return exitStatus(ee.Code)
	} else if err != nil {
		return err
	}
	defer sess.Close()
	stop := e.relayTerminal(sess)
	defer stop()
	return sessionStatus(sess)
}

// sessionStatus waits for the command and returns its exit status as an
// exitStatus error (nil for 0).
func sessionStatus(sess *control.ExecSession) error {
	code, err := sess.Wait()
	if err != nil {
		return err
	}
	if code != 0 {
		return exitStatus(code)
	}
	return nil
}

func termName() string {
	if t := os.Getenv("TERM"); t != "" {
		return t
	}
	return "xterm"
}

// relayTerminal copies between our terminal and the jail's pseudo-terminal,
// in raw mode, with the window size following ours.
func (e *env) relayTerminal(sess *control.ExecSession) (stop func()) {
	in := int(os.Stdin.Fd())
	var restore func()
	if term.IsTerminal(in) {
		if old, err := term.MakeRaw(in); err == nil {
			restore = func() { term.Restore(in, old) }
		}
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			if w, h, err := term.GetSize(in); err == nil {
				pty.Setsize(sess.PTY, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)})
			}
		}
	}()
	go io.Copy(sess.PTY, os.Stdin)
	done := make(chan struct{})
	go func() { io.Copy(os.Stdout, sess.PTY); close(done) }()
	return func() {
		signal.Stop(winch)
		close(winch)
		// Drain what the command wrote before it exited; a process left
		// holding the terminal must not hold us.
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		if restore != nil {
			restore()
		}
	}
}

// forwardSignals passes the signals an interactive user sends jailctl on
// to the command.
func forwardSignals(sess *control.ExecSession) {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	for s := range c {
		sess.Signal(services.SignalName(s.(syscall.Signal)))
	}
}
