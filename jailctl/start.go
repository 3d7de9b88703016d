package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/jailsproject/jails/jailctl/jail"
	"github.com/jailsproject/jails/jailctl/store"
)

// targets resolves NAME... or --all (autostart jails). A jail whose
// definition cannot be read may be an autostart one: --all includes it,
// so that start reports it and counts it as failed instead of skipping it.
func (e *env) targets(pos []string, all bool) ([]string, error) {
	if all {
		if len(pos) > 0 {
			return nil, usageError{"give NAMEs or --all, not both"}
		}
		names, err := e.st.Names()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, n := range names {
			if r, err := store.LoadDef(e.st.DefPath(n)); err != nil || r.Def.Autostart {
				out = append(out, n)
			}
		}
		return out, nil
	}
	if len(pos) == 0 {
		return nil, usageError{"no jail named"}
	}
	for _, n := range pos {
		if err := e.st.MustExist(n); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

// each runs fn for every jail, going on past failures; it fails if any did.
func (e *env) each(names []string, verb string, fn func(string) error) error {
	var failed []string
	for _, n := range names {
		if err := fn(n); err != nil {
			var je *jail.Error
			if errors.As(err, &je) { // it names the jail and the operation
				fmt.Fprintf(e.stderr, "jailctl: %v\n", err)
			} else {
				fmt.Fprintf(e.stderr, "jailctl: %s %s: %v\n", verb, n, err)
			}
			failed = append(failed, n)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed for: %s", verb, strings.Join(failed, ", "))
	}
	return nil
}

// onJails parses NAME...|--all with the flags already defined on fs, and
// runs fn for each jail, reporting "<done> jail NAME" for each success.
func (e *env) onJails(fs *flag.FlagSet, args []string, verb, done string, fn func(string) error) error {
	all := fs.Bool("all", false, "every jail marked autostart")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	names, err := e.targets(pos, *all)
	if err != nil {
		return err
	}
	return e.each(names, verb, func(n string) error {
		if err := fn(n); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s jail %s\n", done, n)
		return nil
	})
}

func cmdStart(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for the services to be ready")
	return e.onJails(fs, args, "start", "started", func(n string) error {
		if err := e.ownScope(ctx, n); err != nil {
			return err
		}
		return e.start(ctx, n, *timeout)
	})
}

func (e *env) start(ctx context.Context, name string, timeout time.Duration) error {
	return e.jails.Start(ctx, name, jail.StartOptions{Timeout: timeout})
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flag.NewFlagSet("run", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"run takes exactly one NAME"}
	}
	// systemd (Type=notify) learns readiness, or why the services did
	// not start.
	return e.jails.Run(ctx, pos[0], 10*time.Minute, func(err error) {
		if err == nil {
			sdNotify("READY=1")
		} else {
			sdNotify("STATUS=" + firstLine(err.Error()))
		}
	})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
