package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/logs/collector"
	"github.com/jailsproject/jails/services"
)

// logsOpts are the options of `jailctl logs`.
type logsOpts struct {
	jail, service string
	follow        bool
	n             int // -1: all
	since         time.Time
	json          bool
	poll          time.Duration
}

// cmdLogs: jailctl logs NAME [SERVICE] [-f] [-n N] [--since T] [--json].
func cmdLogs(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	var o logsOpts
	fs.BoolVar(&o.follow, "f", false, "follow: print lines as they are stored")
	fs.IntVar(&o.n, "n", -1, "only the last N lines")
	since := fs.String("since", "", "only lines since T (RFC 3339 time, or a duration ago: 10m)")
	fs.BoolVar(&o.json, "json", false, "one JSON object per line")
	fs.DurationVar(&o.poll, "poll", 250*time.Millisecond, "how often -f looks for new lines")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError{"logs NAME [SERVICE] [-f] [-n N] [--since T] [--json]"}
	}
	o.jail = pos[0]
	if len(pos) == 2 {
		o.service = pos[1]
		if err := logs.ValidService(o.service); err != nil {
			return usageError{err.Error()}
		}
	}
	if err := store.ValidName(o.jail); err != nil {
		return usageError{err.Error()}
	}
	if *since != "" {
		if o.since, err = parseSince(*since, time.Now()); err != nil {
			return usageError{err.Error()}
		}
	}
	if o.follow {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	defer w.Flush()
	dir := e.st.LogDir(o.jail)
	if logs.HasCheckpoint(dir) {
		return logsFromStore(ctx, w, dir, o)
	}
	if _, err := os.Stat(e.st.DefPath(o.jail)); err != nil {
		return fmt.Errorf("no such jail: %s", o.jail)
	}
	return e.logsFromJinit(ctx, w, o)
}

// parseSince reads an absolute time or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time (2024-05-01T12:00:00Z), a date, or a duration (10m)", s)
}

// logsFromStore prints the store's lines, merged across services in time
// order, then follows.
func logsFromStore(ctx context.Context, w *bufio.Writer, dir string, o logsOpts) error {
	svcs := []string{o.service}
	if o.service == "" {
		var err error
		if svcs, err = logs.Services(dir); err != nil {
			return err
		}
	}
	curs := map[string]logs.Cursor{}
	for _, s := range svcs {
		curs[s] = logs.Snapshot(dir, s)
	}
	p := printer{w: w, jail: o.jail, json: o.json}
	var err error
	if o.n >= 0 {
		err = printLast(&p, dir, svcs, curs, o)
	} else {
		err = printAll(&p, dir, svcs, curs, o.since)
	}
	if err != nil || !o.follow {
		return err
	}
	fl := logs.NewFollower(dir, o.service, curs)
	for {
		if err := fl.Poll(func(svc string, line []byte) { p.storeLine(svc, line) }); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.poll):
		}
	}
}

