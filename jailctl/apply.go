package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/jail"
	"github.com/jailsproject/jails/jinit/control"
)

// maxScript bounds an apply script: it travels as one argument of
// `/bin/sh -c`, and Linux caps a single argument at 128 KiB (with its NUL).
const maxScript = 128<<10 - 1

// applyStartTimeout bounds starting a stopped jail for apply; with no
// services to wait for this is the time to build the jail.
const applyStartTimeout = 60 * time.Second

type applyOpts struct {
	name, script, user string
	ephemeral          bool
	args               []string // for the script: $1...
}

const applyUsage = "apply [--ephemeral] [-u USER] NAME SCRIPT|- [ARGS...]"

// applyArgs parses apply's syntax: flags, NAME, SCRIPT (a file, or - for
// standard input); everything after SCRIPT belongs to the script (a
// leading -- is dropped).
func applyArgs(args []string) (applyOpts, error) {
	var o applyOpts
	var pos []string
	for i := 0; i < len(args) && len(pos) < 2; i++ {
		a := args[i]
		switch {
		case a == "--ephemeral" || a == "-ephemeral":
			o.ephemeral = true
		case a == "-u" || a == "--user":
			if i+1 >= len(args) {
				return o, usageError{"-u needs a USER"}
			}
			i++
			o.user = args[i]
		case strings.HasPrefix(a, "-u=") || strings.HasPrefix(a, "--user="):
			_, o.user, _ = strings.Cut(a, "=")
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			return o, usageError{fmt.Sprintf("apply: unknown flag %q", a)}
		default:
			pos = append(pos, a)
			if len(pos) == 2 {
				o.args = args[i+1:]
			}
		}
	}
	if len(pos) < 2 {
		return o, usageError{applyUsage}
	}
	o.name, o.script = pos[0], pos[1]
	if len(pos) > 2 { // NAME and SCRIPT came after --
		o.args = pos[2:]
	}
	if len(o.args) > 0 && o.args[0] == "--" {
		o.args = o.args[1:]
	}
	return o, nil
}

// readScript reads the script from a file or, for "-", from stdin.
func readScript(path string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("apply: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxScript+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("apply: read script: %w", err)
	case len(bytes.TrimSpace(b)) == 0:
		return nil, errors.New("apply: the script is empty")
	case len(b) > maxScript:
		return nil, fmt.Errorf("apply: the script is larger than %d bytes; copy it into the jail and run it with jailctl exec", maxScript)
	case bytes.IndexByte(b, 0) >= 0:
		return nil, errors.New("apply: the script contains a NUL byte")
	}
	return b, nil
}

// cmdApply runs a provisioning script inside a jail with /bin/sh and
// returns its exit status. A stopped jail is started without its services
// for it; with --ephemeral such a jail is stopped again afterwards (a jail
// that was already running is always left running).
func cmdApply(ctx context.Context, e *env, args []string) error {
	o, err := applyArgs(args)
	if err != nil {
		return err
	}
	if err := e.st.MustExist(o.name); err != nil {
		return err
	}
	script, err := readScript(o.script, os.Stdin)
	if err != nil {
		return err
	}
	// From here on an interrupt must not kill jailctl between starting the
	// jail and stopping it again: it is forwarded to the script, or ends
	// the apply before the script runs.
	sigC := make(chan os.Signal, 4)
	signal.Notify(sigC, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigC)

	started, err := e.ensureRunning(ctx, o.name)
	if err != nil {
		return fmt.Errorf("apply: start %s: %w", o.name, err)
	}
	runErr := e.runScript(ctx, o, script, sigC)
	if !started {
		return runErr
	}
	if !o.ephemeral {
		fmt.Fprintf(e.stderr, "jailctl: %s was started without its services and is left running; `jailctl restart %s` starts them\n", o.name, o.name)
		return runErr
	}
	if err := e.stop(ctx, o.name, 30*time.Second); err != nil {
		if runErr != nil {
			fmt.Fprintf(e.stderr, "jailctl: apply: stop %s: %v\n", o.name, err)
			return runErr
		}
		return fmt.Errorf("apply: stop %s: %w", o.name, err)
	}
	return runErr
}

// ensureRunning starts the jail without its services unless it runs, and
// reports whether it did.
func (e *env) ensureRunning(ctx context.Context, name string) (bool, error) {
	e.log.Info("starting the jail without its services unless it runs", "jail", name)
	if err := e.ownScope(ctx, name); err != nil { // as start does, where systemd is init
		return false, err
	}
	err := e.jails.Start(ctx, name, jail.StartOptions{Timeout: applyStartTimeout, NoServices: true})
	if errors.Is(err, jail.ErrRunning) {
		return false, nil
	}
	return err == nil, err
}

// runScript runs `/bin/sh -c SCRIPT NAME ARGS...` in the jail. The script
// reads jailctl's stdin when it came from a file, and an empty stdin when
// stdin was the script.
func (e *env) runScript(ctx context.Context, o applyOpts, script []byte, sigC <-chan os.Signal) error {
	select {
	case s := <-sigC:
		return fmt.Errorf("apply: interrupted by %v before the script ran", s)
	default:
	}
	var stdin io.Reader = os.Stdin
	if o.script == "-" {
		stdin = strings.NewReader("")
	}
	arg0 := "apply"
	if o.script != "-" {
		arg0 = filepath.Base(o.script)
	}
	argv := append([]string{"/bin/sh", "-c", string(script), arg0}, o.args...)
	req := control.Request{Argv: argv, User: o.user}
	return e.execWith(ctx, o.name, req, stdin)
}

// execWith is exec without a terminal: stdin is copied to the command,
// its stdout and stderr to jailctl's, through pipes (stdioRelay), so no
// descriptor of the caller's enters the jail. It returns the command's
// exit status as an exitStatus.
func (e *env) execWith(ctx context.Context, name string, req control.Request, stdin io.Reader) error {
	c, err := e.dial(ctx, name)
	if err != nil {
		return err
	}
	defer c.Close()
	relay, err := newStdioRelay(stdin, os.Stdout, os.Stderr)
	if err != nil {
		return err
	}
	sess, err := c.Exec(ctx, req, relay.jail)
	relay.sent()
	defer relay.wait()
	var ee *control.ExitError
	if errors.As(err, &ee) {
		fmt.Fprintf(e.stderr, "jailctl: %s\n", ee.Err)
		return exitStatus(ee.Code)
	} else if err != nil {
		return err
	}
	defer sess.Close()
	go forwardSignals(sess)
	return sessionStatus(sess)
}
