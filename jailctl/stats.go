package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jailsproject/jails/jailctl/jail"
	"github.com/jailsproject/jails/jailctl/metrics"
)

// defaultCollector is where stats looks for a collector's CPU samples.
const defaultCollector = "127.0.0.1:9750"

// cmdStats prints a snapshot of running jails: ID NAME CPU1S CPU10S PROCS
// MEM UPTIME SERVICES, as JSON, or in the Prometheus text format (for
// inetd-style serving, like the reference's `stats -P`).
//
// CPU over the last 1 s and 10 s needs samples over time. A running
// collector of this instance keeps a ring of them (one a second), so stats
// asks it first; for jails it has no figures for, stats samples the
// cumulative CPU itself over one second (so it then takes a second), and
// CPU10S stays unknown ("-", null in JSON).
func cmdStats(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "machine-readable output")
	asProm := fs.Bool("prometheus", false, "Prometheus text exposition format")
	httpHdr := fs.Bool("http", false, "with --prometheus: prepend an HTTP response header (for inetd)")
	envAddr, envSet := os.LookupEnv("JAILS_COLLECTOR")
	colAddr := fs.String("collector", envAddr, `collector to ask for CPU samples; "" for none (default: the running collector's recorded address, else `+defaultCollector+`)`)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"stats takes at most one NAME"}
	}
	if *asJSON && *asProm {
		return usageError{"--json and --prometheus are exclusive"}
	}
	if *httpHdr && !*asProm {
		return usageError{"--http goes with --prometheus"}
	}
	if !flagSet(fs, "collector") && !envSet {
		if *colAddr = e.st.CollectorAddr(); *colAddr == "" {
			*colAddr = defaultCollector
		}
	}
	jails, err := e.statsSnapshots(ctx, pos, *colAddr)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return writeJSON(e.stdout, jails)
	case *asProm:
		if *httpHdr {
			// inetd hands us the connection: answer whatever was asked
			// (the request is not read), and close, like the reference's -h.
			fmt.Fprint(e.stdout, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nConnection: close\r\n\r\n")
		}
		return metrics.WriteText(e.stdout, jails, time.Now())
	}
	printStats(e.stdout, jails, time.Now())
	return nil
}

// statsSnapshots reads the named jail (which must run) or every running one.
func (e *env) statsSnapshots(ctx context.Context, names []string, colAddr string) ([]*metrics.Jail, error) {
	if len(names) == 1 {
		if err := e.st.MustExist(names[0]); err != nil {
			return nil, err
		}
		if e.st.Running(names[0]) == nil {
			return nil, fmt.Errorf("%s: %w", names[0], jail.ErrNotRunning)
		}
	}
	fromCol := collectorCPU(ctx, colAddr, names)
	local := e.sampleCPU(names, fromCol)
	var jails []*metrics.Jail
	if len(names) == 1 {
		j, err := metrics.Snapshot(ctx, e.st, names[0], metrics.Options{})
		if err != nil {
			return nil, err
		}
		jails = []*metrics.Jail{j}
	} else {
		var err error
		if jails, err = metrics.SnapshotAll(ctx, e.st, metrics.Options{}); err != nil {
			return nil, err
		}
	}
	for _, j := range jails {
		if c, ok := fromCol[j.Name]; ok && c.started.Sub(j.Started).Abs() < time.Millisecond {
			j.CPU1s, j.CPU10s = c.cpu1s, c.cpu10s
		}
		if j.CPU1s == nil {
			j.CPU1s = local[j.Name]
		}
	}
	return jails, nil
}

// colCPU is what a collector reports about one jail's recent CPU use.
type colCPU struct {
	started       time.Time // to be sure it is the same jail run (and instance)
	cpu1s, cpu10s *float64
}