// printAll merges every service's lines by timestamp (the fixed-width
// UTC stamps order as strings).
func printAll(p *printer, dir string, svcs []string, curs map[string]logs.Cursor, since time.Time) error {
	rs := make([]*logs.ServiceReader, len(svcs))
	heads := make([][]byte, len(svcs))
	for i, s := range svcs {
		r, err := logs.NewServiceReader(dir, s, since, curs[s])
		if err != nil {
			return err
		}
		defer r.Close()
		rs[i], heads[i] = r, r.Next()
	}
	for {
		best := -1
		for i, h := range heads {
			if h != nil && (best < 0 || bytes.Compare(stampOf(h), stampOf(heads[best])) < 0) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		p.storeLine(svcs[best], heads[best])
		heads[best] = rs[best].Next()
	}
	for _, r := range rs {
		if err := r.Err(); err != nil {
			return err
		}
	}
	return p.w.Flush()
}

func stampOf(line []byte) []byte { return line[:min(len(line), len(logs.TimeLayout))] }

// printLast prints the last n lines over the chosen services.
func printLast(p *printer, dir string, svcs []string, curs map[string]logs.Cursor, o logsOpts) error {
	type tagged struct {
		svc  string
		line []byte
	}
	var all []tagged
	for _, s := range svcs {
		lines, err := logs.LastLines(dir, s, o.n, curs[s])
		if err != nil {
			return err
		}
		for _, l := range lines {
			if !o.since.IsZero() {
				if t, ok := logs.LineTime(l); ok && t.Before(o.since) {
					continue
				}
			}
			all = append(all, tagged{s, l})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return bytes.Compare(stampOf(all[i].line), stampOf(all[j].line)) < 0 })
	if len(all) > o.n {
		all = all[len(all)-o.n:]
	}
	for _, t := range all {
		p.storeLine(t.svc, t.line)
	}
	return p.w.Flush()
}

// printer writes lines for people or as JSON.
type printer struct {
	w     *bufio.Writer
	jail  string
	json  bool
	stamp logs.Stamper
}

// storeLine prints a line of the store: TIME SERVICE STREAM TEXT, the
// stream stdout, stderr or jinit, with '+' when the record is partial.
func (p *printer) storeLine(svc string, line []byte) {
	l, err := logs.ParseLine(line)
	if err != nil {
		return // not ours (a torn line being rewritten)
	}
	if p.json {
		p.jsonLine(svc, l)
		return
	}
	var b []byte
	b = append(append(append(b, stampOf(line)...), ' '), svc...)
	b = append(append(b, ' '), l.Stream.String()...)
	if l.Partial {
		b = append(b, '+')
	}
	b = append(append(b, ' '), l.Text...)
	p.w.Write(append(b, '\n'))
}

// jsonLine is the documented JSON form (docs/LOGS.md).
func (p *printer) jsonLine(svc string, l logs.Line) {
	type out struct {
		Time       string `json:"time"`
		Jail       string `json:"jail"`
		Service    string `json:"service"`
		Stream     string `json:"stream"`
		Partial    bool   `json:"partial,omitempty"`
		Text       string `json:"text"`
		TextBase64 string `json:"text_base64,omitempty"`
	}
	o := out{Time: l.Time.Format(time.RFC3339Nano), Jail: p.jail, Service: svc, Stream: l.Stream.String(),
		Partial: l.Partial, Text: string(l.Text)}
	if !utf8.Valid(l.Text) {
		o.Text = strings.ToValidUTF8(o.Text, "\uFFFD")
		o.TextBase64 = base64.StdEncoding.EncodeToString(l.Text)
	}
	b, _ := json.Marshal(o)
	p.w.Write(append(b, '\n'))
}

// logsFromJinit shows what jinit still holds, when no collector has ever
// stored this jail's logs.
func (e *env) logsFromJinit(ctx context.Context, w *bufio.Writer, o logsOpts) error {
	if e.st.Running(o.jail) == nil {
		return fmt.Errorf("no logs of jail %s: no collector has run for it (start `jailctl collector`) and it is not running", o.jail)
	}
	fmt.Fprintf(e.stderr, "jailctl: no collector has run for jail %s: showing the lines jinit holds until one does\n", o.jail)
	c, err := control.Dial(ctx, e.st.SockPath(o.jail))
	if err != nil {
		return err
	}
	defer c.Close()
	p := printer{w: w, jail: o.jail, json: o.json}
	var after uint64
	for first := true; ; first = false {
		req := control.Request{Verb: control.VerbTail, Service: o.service, FromSeq: after}
		if first && o.n >= 0 {
			req.Lines = max(o.n, 1)
		}
		resp, err := c.Do(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tail: %w", err)
		}
		var rep logs.TailReply
		if err := json.Unmarshal(resp.Data, &rep); err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		for _, r := range rep.Records {
			after = max(after, r.Seq)
			if first && o.n == 0 || !o.since.IsZero() && time.Unix(0, r.Time).Before(o.since) {
				continue
			}
			p.tailRecord(r)
		}
		if err := w.Flush(); err != nil || !o.follow {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(max(o.poll, 500*time.Millisecond)):
		}
	}
}

func (p *printer) tailRecord(r logs.TailRecord) {
	st, ok := logs.ParseStream(r.Stream)
	if !ok || bytes.IndexByte(r.Text, '\n') >= 0 {
		return
	}
	var fl logs.Flags
	if r.Partial {
		fl = logs.Partial
	}
	line := p.stamp.AppendLine(nil, &logs.Record{Time: r.Time, Stream: st, Flags: fl, Text: r.Text})
	p.storeLine(r.Service, line[:len(line)-1])
}

// logStoreState is what the collector published about the jail's log
// store while it fails (nil when it is fine, or unknown).
func (e *env) logStoreState(name string) *collector.StoreState {
	b, err := store.ReadSmall(filepath.Join(e.st.RunDir(name), collector.StoreStateFile), 4096)
	if err != nil {
		return nil
	}
	var st collector.StoreState
	if json.Unmarshal(b, &st) != nil {
		return nil
	}
	return &st
}

func logStoreProblem(st *collector.StoreState) string {
	if st.Full {
		return "log store full"
	}
	return "log store failing"
}

// printLogLoss ends `status` with the services that lost log lines (drop
// mode, buffer full): how many, and when the last was taken.
func (e *env) printLogLoss(ctx context.Context, c *control.Client, name string) {
	resp, err := c.Do(ctx, control.Request{Verb: control.VerbMetrics})
	if err != nil {
		return
	}
	m, err := control.DecodeMetrics(resp.Data)
	if err != nil {
		return
	}
	for _, s := range m.Services {
		if s.Logs != nil && s.Logs.Dropped > 0 {
			fmt.Fprintf(e.stdout, "\nlogs: %s dropped %d lines (log buffer full), the last at %s\n",
				s.Name, s.Logs.Dropped, s.Logs.LastDrop.Local().Format(time.DateTime))
		}
	}
}

// printOOM ends `status` with the services whose last run was killed by
// SIGKILL while the jail's cgroup counts OOM kills: the kernel's OOM
// killer sends SIGKILL, and it shows in the wait status as nothing else.
// (The kernel counts kills per jail, not per process: a SIGKILL sent by
// hand in a jail that also had an OOM kill is reported the same way.)
func (e *env) printOOM(name string, svcs []services.Status) {
	rt := e.st.Running(name)
	if rt == nil {
		return
	}
	u := rt.Usage()
	if !u.OOMKnown || u.OOMKills == 0 {
		return
	}
	for _, s := range svcs {
		if s.LastExit != nil && s.LastExit.Signal == "SIGKILL" {
			fmt.Fprintf(e.stdout, "\n%s: killed: out of memory (SIGKILL; the jail's cgroup counts %d OOM kills)\n", s.Name, u.OOMKills)
		}
	}
}
