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

const execHelp = `  -l                accepted for FreeBSD's jexec -l: the command always gets a clean
                    environment (the jail user's HOME, SHELL, USER, PATH; TERM from
                    the caller) and starts in the user's home directory
  -t                give the command a terminal (the default for the shell)
  -u, -U, --user USER
                    a user of the jail's /etc/passwd (default root); the host's
                    users do not exist in a jail, so -u and -U are the same
JAIL is the jail's name or its JID (the ID column of jls).
`

type execOpts struct {
	jail, user string
	tty, login bool
	cmd        []string
}

// execArgs parses exec's own syntax: [-l] [-t] [-u USER|-U USER] JAIL
// [--] [CMD...], the flags also allowed between JAIL and CMD; everything
// from the command on belongs to the command.
func execArgs(args []string) (o execOpts, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-t":
			o.tty = true
		case a == "-l":
			o.login = true
		case a == "-u" || a == "-U" || a == "--user":
			if i+1 >= len(args) {
				return o, usageError{a + " needs a USER"}
			}
			i++
			o.user = args[i]
		case strings.HasPrefix(a, "-u=") || strings.HasPrefix(a, "-U=") || strings.HasPrefix(a, "--user="):
			_, o.user, _ = strings.Cut(a, "=")
		case a == "--":
			if o.jail == "" {
				return o, usageError{"no JAIL before --"}
			}
			o.cmd = args[i+1:]
			return o, nil
		case strings.HasPrefix(a, "-") && a != "-":
			hint := ""
			if o.jail != "" {
				hint = " (put -- before the command)"
			}
			return o, usageError{fmt.Sprintf("unknown flag %q%s", a, hint)}
		case o.jail == "":
			o.jail = a
		default:
			o.cmd = args[i:]
			return o, nil
		}
	}
	if o.jail == "" {
		return o, usageError{"no JAIL named"}
	}
	return o, nil
}

// cmdExec runs a command in a jail, or with none the user's login shell
// (on a terminal when stdin is one), as FreeBSD's jexec does.
func cmdExec(ctx context.Context, e *env, args []string) error {
	o, err := execArgs(args)
	if err != nil {
		return err
	}
	name, err := e.resolveJail(o.jail)
	if err != nil {
		return err
	}
	if len(o.cmd) == 0 {
		tty := o.tty || term.IsTerminal(int(os.Stdin.Fd()))
		return e.exec(ctx, name, control.Request{Shell: true, User: o.user, TTY: tty})
	}
	return e.exec(ctx, name, control.Request{Argv: o.cmd, User: o.user, TTY: o.tty})
}

func cmdAttach(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"no jail named"}
	}
	o, err := execArgs(args)
	if err != nil {
		return err
	}
	if len(o.cmd) > 0 || o.login {
		return usageError{"attach takes a NAME and -u USER only"}
	}
	name, err := e.resolveJail(o.jail)
	if err != nil {
		return err
	}
	return e.exec(ctx, name, control.Request{Shell: true, User: o.user, TTY: true})
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