// collectorCPU asks a collector for its CPU figures; an empty map if there
// is none (or it is another instance's: the start times will not match).
func collectorCPU(ctx context.Context, addr string, names []string) map[string]colCPU {
	out := map[string]colCPU{}
	if addr == "" {
		return out
	}
	path := "/metrics"
	if len(names) == 1 {
		path = "/jails/" + names[0] + "/metrics"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	body, err := httpGet(ctx, addr, path)
	if err != nil {
		return out
	}
	defer body.Close()
	parseCollectorCPU(io.LimitReader(body, 64<<20), out)
	return out
}

// parseCollectorCPU picks jails_jail_cpu_usage_ratio and
// jails_jail_start_time_seconds out of an exposition; a malformed one
// gives what was read before the bad line.
func parseCollectorCPU(r io.Reader, out map[string]colCPU) {
	samples, _ := metrics.ReadSamples(r, "jails_jail_start_time_seconds", "jails_jail_cpu_usage_ratio")
	for _, m := range samples {
		jail, v := m.Labels["jail"], m.Value
		c := out[jail]
		if m.Name == "jails_jail_start_time_seconds" {
			c.started = time.Unix(0, int64(math.Round(v*1e9)))
		} else {
			switch m.Labels["window"] {
			case "1s":
				c.cpu1s = &v
			case "10s":
				c.cpu10s = &v
			}
		}
		out[jail] = c
	}
}

// sampleCPU measures, over one second, the CPU use of the running jails
// (all, or the named one) that have no figure yet.
func (e *env) sampleCPU(names []string, have map[string]colCPU) map[string]*float64 {
	out := map[string]*float64{}
	if len(names) == 0 {
		all, err := e.st.Names()
		if err != nil {
			return out
		}
		names = all
	}
	type probe struct {
		read func() (time.Duration, bool)
		v0   time.Duration
	}
	probes := map[string]probe{}
	for _, n := range names {
		rt := e.st.Running(n)
		if rt == nil {
			continue
		}
		if c, ok := have[n]; ok && c.cpu1s != nil && c.started.Sub(rt.Started).Abs() < time.Millisecond {
			continue
		}
		if read := metrics.CPUReader(rt); read != nil {
			if v, ok := read(); ok {
				probes[n] = probe{read, v}
			}
		}
	}
	if len(probes) == 0 {
		return out
	}
	t0 := time.Now()
	time.Sleep(time.Second)
	for n, p := range probes {
		if v, ok := p.read(); ok && v >= p.v0 {
			x := (v - p.v0).Seconds() / time.Since(t0).Seconds()
			out[n] = &x
		}
	}
	return out
}

// printStats prints the snapshot table.
func printStats(w io.Writer, jails []*metrics.Jail, now time.Time) {
	if len(jails) == 0 {
		fmt.Fprintln(w, "no jails running")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCPU1S\tCPU10S\tPROCS\tMEM\tUPTIME\tSERVICES")
	for _, j := range jails {
		svcs := "-"
		if j.Jinit != nil {
			up, total := j.ServicesUp()
			svcs = fmt.Sprintf("%d/%d", up, total)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", j.ID, j.Name, percent(j.CPU1s), percent(j.CPU10s),
			j.Usage.Procs, humanBytes(j.Usage.MemBytes), j.Uptime(now).Truncate(time.Second), svcs)
	}
	tw.Flush()
}

// percent shows CPU use as a percentage of one CPU, like top(1).
func percent(x *float64) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *x*100)
}

// httpGet fetches path from the HTTP server at addr (a collector) with an
// HTTP/1.0 request, whose answer ends with the connection, and returns the
// body of a 200 answer. Not net/http: that package (and the TLS and X.509
// code it brings) would be linked and initialised on every jailctl start
// for this one request of `jailctl stats`.
func httpGet(ctx context.Context, addr, path string) (io.ReadCloser, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: jailctl\r\n\r\n", path, addr); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 64<<10)
	status, err := br.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, err
	}
	if f := strings.Fields(status); len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/1.") || f[1] != "200" {
		c.Close()
		return nil, fmt.Errorf("GET %s from %s: %s", path, addr, strings.TrimSpace(status))
	}
	for n := 0; ; n++ {
		line, err := br.ReadString('\n')
		if err != nil || n > 100 {
			c.Close()
			return nil, fmt.Errorf("GET %s from %s: bad headers", path, addr)
		}
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
	}
	return struct {
		io.Reader
		io.Closer
	}{br, c}, nil
}
