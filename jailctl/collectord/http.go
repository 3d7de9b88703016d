package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/metrics/prom"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/logs/collector"
	"github.com/prometheus/client_golang/prometheus"
)

// The endpoint's bounds: a client, or anything that can connect, must not
// take the descriptors and goroutines log collection needs. Connections
// beyond maxConns wait in the kernel's listen queue (they cost the
// collector nothing); one that sends no request within headerTimeout, or
// stays idle between requests beyond idleTimeout, is closed; a client
// too slow to take its answer is cut after writeTimeout.
const (
	headerTimeout = 10 * time.Second
	idleTimeout   = 30 * time.Second
	writeTimeout  = 60 * time.Second
)

// serveHTTP starts the collector's HTTP endpoint; nil when the address is "".
func serveHTTP(o *options, st *store.Store, log hclog.Logger, col *collector.Collector, sys *logs.Syslog) (*http.Server, error) {
	if o.listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /logs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(col.Stats())
	})
	err = prom.Register(mux, prom.Config{Store: st, Log: log, Version: version,
		Extra: []prometheus.Collector{ingest{col, sys}}})
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       headerTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		if err := srv.Serve(limitListener(ln, o.maxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP endpoint failed", "error", err)
		}
	}()
	log.Info("serving HTTP", "addr", ln.Addr().String(), "max_conns", o.maxConns)
	// Recorded for `jailctl stats`, which then needs no --collector.
	if err := os.MkdirAll(st.Run, 0o700); err == nil {
		err = store.WriteAtomic(st.CollectorAddrPath(), []byte(ln.Addr().String()+"\n"), 0o644)
		if err != nil {
			log.Warn("cannot record the HTTP address for jailctl stats", "error", err)
		}
	}
	return srv, nil
}

// limitListener accepts a connection only while fewer than n are open:
// the rest stay in the listen queue, outside the collector.
func limitListener(l net.Listener, n int) net.Listener {
	return &limited{Listener: l, sem: make(chan struct{}, n)}
}

type limited struct {
	net.Listener
	sem chan struct{}
}

func (l *limited) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
