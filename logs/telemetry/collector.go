package telemetry

import (
	"context"
	"strconv"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs/telemetry/report"
	"github.com/prometheus/client_golang/prometheus"
)

// Metric families; docs/METRICS.md describes each (keep them in step:
// TestMetricsDocumented checks).
var (
	jailL    = []string{"jail"}
	serviceL = []string{"jail", "service"}

	descRunning = desc("jails_running", "Number of jails running on this host.", nil)

	descInfo      = desc("jails_jail_info", "Static facts about a running jail; always 1.", []string{"jail", "id", "profile"})
	descStart     = desc("jails_jail_start_time_seconds", "When the jail started, in seconds since the Unix epoch.", jailL)
	descUptime    = desc("jails_jail_uptime_seconds", "Seconds since the jail started.", jailL)
	descCPU       = desc("jails_jail_cpu_seconds_total", "CPU time used by every process the jail ever ran, including exited ones (from its cgroup).", jailL)
	descCPURecent = desc("jails_jail_cpu_usage_ratio", "CPU seconds used per second over the last window (1s or 10s); 1 means one CPU busy.", []string{"jail", "window"})
	descProcs     = desc("jails_jail_processes", "Processes in the jail (its cgroup subtree).", jailL)
	descTasks     = desc("jails_jail_tasks", "Tasks (threads) in the jail, as the pids controller counts them.", jailL)
	descMem       = desc("jails_jail_memory_working_set_bytes", "Resident memory of the jail: its cgroup's usage minus inactive file cache.", jailL)
	descMemLimit  = desc("jails_jail_memory_limit_bytes", "The jail's memory limit; absent when unlimited.", jailL)
	descPidsLimit = desc("jails_jail_pids_limit", "The jail's limit on tasks; absent when unlimited.", jailL)
	descCPULimit  = desc("jails_jail_cpu_limit_ratio", "The jail's CPU limit in CPUs (CPU seconds per second); absent when unlimited.", jailL)

	descJinitUp      = desc("jails_jinit_up", "1 if the jail's jinit answered the metrics request of this scrape, else 0.", jailL)
	descOrphans      = desc("jails_jinit_orphans_reaped_total", "Orphaned processes reaped by the jail's jinit (PID 1).", jailL)
	descJinitMem     = desc("jails_jinit_resident_memory_bytes", "Resident memory of the jail's jinit.", jailL)
	descJinitCPU     = desc("jails_jinit_cpu_seconds_total", "CPU time used by the jail's jinit itself.", jailL)
	descLogBuf       = desc("jails_jinit_log_buffer_bytes", "Log records held by jinit, not yet acknowledged by the collector.", jailL)
	descLogBufLimit  = desc("jails_jinit_log_buffer_limit_bytes", "Bound of jinit's log buffer.", jailL)
	descLogConnected = desc("jails_jinit_log_collector_connected", "1 if a collector is subscribed to the jail's log stream.", jailL)

	descSvcUp       = desc("jails_service_up", "1 if the service's run process is alive.", serviceL)
	descSvcReady    = desc("jails_service_ready", "1 if the service is up and ready.", serviceL)
	descSvcState    = desc("jails_service_state", "The service's current supervision state, as the state label; always 1.", []string{"jail", "service", "state"})
	descSvcRestarts = desc("jails_service_restarts_total", "Times jinit restarted the service since the jail started.", serviceL)
	descSvcUptime   = desc("jails_service_uptime_seconds", "Seconds the service has been up in its current run; 0 when not up.", serviceL)
	descSvcExitCode = desc("jails_service_last_exit_code", "Exit code of the service's last run; -1 if a signal killed it. Absent until a run ended.", serviceL)
	descSvcExitSig  = desc("jails_service_last_exit_signal", "Number of the signal that killed the service's last run; 0 if it exited. Absent until a run ended.", serviceL)
	descSvcCPU      = desc("jails_service_cpu_seconds_total", "CPU time used by the service's process groups (every run, and their waited-for children).", serviceL)
	descSvcMem      = desc("jails_service_resident_memory_bytes", "Resident memory of the service's live process group (shared pages counted per process).", serviceL)
	descSvcProcs    = desc("jails_service_processes", "Processes in the service's live process group.", serviceL)
	descLogLines    = desc("jails_service_log_lines_total", "Log lines jinit captured from the service's stdout and stderr.", serviceL)
	descLogBytes    = desc("jails_service_log_bytes_total", "Bytes of log text jinit captured from the service.", serviceL)
	descLogDropped  = desc("jails_service_log_dropped_lines_total", "Log lines of the service dropped because jinit's buffer was full (drop mode).", serviceL)
	descLogBlocked  = desc("jails_service_log_blocked_seconds_total", "Time the service's output was left unread because jinit's log buffer was full (backpressure).", serviceL)

	allDescs = []*prometheus.Desc{
		descRunning, descInfo, descStart, descUptime, descCPU, descCPURecent, descProcs, descTasks, descMem,
		descMemLimit, descPidsLimit, descCPULimit, descJinitUp, descOrphans, descJinitMem, descJinitCPU,
		descLogBuf, descLogBufLimit, descLogConnected, descSvcUp, descSvcReady, descSvcState, descSvcRestarts,
		descSvcUptime, descSvcExitCode, descSvcExitSig, descSvcCPU, descSvcMem, descSvcProcs,
		descLogLines, descLogBytes, descLogDropped, descLogBlocked,
	}
)

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// liveCollector reads every running jail when collected, and sends each
// jail's metrics as soon as that jail is read, so the registry's work on
// them overlaps with waiting for the other jails' jinit.
type liveCollector struct {
	ctx context.Context
	st  *store.Store
	o   Options
}

