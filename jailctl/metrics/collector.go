package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/kmod"
)

// Metric families; docs/METRICS.md describes each (keep them in step:
// TestMetricsDocumented checks).
var (
	jailL    = []string{"jail"}
	serviceL = []string{"jail", "service"}

	famRunning = gaugeFamily("jails_running", "Number of jails running on this host.")

	famInfo      = gaugeFamily("jails_jail_info", "Static facts about a running jail; always 1.", "jail", "id", "profile")
	famStart     = gaugeFamily("jails_jail_start_time_seconds", "When the jail started, in seconds since the Unix epoch.", jailL...)
	famUptime    = gaugeFamily("jails_jail_uptime_seconds", "Seconds since the jail started.", jailL...)
	famCPU       = counterFamily("jails_jail_cpu_seconds_total", "CPU time used by every process the jail ever ran, including exited ones (from its cgroup).", jailL...)
	famCPURecent = gaugeFamily("jails_jail_cpu_usage_ratio", "CPU seconds used per second over the last window (1s or 10s); 1 means one CPU busy.", "jail", "window")
	famProcs     = gaugeFamily("jails_jail_processes", "Processes in the jail (its cgroup subtree).", jailL...)
	famTasks     = gaugeFamily("jails_jail_tasks", "Tasks (threads) in the jail, as the pids controller counts them.", jailL...)
	famMem       = gaugeFamily("jails_jail_memory_working_set_bytes", "Resident memory of the jail: its cgroup's usage minus inactive file cache.", jailL...)
	famMemLimit  = gaugeFamily("jails_jail_memory_limit_bytes", "The jail's memory limit; absent when unlimited.", jailL...)
	famPidsLimit = gaugeFamily("jails_jail_pids_limit", "The jail's limit on tasks; absent when unlimited.", jailL...)
	famCPULimit  = gaugeFamily("jails_jail_cpu_limit_ratio", "The jail's CPU limit in CPUs (CPU seconds per second); absent when unlimited.", jailL...)

	famOOM          = counterFamily("jails_jail_oom_kills_total", "Processes of the jail the kernel killed because the jail reached its memory limit.", jailL...)
	famCPUPeriods   = counterFamily("jails_jail_cpu_periods_total", "Enforcement periods of the jail's CPU limit that have elapsed.", jailL...)
	famThrottled    = counterFamily("jails_jail_cpu_throttled_periods_total", "Periods in which the jail used up its CPU limit and was throttled.", jailL...)
	famThrottledSec = counterFamily("jails_jail_cpu_throttled_seconds_total", "Time the jail's tasks were held back by its CPU limit.", jailL...)
	famPSIWaiting   = counterFamily("jails_jail_pressure_waiting_seconds_total", "Time some of the jail's tasks were stalled waiting for the resource (pressure-stall information, some).", "jail", "resource")
	famPSIStalled   = counterFamily("jails_jail_pressure_stalled_seconds_total", "Time all of the jail's runnable tasks were stalled on the resource at once (pressure-stall information, full).", "jail", "resource")

	famJinitUp      = gaugeFamily("jails_jinit_up", "1 if the jail's jinit answered the metrics request of this scrape, else 0.", jailL...)
	famOrphans      = counterFamily("jails_jinit_orphans_reaped_total", "Orphaned processes reaped by the jail's jinit (PID 1).", jailL...)
	famJinitMem     = gaugeFamily("jails_jinit_resident_memory_bytes", "Resident memory of the jail's jinit.", jailL...)
	famJinitCPU     = counterFamily("jails_jinit_cpu_seconds_total", "CPU time used by the jail's jinit itself.", jailL...)
	famLogBuf       = gaugeFamily("jails_jinit_log_buffer_bytes", "Log records held by jinit, not yet acknowledged by the collector.", jailL...)
	famLogBufLimit  = gaugeFamily("jails_jinit_log_buffer_limit_bytes", "Bound of jinit's log buffer.", jailL...)
	famLogConnected = gaugeFamily("jails_jinit_log_collector_connected", "1 if a collector is subscribed to the jail's log stream.", jailL...)

	famSvcUp       = gaugeFamily("jails_service_up", "1 if the service's run process is alive.", serviceL...)
	famSvcReady    = gaugeFamily("jails_service_ready", "1 if the service is up and ready.", serviceL...)
	famSvcState    = gaugeFamily("jails_service_state", "The service's current supervision state, as the state label; always 1.", "jail", "service", "state")
	famSvcRestarts = counterFamily("jails_service_restarts_total", "Times jinit restarted the service since the jail started.", serviceL...)
	famSvcUptime   = gaugeFamily("jails_service_uptime_seconds", "Seconds the service has been up in its current run; 0 when not up.", serviceL...)
	famSvcExitCode = gaugeFamily("jails_service_last_exit_code", "Exit code of the service's last run; -1 if a signal killed it. Absent until a run ended.", serviceL...)
	famSvcExitSig  = gaugeFamily("jails_service_last_exit_signal", "Number of the signal that killed the service's last run; 0 if it exited. Absent until a run ended.", serviceL...)
	famSvcCPU      = counterFamily("jails_service_cpu_seconds_total", "CPU time used by the service's process groups (every run, and their waited-for children).", serviceL...)
	famSvcMem      = gaugeFamily("jails_service_resident_memory_bytes", "Resident memory of the service's live process group (shared pages counted per process).", serviceL...)
	famSvcProcs    = gaugeFamily("jails_service_processes", "Processes in the service's live process group.", serviceL...)
	famLogLines    = counterFamily("jails_service_log_lines_total", "Log lines jinit captured from the service's stdout and stderr.", serviceL...)
	famLogBytes    = counterFamily("jails_service_log_bytes_total", "Bytes of log text jinit captured from the service.", serviceL...)
	famLogDropped  = counterFamily("jails_service_log_dropped_lines_total", "Log lines of the service dropped because jinit's buffer was full (drop mode).", serviceL...)
	famLogLastDrop = gaugeFamily("jails_service_log_last_drop_timestamp_seconds", "When the service's last dropped log line was taken, in seconds since the Unix epoch; absent until a line is dropped.", serviceL...)
	famLogBlocked  = counterFamily("jails_service_log_blocked_seconds_total", "Time the service's output was left unread because jinit's log buffer was full (backpressure).", serviceL...)

	allFamilies = []*Family{
		famRunning, famInfo, famStart, famUptime, famCPU, famCPURecent, famProcs, famTasks, famMem,
		famMemLimit, famPidsLimit, famCPULimit, famOOM, famCPUPeriods, famThrottled, famThrottledSec,
		famPSIWaiting, famPSIStalled, famJinitUp, famOrphans, famJinitMem, famJinitCPU,
		famLogBuf, famLogBufLimit, famLogConnected, famSvcUp, famSvcReady, famSvcState, famSvcRestarts,
		famSvcUptime, famSvcExitCode, famSvcExitSig, famSvcCPU, famSvcMem, famSvcProcs,
		famLogLines, famLogBytes, famLogDropped, famLogLastDrop, famLogBlocked,
	}
)

