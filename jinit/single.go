package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/jailsproject/jails/services"
	"golang.org/x/term"
)

// runSingle is the tini-compatible mode: start CMD, forward every signal to
// it (or its process group with -g), reap whatever is re-parented to us,
// and exit with CMD's status (128+N if killed by signal N).
func runSingle(ctx context.Context, o options) error {
	log := newLogger(o.verbose)
	if o.subreaper {
		becomeReaper(log)
	} else if os.Getpid() != 1 {
		log.Debug("not PID 1 and not a subreaper (-s): orphans will not be reaped here")
	}
	sigC := make(chan os.Signal, 32)
	signal.Notify(sigC) // every catchable signal; handlers reset to default in the child
	defer signal.Stop(sigC)
	reaper := services.StartReaper()

	pid, err := startChild(o.cmd)
	if err != nil {
		return err
	}
	target := pid
	if o.group {
		target = -pid
	}
	for {
		select {
		case sig := <-sigC:
			s := sig.(syscall.Signal)
			if s == syscall.SIGCHLD || s == syscall.SIGURG { // SIGURG: Go's own preemption
				continue
			}
			log.Debug("forwarding signal", "signal", s)
			syscall.Kill(target, s)
		case ex := <-reaper.C:
			if ex.Pid != pid {
				log.Debug("reaped orphan", "pid", ex.Pid)
				continue
			}
			return exitCode{code: childCode(ex.Status, o.remap)}
		}
	}
}

// startChild execs the command in its own process group, in the terminal's
// foreground when stdin is one.
func startChild(cmd []string) (int, error) {
	path, err := exec.LookPath(cmd[0])
	if err != nil {
		code := 127
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		return 0, exitCode{code: code, err: fmt.Errorf("%s: %w", cmd[0], err)}
	}
	sys := &syscall.SysProcAttr{Setpgid: true}
	if term.IsTerminal(0) {
		sys.Foreground, sys.Ctty = true, 0
	}
	pid, err := syscall.ForkExec(path, cmd, &syscall.ProcAttr{
		Env: os.Environ(), Files: []uintptr{0, 1, 2}, Sys: sys,
	})
	if err != nil {
		code := 126
		if errors.Is(err, syscall.ENOENT) {
			code = 127
		}
		return 0, exitCode{code: code, err: fmt.Errorf("exec %s: %w", cmd[0], err)}
	}
	return pid, nil
}

func childCode(ws syscall.WaitStatus, remap []int) int {
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	for _, r := range remap {
		if code == r {
			return 0
		}
	}
	return code
}
