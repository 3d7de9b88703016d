// Command jails-collector is the host collector of a jails instance: it
// stores the logs of every running jail and serves Prometheus metrics.
// `jailctl collector` execs it. It is a binary of its own because it links
// client_golang, which jailctl must not (its start would pay for it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/logs/collector"
)

var version = "dev" // set by the Makefile (-X main.version)

const usage = `usage: jails-collector [--state-dir DIR] [--debug] [--listen 127.0.0.1:9750]
       [--rotate-size 16M] [--keep 10]
       [--syslog unix:/dev/log|udp:127.0.0.1:514|tcp:127.0.0.1:514|journald[:PATH]]
       [--syslog-facility F] [--max-conns 512] [--version]
`

func main() {
	err := run(os.Args[1:])
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "jails-collector: %v\n", err)
	if _, ok := err.(usageError); ok {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	os.Exit(1)
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type options struct {
	state    string
	debug    bool
	listen   string
	rotate   int64
	keep     int
	syslog   logs.SyslogConfig
	poll     time.Duration
	maxConns int
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("jails-collector", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {}
	fs.StringVar(&o.state, "state-dir", os.Getenv("JAILS_STATE_DIR"), "put lib, run and log under DIR")
	fs.BoolVar(&o.debug, "debug", false, "verbose diagnostics")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9750", `HTTP address (/metrics, /logs); "" for none`)
	rotate := fs.String("rotate-size", "16M", "rotate a service's log beyond this size (a jail's [logs] rotate_size wins)")
	fs.IntVar(&o.keep, "keep", logs.DefaultKeep, "rotated files kept per service (a jail's [logs] keep wins)")
	fs.StringVar(&o.syslog.Addr, "syslog", "", "also forward to unix:/dev/log, udp:127.0.0.1:514, tcp:127.0.0.1:514 or journald")
	fs.StringVar(&o.syslog.Facility, "syslog-facility", "daemon", "syslog facility")
	fs.DurationVar(&o.poll, "poll", time.Second, "how often to look for jails started since")
	fs.IntVar(&o.maxConns, "max-conns", 512, "HTTP connections served at once; more wait in the listen queue")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Print(usage) // asked for: on stdout, exit 0, as jailctl does
		os.Exit(0)
	} else if err != nil {
		return nil, usageError{err.Error()}
	}
	if *showVersion {
		fmt.Println("jails-collector", version)
		os.Exit(0)
	}
	if fs.NArg() > 0 {
		return nil, usageError{"jails-collector takes no arguments"}
	}
	size, err := store.ParseSize(*rotate)
	if err != nil || size < logs.MinRotateSize {
		return nil, usageError{fmt.Sprintf("--rotate-size %q: want at least %d bytes", *rotate, logs.MinRotateSize)}
	}
	o.rotate = size
	if o.keep < 1 {
		return nil, usageError{"--keep must be at least 1"}
	}
	if o.maxConns < 1 {
		return nil, usageError{"--max-conns must be at least 1"}
	}
	return o, nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	lvl := hclog.Info
	if o.debug {
		lvl = hclog.Debug
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "collector", Output: os.Stderr, Level: lvl})
	st := store.NewStore(o.state)
	cfg := collector.Config{Jails: storeJails{st}, Log: log, Poll: o.poll,
		Defaults: logs.StoreConfig{RotateSize: o.rotate, Keep: o.keep}}
	if o.syslog.Addr != "" {
		if cfg.Syslog, err = logs.DialSyslog(o.syslog); err != nil {
			return err
		}
		defer cfg.Syslog.Close()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	col := collector.New(cfg)
	// SIGHUP reopens the log files, as syslog daemons do after logrotate.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			col.Reopen()
		}
	}()
	srv, err := serveHTTP(o, st, log, col, cfg.Syslog)
	if err != nil {
		return err
	}
	if srv != nil {
		defer os.Remove(st.CollectorAddrPath())
		defer srv.Close()
	}
	return col.Run(ctx)
}