// CollectLive reads every running jail into x, each jail as soon as it is
// read, so encoding overlaps with waiting for the other jails' jinit.
func CollectLive(ctx context.Context, st *store.Store, o Options, x Sink) error {
	names, err := st.Names()
	if err != nil {
		return err
	}
	e := emitter{x: x}
	now := time.Now()
	live := eachJail(ctx, st, names, o, func(_ int, j *Jail) { emitter{x, j.Started}.jail(j, now) })
	e.gauge(famRunning, float64(len(live)))
	if o.Pool != nil {
		o.Pool.keepOnly(live)
	}
	if o.Cache != nil {
		o.Cache.keepOnly(live)
	}
	return nil
}

// CollectSnapshots adds fixed snapshots taken by the caller for this
// scrape; withHost adds the host-wide families (jails_running).
func CollectSnapshots(x Sink, jails []*Jail, now time.Time, withHost bool) {
	e := emitter{x: x}
	if withHost {
		e.gauge(famRunning, float64(len(jails)))
	}
	for _, j := range jails {
		emitter{x, j.Started}.jail(j, now)
	}
}

// emitter adds one jail's samples; its counters started with the jail.
type emitter struct {
	x       Sink
	created time.Time
}

func (e emitter) gauge(f *Family, v float64, labels ...string) { e.x.Add(f, v, time.Time{}, labels...) }

