package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func cmdStop(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("stop", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "how long the orderly shutdown may take before the jail is killed")
	return e.onJails(fs, args, "stop", "stopped", func(n string) error { return e.stop(ctx, n, *timeout) })
}

func (e *env) stop(ctx context.Context, name string, timeout time.Duration) error {
	return e.jails.Stop(ctx, name, timeout)
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
