package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/logs/collector"
)

// registerHTTP adds other handlers (telemetry) to the collector's mux.
var registerHTTP []func(mux *http.ServeMux, st *store.Store, log hclog.Logger)

// cmdCollector runs the host collector in the foreground (for systemd and
// rc.d): logs of every running jail into the store, and an HTTP endpoint.
func cmdCollector(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9750", `HTTP address (/metrics, /logs); "" for none`)
	rotate := fs.String("rotate-size", "16M", "rotate a service's log beyond this size (a jail's [logs] rotate_size wins)")
	keep := fs.Int("keep", logs.DefaultKeep, "rotated files kept per service (a jail's [logs] keep wins)")
	sysAddr := fs.String("syslog", "", "also forward to syslog: unix:/dev/log or udp:127.0.0.1:514")
	facility := fs.String("syslog-facility", "daemon", "syslog facility")
	tag := fs.String("syslog-tag", "jails", "syslog APP-NAME")
	poll := fs.Duration("poll", time.Second, "how often to look for jails started since")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"collector takes no arguments"}
	}
	size, err := store.ParseSize(*rotate)
	if err != nil || size < logs.MinRotateSize {
		return usageError{fmt.Sprintf("--rotate-size %q: want at least %d bytes", *rotate, logs.MinRotateSize)}
	}
	if *keep < 1 {
		return usageError{"--keep must be at least 1"}
	}
	log := e.log
	if !log.IsDebug() {
		log = log.ResetNamed("collector")
		log.SetLevel(hclog.Info)
	}
	cfg := collector.Config{Store: e.st, Log: log, Defaults: logs.StoreConfig{RotateSize: size, Keep: *keep}, Poll: *poll}
	if *sysAddr != "" {
		if cfg.Syslog, err = logs.DialSyslog(logs.SyslogConfig{Addr: *sysAddr, Facility: *facility, Tag: *tag}); err != nil {
			return err
		}
		defer cfg.Syslog.Close()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	col := collector.New(cfg)
	srv, err := serveHTTP(*listen, e.st, log, col)
	if err != nil {
		return err
	}
	if srv != nil {
		defer os.Remove(e.st.CollectorAddrPath())
		defer srv.Close()
	}
	return col.Run(ctx)
}

// serveHTTP starts the collector's HTTP endpoint; nil when addr is "".
func serveHTTP(addr string, st *store.Store, log hclog.Logger, col *collector.Collector) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /logs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(col.Stats())
	})
	for _, reg := range registerHTTP {
		reg(mux, st, log)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP endpoint failed", "error", err)
		}
	}()
	log.Info("serving HTTP", "addr", ln.Addr().String())
	// Recorded for `jailctl stats`, which then needs no --collector.
	if err := os.MkdirAll(st.Run, 0o700); err == nil {
		err = store.WriteAtomic(st.CollectorAddrPath(), []byte(ln.Addr().String()+"\n"), 0o644)
		if err != nil {
			log.Warn("cannot record the HTTP address for jailctl stats", "error", err)
		}
	}
	return srv, nil
}
