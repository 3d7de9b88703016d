package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

const keeperCmd = "__keeper"

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
			fmt.Fprintf(e.stderr, "jailctl: %s %s: %v\n", verb, n, err)
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

// start launches the jail's keeper and waits until jinit reports every
// service ready. On any failure the jail is stopped again and the reason
// returned: nothing is left half-made.
func (e *env) start(ctx context.Context, name string, timeout time.Duration) error {
	lk, err := e.st.LockJail(name)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if e.st.Running(name) != nil {
		return errors.New("already running")
	}
	return e.startLocked(ctx, lk, name, timeout, false)
}

// startLocked starts a stopped jail, its lock lk held; with noServices
// jinit runs none of its services.
func (e *env) startLocked(ctx context.Context, lk *store.Lock, name string, timeout time.Duration, noServices bool) error {
	r, err := store.LoadDef(e.st.DefPath(name))
	if err != nil {
		return err
	}
	if err := e.st.CheckPorts(name, r.Ports); err != nil {
		return err
	}
	early := e.earlyReady(ctx, name, timeout)
	defer early.cancel()
	var d *direct
	if directStart() {
		d, err = e.launchDirect(r, noServices)
	} else {
		err = e.launchKeeper(lk, name, noServices)
	}
	if err != nil {
		e.st.Reconcile(name)
		return err
	}
	<-early.done
	err = early.err
	if !early.sent {
		err = e.waitReady(ctx, name, timeout)
	}
	if d != nil {
		// Ready or failed: either way the keeper takes the jail now (a
		// failed start is then stopped like any jail).
		if herr := d.handOff(e); herr != nil {
			return herr
		}
	}
	if err != nil {
		e.stopLocked(ctx, name, 10*time.Second)
		return fmt.Errorf("services did not start: %w", err)
	}
	return nil
}

// readyPoll is how often start looks for the keeper's control socket: it
// appears a few ms after the keeper starts, tens of ms before jinit answers.
const readyPoll = 3 * time.Millisecond

// readyWait is a wait-ready request made while the keeper starts the jail.
type readyWait struct {
	done   chan struct{}
	cancel func()
	sent   bool  // jinit answered the handshake: err is its answer
	err    error // valid once done is closed
}

// earlyReady connects as soon as the keeper's control socket listens (it
// polls for it) and asks for wait-ready before jinit runs: the connection
// waits in the socket's backlog, and the answer comes the moment the
// services are ready, rather than after a connection and handshake made
// once the keeper has reported. If it cannot get as far as jinit's
// handshake, sent stays false and start asks again the usual way.
func (e *env) earlyReady(ctx context.Context, name string, timeout time.Duration) *readyWait {
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	w := &readyWait{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(w.done)
		var d net.Dialer
		var conn net.Conn
		for {
			var err error
			if conn, err = d.DialContext(ctx, "unix", e.st.SockPath(name)); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(readyPoll):
			}
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		c, err := control.NewClient(conn)
		if err != nil {
			conn.Close()
			return
		}
		defer c.Close()
		w.sent = true
		_, w.err = c.Do(ctx, control.Request{Verb: services.VerbWaitReady, TimeoutMS: timeout.Milliseconds()})
	}()
	return w
}

