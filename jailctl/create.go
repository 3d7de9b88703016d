package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jailsproject/jails/jailctl/store"

	"github.com/jailsproject/jails/services"
)

func cmdCreate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var d store.Def
	var portList, mounts multiFlag
	var svcDir string
	fs.StringVar(&d.Root, "root", "", "prepared root `DIR` used as the read-only base")
	fs.StringVar(&d.Profile, "profile", "high", "security `PROFILE`: low, medium or high")
	fs.Var(&portList, "port", "reserve a `PORT` (8080, 8080/tcp, 53/udp); repeatable")
	fs.StringVar(&svcDir, "services", "", "`DIR` of service directories to install into the jail's /etc/service")
	fs.StringVar(&d.Hostname, "hostname", "", "`HOSTNAME` (default: the jail's name)")
	fs.BoolVar(&d.Autostart, "autostart", false, "include the jail in 'start --all'")
	fs.Var(&mounts, "mount", "bind mount `SRC:DST[:ro]`; repeatable")
	fs.StringVar(&d.Memory, "memory", "", "memory limit `SIZE`, at least 16Mi (512Mi, 1.5G; K, M, G, T are powers of 1024, with or without i/B)")
	fs.Float64Var(&d.CPUs, "cpus", 0, "CPU limit in `CPUS`, at least 0.01 (e.g. 1.5)")
	fs.Int64Var(&d.Pids, "pids", 0, "process limit `N` (threads count), at least 16")
	fs.StringVar(&d.Net, "net", "host", "network: `host|none` (host: shared stack; none: an empty private one)")
	fs.BoolVar(&d.AllowUnreservedPorts, "allow-unreserved-ports", false, "let the jail bind ports it has not reserved")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"create takes exactly one NAME"}
	}
	d.Name, d.Ports, d.Mounts = pos[0], portList, mounts
	if d.Root != "" {
		d.Root = filepath.Clean(d.Root)
	}
	d.Created = time.Now().UTC().Truncate(time.Second)
	r, err := d.Resolve("create")
	if err != nil {
		return usageError{err.Error()} // a value on the command line is wrong
	}
	warnings, err := checkReservations(r)
	if err != nil {
		return fmt.Errorf("create %s: %w", d.Name, err)
	}
	var svcs []*services.Service
	if svcDir != "" {
		var errs []error
		if svcs, errs = services.Scan(svcDir); len(errs) > 0 {
			return fmt.Errorf("create %s: --services: %w", d.Name, errors.Join(errs...))
		}
		if err := services.CheckGraph(svcs); err != nil {
			return fmt.Errorf("create %s: --services: %w", d.Name, err)
		}
	}
	if e.jails.UIDBase, err = uidBase(); err != nil {
		return fmt.Errorf("create %s: %w", d.Name, err)
	}
	if err := e.jails.Create(r, svcDir); err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "jailctl: warning: %s\n", w)
	}
	fmt.Fprintf(e.stdout, "created jail %s (id %d)\n", d.Name, r.Def.ID)
	return nil
}

func cmdDestroy(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("destroy", flag.ContinueOnError)
	force := fs.Bool("force", false, "stop the jail first if it is running")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"destroy takes exactly one NAME"}
	}
	name := pos[0]
	if err := e.jails.Destroy(ctx, name, *force); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "destroyed jail %s\n", name)
	return nil
}
