package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

// version is set at build time.
var version = "dev"

func newLogger(debug bool) hclog.Logger {
	lvl := hclog.Info
	if debug {
		lvl = hclog.Debug
	}
	return hclog.New(&hclog.LoggerOptions{Name: "jinit", Output: console, Level: lvl})
}

// selfExe is the path services are started through when jinit must set
// something up between fork and exec (rlimits): its own binary (in a jail,
// /run/jinit, the read-only copy it runs from), or, when that path no
// longer leads to a file (the binary was replaced or deleted, as an
// upgrade does), the /proc/self/exe link, which still execs the running
// one.
func selfExe() string {
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil && fi.Mode().IsRegular() {
			return exe
		}
	}
	return "/proc/self/exe"
}

// supervise runs the supervisor until SIGTERM/SIGINT/SIGQUIT or a shutdown
// command has stopped every service and every leftover process.
func supervise(ctx context.Context, o options) error {
	sigs := notifySignals()
	setupConsole(o)
	log := newLogger(o.debug)
	os.Chdir("/")
	becomeReaper(log)
	if o.jail != "" {
		if err := checkConfined(); err != nil {
			return err
		}
	}
	ln, err := controlListener(o)
	if err != nil {
		return err
	}
	reaper := services.StartReaper()
	cfg := services.Config{Dir: o.services, Log: log, Reaper: reaper, Exe: selfExe(), Profile: os.Getenv("JAIL_PROFILE")}
	var capt *Capture // capture needs a collector to stream to: only with a control socket
	if ln != nil {
		capt = newCapture(o, log)
		cfg.Output, cfg.Message, cfg.Tail, cfg.Tee = capt.Output, capt.Message, capt.Recent, capt.Tee
	}
	if o.keeperFD >= 0 {
		go watchKeeper(o.keeperFD, log, capt.Abandon)
	}
	eng := services.New(cfg)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go handleSignals(ctx, log, eng, stop, sigs)
	// The control socket outlives the engine until the collector has taken
	// the last log lines (capt.Close).
	srvCtx, srvStop := context.WithCancel(context.Background())
	defer srvStop()
	if ln != nil {
		srv := &control.Server{Handler: &handler{eng: eng, stop: stop, logs: capt}, Streamer: capt, Execer: &execer{eng: eng}, Log: log.Named("control"), Software: "jinit " + version, Jail: o.jail}
		go func() {
			if err := srv.Serve(srvCtx, ln); err != nil {
				log.Error("control socket failed", "error", err)
			}
		}()
	}
	log.Info("supervising", "dir", o.services, "pid", os.Getpid())
	err = eng.Run(ctx)
	capt.Close()
	log.Info("stopped")
	return err
}

// controlListener opens the control socket: an inherited listening socket
// (how jailctl hands over the host-side socket, unreachable by path from
// inside the jail), or a path of our own.
func controlListener(o options) (net.Listener, error) {
	switch {
	case o.controlFD >= 0:
		f := os.NewFile(uintptr(o.controlFD), "control")
		syscall.CloseOnExec(o.controlFD)
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("use control fd %d: %w", o.controlFD, err)
		}
		return ln, nil
	case o.control != "":
		os.Remove(o.control)
		ln, err := net.Listen("unix", o.control)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", o.control, err)
		}
		os.Chmod(o.control, 0o600)
		return ln, nil
	}
	return nil, nil
}

// notifySignals catches every signal jinit might get (not ignoring it: a
// caught signal is reset to default in the services, an ignored one would
// be inherited). supervise calls it first: until Notify, Go's own handler
// ends the process on SIGHUP or SIGTERM, and when the handling goroutine
// called it, a signal sent as soon as jinit answered could still kill it
// (seen once in TestRescan).
func notifySignals() chan os.Signal {
	c := make(chan os.Signal, 8)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP,
		syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2)
	return c
}

// handleSignals maps PID-1 signals: TERM/INT/QUIT shut down, HUP rescans.
func handleSignals(ctx context.Context, log hclog.Logger, eng *services.Engine, stop func(), c chan os.Signal) {
	defer signal.Stop(c)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-c:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				log.Info("shutdown requested", "signal", sig)
				stop()
			case syscall.SIGHUP:
				rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				if _, err := eng.Do(rctx, services.Command{Verb: services.VerbRescan}); err != nil {
					log.Error("rescan", "error", err)
				}
				cancel()
			}
		}
	}
}

// handler answers control requests with the engine.
type handler struct {
	eng  *services.Engine
	stop func()
	logs *Capture // nil without a control socket
}

func (h *handler) Handle(ctx context.Context, req control.Request) control.Response {
	if req.Verb == services.VerbShutdown {
		h.stop()
		return control.Response{OK: true}
	}
	if req.Verb == control.VerbTail {
		return h.logs.Tail(req)
	}
	if req.Verb == control.VerbMetrics {
		return h.metrics(ctx)
	}
	reply, err := h.eng.Do(ctx, services.Command{Verb: req.Verb, Service: req.Service, Signal: req.Signal, Timeout: req.Timeout()})
	if err != nil {
		return control.Response{Error: err.Error()}
	}
	return control.Response{OK: true, Services: reply.Services, Stats: &reply.Stats}
}
