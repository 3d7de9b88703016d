package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

func cmdStop(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "how long the orderly shutdown may take before the jail is killed")
	return e.onJails(fs, args, "stop", "stopped", func(n string) error { return e.stop(ctx, n, *timeout) })
}

func (e *env) stop(ctx context.Context, name string, timeout time.Duration) error {
	lk, err := e.st.LockJail(name)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	return e.stopLocked(ctx, name, timeout)
}

// stopLocked asks jinit for its orderly shutdown and waits for the keeper
// to tear the jail down; past the timeout every process of the jail is
// killed. It returns once nothing of the jail is left.
func (e *env) stopLocked(ctx context.Context, name string, timeout time.Duration) error {
	rt := e.st.Running(name)
	if rt == nil {
		return e.st.Reconcile(name)
	}
	e.st.MarkStopping(name)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	c, err := control.Dial(sctx, e.st.SockPath(name))
	if err == nil {
		_, err = c.Do(sctx, control.Request{Verb: services.VerbShutdown})
		c.Close()
	}
	cancel()
	if err != nil {
		e.log.Warn("orderly shutdown request failed; signalling jinit", "error", err)
		signalJinit(rt, syscall.SIGTERM)
	}
	if waitGone(rt, timeout) {
		return nil
	}
	e.log.Warn("jail did not stop in time: killing it", "jail", name, "timeout", timeout)
	signalJinit(rt, syscall.SIGKILL)
	if waitGone(rt, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("stop %s: the keeper (pid %d) did not exit", name, rt.KeeperPid)
}

// signalJinit signals the jail's jinit; a record written before jinit
// was cloned has none (kill(0) would signal our own process group).
func signalJinit(rt *store.Runtime, sig syscall.Signal) {
	if rt.JinitPid > 0 {
		syscall.Kill(rt.JinitPid, sig)
	}
}

// waitGone waits for the keeper to exit, which happens after it removed
// the jail's kernel state.
func waitGone(rt *store.Runtime, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for rt.Alive() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func cmdRestart(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("restart", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "stop timeout")
	return e.onJails(fs, args, "restart", "restarted", func(n string) error {
		if err := e.stop(ctx, n, *timeout); err != nil {
			return err
		}
		if err := e.ownScope(ctx, n); err != nil {
			return err
		}
		return e.start(ctx, n, 60*time.Second)
	})
}

// sdNotify sends a state line to systemd's notification socket, if any.
func sdNotify(state string) error {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil
	}
	if sock[0] == '@' {
		sock = "\x00" + sock[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify systemd: %w", err)
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

var errNotRunning = errors.New("the jail is not running")