func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) { describeAll(ch) }

func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	e := emitter{ch: ch}
	names, err := c.st.Names()
	if err != nil {
		e.ch <- prometheus.NewInvalidMetric(descRunning, err)
		return
	}
	now := time.Now()
	live := eachJail(c.ctx, c.st, names, c.o, func(_ int, j *Jail) { e.jail(j, now) })
	e.gauge(descRunning, float64(len(live)))
	if c.o.Pool != nil {
		c.o.Pool.keepOnly(live)
	}
	if c.o.Cache != nil {
		c.o.Cache.keepOnly(live)
	}
}

func describeAll(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// snapshotCollector exports a fixed set of snapshots (taken by the caller
// for this scrape).
type snapshotCollector struct {
	jails    []*Jail
	now      time.Time
	withHost bool // also the host-wide families (jails_running)
}

func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) { describeAll(ch) }

func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	e := emitter{ch: ch}
	if c.withHost {
		e.gauge(descRunning, float64(len(c.jails)))
	}
	for _, j := range c.jails {
		e.jail(j, c.now)
	}
}

// emitter sends const metrics; a value a hostile jinit made invalid is
// skipped rather than failing the scrape.
type emitter struct{ ch chan<- prometheus.Metric }

func (e emitter) send(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	if m, err := prometheus.NewConstMetric(d, t, v, labels...); err == nil {
		e.ch <- m
	}
}

func (e emitter) gauge(d *prometheus.Desc, v float64, labels ...string) {
	e.send(d, prometheus.GaugeValue, v, labels...)
}

func (e emitter) counter(d *prometheus.Desc, v float64, labels ...string) {
	e.send(d, prometheus.CounterValue, max(v, 0), labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (e emitter) jail(j *Jail, now time.Time) {
	n := j.Name
	e.gauge(descInfo, 1, n, strconv.Itoa(j.ID), j.Profile)
	e.gauge(descStart, float64(j.Started.UnixNano())/1e9, n)
	e.gauge(descUptime, max(j.Uptime(now).Seconds(), 0), n)
	u := j.Usage
	if j.Kernel {
		e.counter(descCPU, u.CPU.Seconds(), n)
		if j.CPU1s != nil {
			e.gauge(descCPURecent, *j.CPU1s, n, "1s")
		}
		if j.CPU10s != nil {
			e.gauge(descCPURecent, *j.CPU10s, n, "10s")
		}
		e.gauge(descProcs, float64(u.Procs), n)
		if u.Tasks > 0 {
			e.gauge(descTasks, float64(u.Tasks), n)
		}
		e.gauge(descMem, float64(u.MemBytes), n)
	}
	if lim := firstNonZero(u.MemLimit, j.Limits.MemoryBytes); lim > 0 {
		e.gauge(descMemLimit, float64(lim), n)
	}
	if lim := firstNonZero(u.PidsLimit, j.Limits.Pids); lim > 0 {
		e.gauge(descPidsLimit, float64(lim), n)
	}
	if j.Limits.CPUs > 0 {
		e.gauge(descCPULimit, j.Limits.CPUs, n)
	}
	e.gauge(descJinitUp, b2f(j.Jinit != nil), n)
	if j.Jinit != nil {
		e.jinit(n, j.Jinit)
	}
}

func firstNonZero(a, b int64) int64 {
	if a > 0 {
		return a
	}
	return b
}

func (e emitter) jinit(n string, r *report.Jinit) {
	e.counter(descOrphans, float64(r.OrphansReaped), n)
	e.gauge(descJinitMem, float64(r.RSSBytes), n)
	e.counter(descJinitCPU, r.CPUSeconds, n)
	if b := r.LogBuffer; b != nil {
		e.gauge(descLogBuf, float64(b.UsedBytes), n)
		e.gauge(descLogBufLimit, float64(b.LimitBytes), n)
		e.gauge(descLogConnected, b2f(b.Subscribed), n)
	}
	for _, s := range r.Services {
		e.service(n, r, s)
	}
}

func (e emitter) service(n string, r *report.Jinit, s report.Service) {
	e.gauge(descSvcUp, b2f(s.Up), n, s.Name)
	e.gauge(descSvcReady, b2f(s.Ready && s.Up), n, s.Name)
	// One series, for the current state only: a full state set (a 0 for
	// each of the other eight states) was 40% of a scrape's series.
	e.gauge(descSvcState, 1, n, s.Name, s.State)
	e.counter(descSvcRestarts, float64(s.Restarts), n, s.Name)
	up := 0.0
	if s.Up && !s.Since.IsZero() {
		up = max(r.Time.Sub(s.Since).Seconds(), 0)
	}
	e.gauge(descSvcUptime, up, n, s.Name)
	if x := s.LastExit; x != nil {
		e.gauge(descSvcExitCode, float64(x.Code), n, s.Name)
		e.gauge(descSvcExitSig, float64(x.Signal), n, s.Name)
	}
	if r.ProcAccounting {
		e.counter(descSvcCPU, s.CPUSeconds, n, s.Name)
		e.gauge(descSvcMem, float64(s.RSSBytes), n, s.Name)
		e.gauge(descSvcProcs, float64(s.Procs), n, s.Name)
	}
	if l := s.Logs; l != nil {
		e.counter(descLogLines, float64(l.Lines), n, s.Name)
		e.counter(descLogBytes, float64(l.Bytes), n, s.Name)
		e.counter(descLogDropped, float64(l.Dropped), n, s.Name)
		e.counter(descLogBlocked, l.BlockedSeconds, n, s.Name)
	}
}