// launchKeeper starts `jailctl __keeper [--no-services] NAME` detached, and
// waits for its report: "ok" once jinit runs, or the error that stopped it.
// The keeper shares the jail's lock until it reports, so that if this
// process is killed meanwhile, the next command waits for a jail that is
// built, or cleaned up after a failure, rather than one half-made.
func (e *env) launchKeeper(lk *store.Lock, name string, noServices bool) error {
	if err := os.MkdirAll(e.st.LogDir(name), 0o755); err != nil {
		return err
	}
	console, err := os.OpenFile(e.st.ConsolePath(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open console log: %w", err)
	}
	defer console.Close()
	rr, rw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer rr.Close()
	args := []string{name}
	if noServices {
		args = []string{"--no-services", name}
	}
	cmd := e.keeperCommand(console, []*os.File{rw, lk.File()}, args...)
	if err := cmd.Start(); err != nil {
		rw.Close()
		return fmt.Errorf("start keeper: %w", err)
	}
	rw.Close()
	line, _ := bufio.NewReader(rr).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "ok" {
		cmd.Process.Release()
		return nil
	}
	cmd.Wait()
	if msg, ok := strings.CutPrefix(line, "error: "); ok {
		return errors.New(msg)
	}
	return fmt.Errorf("keeper exited without starting the jail (see %s)", e.st.ConsolePath(name))
}

// keeperCommand is `jailctl [this one's global options] __keeper ARGS...`
// in a session of its own, writing to the jail's console log, with files
// as its descriptors 3 and up.
func (e *env) keeperCommand(console *os.File, files []*os.File, args ...string) *exec.Cmd {
	var global []string
	if e.st.Dir != "" {
		global = append(global, "--state-dir", e.st.Dir)
	}
	if e.log.IsDebug() {
		global = append(global, "--debug")
	}
	cmd := exec.Command(e.self, append(append(global, keeperCmd), args...)...)
	cmd.Stdout, cmd.Stderr = console, console
	cmd.ExtraFiles = files
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

func (e *env) waitReady(ctx context.Context, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	c, err := control.Dial(ctx, e.st.SockPath(name))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(ctx, control.Request{Verb: services.VerbWaitReady, TimeoutMS: timeout.Milliseconds()})
	return err
}

// cmdKeeper is the hidden keeper process: started by launchKeeper to
// build and keep a jail, or with --adopt by launchDirect to keep a jail
// that jailctl start built.
func cmdKeeper(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet(keeperCmd, flag.ContinueOnError)
	noServices := fs.Bool("no-services", false, "run none of the jail's services")
	adopt := fs.Int("adopt", 0, "keep the jail whose jinit has this pid (descriptors from jailctl start)")
	links := fs.Int("links", 0, "with --adopt: how many eBPF link descriptors follow")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *links < 0 || *links > 64 {
		return usageError{"__keeper [--no-services | --adopt PID --links N] NAME"}
	}
	name := pos[0]
	if *adopt > 0 {
		return adoptJail(e.st, name, *adopt, *links, e.log)
	}
	report := os.NewFile(3, "report")
	lock := os.NewFile(4, "lock") // the starter's lock on the jail, until the report
	r, err := store.LoadDef(e.st.DefPath(name))
	if err == nil {
		var jinit string
		if jinit, err = findJinit(e.self); err == nil {
			return keep(e.st, r, jinit, *noServices, func(err error) { sendReport(report, err); lock.Close() }, e.log)
		}
	}
	sendReport(report, err)
	lock.Close()
	return err
}

func sendReport(f *os.File, err error) {
	if f == nil {
		return
	}
	if err == nil {
		fmt.Fprintln(f, "ok")
	} else {
		fmt.Fprintf(f, "error: %s\n", firstLine(err.Error()))
	}
	f.Close()
}

// findJinit locates the jinit binary: $JAILS_JINIT, beside jailctl, or in
// the usual install locations.
func findJinit(self string) (string, error) {
	cands := []string{os.Getenv("JAILS_JINIT"), filepath.Join(filepath.Dir(self), "jinit"),
		"/usr/local/libexec/jails/jinit", "/usr/libexec/jails/jinit", "/usr/local/sbin/jinit", "/usr/sbin/jinit"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", errors.New("jinit binary not found: set JAILS_JINIT or install it beside jailctl")
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flag.NewFlagSet("run", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"run takes exactly one NAME"}
	}
	name := pos[0]
	if err := e.st.MustExist(name); err != nil {
		return err
	}
	lk, err := e.st.LockJail(name)
	if err != nil {
		return err
	}
	if e.st.Running(name) != nil {
		lk.Unlock()
		return errors.New("run: already running")
	}
	r, err := store.LoadDef(e.st.DefPath(name))
	if err == nil {
		err = e.st.CheckPorts(name, r.Ports)
	}
	var jinit string
	if err == nil {
		jinit, err = findJinit(e.self)
	}
	if err != nil {
		lk.Unlock()
		return err
	}
	var notReady atomic.Pointer[error]
	err = keep(e.st, r, jinit, false, func(err error) {
		lk.Unlock()
		if err == nil {
			go e.notifyReady(ctx, name, &notReady)
		}
	}, e.log)
	if p := notReady.Load(); p != nil {
		e.st.WriteLast(name, firstLine((*p).Error()))
		return *p
	}
	return err
}

// notifyReady tells systemd (Type=notify) once the services are ready. If
// they do not start, it stops the jail, like start does, and leaves the
// reason in notReady so run fails with it (and `systemctl start` at once).
func (e *env) notifyReady(ctx context.Context, name string, notReady *atomic.Pointer[error]) {
	err := e.waitReady(ctx, name, 10*time.Minute)
	if err == nil {
		sdNotify("READY=1")
		return
	}
	err = fmt.Errorf("services did not start: %w", err)
	notReady.Store(&err)
	sdNotify("STATUS=" + firstLine(err.Error()))
	e.stop(ctx, name, 30*time.Second) // returns when this process exits
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