func (e emitter) counter(f *Family, v float64, labels ...string) {
	e.x.Add(f, max(v, 0), e.created, labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (e emitter) jail(j *Jail, now time.Time) {
	n := j.Name
	e.gauge(famInfo, 1, n, strconv.Itoa(j.ID), j.Profile)
	e.gauge(famStart, float64(j.Started.UnixNano())/1e9, n)
	e.gauge(famUptime, max(j.Uptime(now).Seconds(), 0), n)
	u := j.Usage
	if j.Kernel {
		e.counter(famCPU, u.CPU.Seconds(), n)
		if j.CPU1s != nil {
			e.gauge(famCPURecent, *j.CPU1s, n, "1s")
		}
		if j.CPU10s != nil {
			e.gauge(famCPURecent, *j.CPU10s, n, "10s")
		}
		e.gauge(famProcs, float64(u.Procs), n)
		if u.Tasks > 0 {
			e.gauge(famTasks, float64(u.Tasks), n)
		}
		e.gauge(famMem, float64(u.MemBytes), n)
		e.limits(n, &u)
	}
	if lim := firstNonZero(u.MemLimit, j.Limits.MemoryBytes); lim > 0 {
		e.gauge(famMemLimit, float64(lim), n)
	}
	if lim := firstNonZero(u.PidsLimit, j.Limits.Pids); lim > 0 {
		e.gauge(famPidsLimit, float64(lim), n)
	}
	if j.Limits.CPUs > 0 {
		e.gauge(famCPULimit, j.Limits.CPUs, n)
	}
	e.gauge(famJinitUp, b2f(j.Jinit != nil), n)
	if j.Jinit != nil {
		e.jinit(n, j.Jinit)
	}
}

// limits adds what the kernel did to enforce the jail's limits.
func (e emitter) limits(n string, u *kmod.Usage) {
	if u.OOMKnown {
		e.counter(famOOM, float64(u.OOMKills), n)
	}
	if u.ThrottleKnown {
		e.counter(famCPUPeriods, float64(u.CPUPeriods), n)
		e.counter(famThrottled, float64(u.CPUThrottled), n)
		e.counter(famThrottledSec, u.ThrottledTime.Seconds(), n)
	}
	if p := u.Pressure; p != nil {
		for _, r := range []struct {
			name       string
			some, full time.Duration
		}{{"cpu", p.CPU, p.CPUFull}, {"memory", p.Memory, p.MemoryFull}, {"io", p.IO, p.IOFull}} {
			e.counter(famPSIWaiting, r.some.Seconds(), n, r.name)
			e.counter(famPSIStalled, r.full.Seconds(), n, r.name)
		}
	}
}

func firstNonZero(a, b int64) int64 {
	if a > 0 {
		return a
	}
	return b
}

func (e emitter) jinit(n string, r *control.Metrics) {
	e.counter(famOrphans, float64(r.OrphansReaped), n)
	e.gauge(famJinitMem, float64(r.RSSBytes), n)
	e.counter(famJinitCPU, r.CPUSeconds, n)
	if b := r.LogBuffer; b != nil {
		e.gauge(famLogBuf, float64(b.UsedBytes), n)
		e.gauge(famLogBufLimit, float64(b.LimitBytes), n)
		e.gauge(famLogConnected, b2f(b.Subscribed), n)
	}
	for _, s := range r.Services {
		e.service(n, r, s)
	}
}

func (e emitter) service(n string, r *control.Metrics, s control.ServiceMetrics) {
	e.gauge(famSvcUp, b2f(s.Up), n, s.Name)
	e.gauge(famSvcReady, b2f(s.Ready && s.Up), n, s.Name)
	// One series, for the current state only: a full state set (a 0 for
	// each of the other eight states) was 40% of a scrape's series.
	e.gauge(famSvcState, 1, n, s.Name, s.State)
	e.counter(famSvcRestarts, float64(s.Restarts), n, s.Name)
	up := 0.0
	if s.Up && !s.Since.IsZero() {
		up = max(r.Time.Sub(s.Since).Seconds(), 0)
	}
	e.gauge(famSvcUptime, up, n, s.Name)
	if x := s.LastExit; x != nil {
		e.gauge(famSvcExitCode, float64(x.Code), n, s.Name)
		e.gauge(famSvcExitSig, float64(x.Signal), n, s.Name)
	}
	if r.ProcAccounting {
		e.counter(famSvcCPU, s.CPUSeconds, n, s.Name)
		e.gauge(famSvcMem, float64(s.RSSBytes), n, s.Name)
		e.gauge(famSvcProcs, float64(s.Procs), n, s.Name)
	}
	if l := s.Logs; l != nil {
		e.counter(famLogLines, float64(l.Lines), n, s.Name)
		e.counter(famLogBytes, float64(l.Bytes), n, s.Name)
		e.counter(famLogDropped, float64(l.Dropped), n, s.Name)
		if !l.LastDrop.IsZero() {
			e.gauge(famLogLastDrop, float64(l.LastDrop.UnixNano())/1e9, n, s.Name)
		}
		e.counter(famLogBlocked, l.BlockedSeconds, n, s.Name)
	}
}
