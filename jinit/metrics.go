package main

import (
	"context"
	"encoding/json"
	"sync"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
	"golang.org/x/sys/unix"
)

// The "metrics" verb: per service state, restarts, last exit, uptime, CPU
// time and resident memory of its process group; per supervisor the
// orphans reaped and jinit's own CPU and memory. Everything is read when
// asked: jinit has no sampling timer, so an idle jail costs no wakeups.

// metrics answers the "metrics" verb.
func (h *handler) metrics(ctx context.Context) control.Response {
	reply, err := h.eng.Do(ctx, services.Command{Verb: services.VerbStatus})
	if err != nil {
		return control.Response{Error: err.Error()}
	}
	rep := svcMeter.report(reply, time.Now())
	if h.logs != nil {
		addLogCounters(rep, h.logs)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return control.Response{Error: "encode metrics: " + err.Error()}
	}
	return control.Response{OK: true, Data: b}
}

// groupUsage is what the processes of one process group use.
type groupUsage struct {
	cpu   float64 // seconds: user + system, plus that of waited-for children
	rss   int64   // bytes
	procs int     // live (non-zombie) processes
}

// meter turns the live process groups into per-service CPU counters that
// survive restarts: the CPU of a run that ended, and of processes that
// left the group without being waited for inside it, is kept in base.
type meter struct {
	mu  sync.Mutex
	svc map[string]*svcCPU
}

type svcCPU struct {
	pgid int     // the group measured last time (0: none)
	last float64 // its CPU then
	base float64 // CPU of earlier groups and of vanished processes
}

var svcMeter = &meter{svc: map[string]*svcCPU{}}

// cpu folds one observation of a service's group into its counter. pgid
// is 0 when the service has no live group.
func (m *meter) cpu(name string, pgid int, cur float64) float64 {
	s := m.svc[name]
	if s == nil {
		s = &svcCPU{}
		m.svc[name] = s
	}
	if pgid != s.pgid {
		s.base += s.last
		s.pgid, s.last = pgid, 0
	}
	if cur < s.last {
		s.base += s.last - cur // processes left the group: keep what they used
	}
	s.last = cur
	return s.base + s.last
}

func (m *meter) report(reply services.Reply, now time.Time) *control.Metrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	groups, ok := procGroups()
	rep := &control.Metrics{
		Time: now.UTC(), Started: reply.Stats.Started.UTC(), OrphansReaped: reply.Stats.OrphansReaped,
		ProcAccounting: ok, Services: make([]control.ServiceMetrics, 0, len(reply.Services)),
	}
	rep.RSSBytes, rep.CPUSeconds = selfUsage()
	seen := make(map[string]bool, len(reply.Services))
	for _, st := range reply.Services {
		seen[st.Name] = true
		rs := serviceReport(st)
		if ok {
			g := groups[st.Pid]
			if st.Pid <= 0 {
				g = groupUsage{}
			}
			rs.CPUSeconds = m.cpu(st.Name, max(st.Pid, 0), g.cpu)
			rs.RSSBytes, rs.Procs = g.rss, g.procs
		}
		rep.Services = append(rep.Services, rs)
	}
	for name := range m.svc {
		if !seen[name] {
			delete(m.svc, name) // removed by a rescan
		}
	}
	return rep
}

// serviceReport converts the engine's status.
func serviceReport(st services.Status) control.ServiceMetrics {
	rs := control.ServiceMetrics{
		Name: st.Name, State: st.State, Ready: st.Ready, Pid: st.Pid,
		Since: st.Since.UTC(), Restarts: st.Restarts,
	}
	switch st.State {
	case "starting", "running", "stopping":
		rs.Up = st.Pid > 0
	}
	if le := st.LastExit; le != nil {
		rs.LastExit = &control.ExitMetrics{Code: le.Code}
		if le.Signal != "" {
			rs.LastExit.SignalName = le.Signal
			rs.LastExit.Signal = int(unix.SignalNum(le.Signal))
		}
	}
	return rs
}

// addLogCounters adds the capture's per-service counters and buffer state.
func addLogCounters(rep *control.Metrics, c *Capture) {
	st := c.BufferStats()
	rep.LogBuffer = &control.LogBufferMetrics{UsedBytes: st.Used, LimitBytes: st.Limit, Subscribed: st.Subscribed}
	counters := c.Counters()
	for i := range rep.Services {
		lc := counters[rep.Services[i].Name] // zero until the service has written
		rep.Services[i].Logs = &control.LogMetrics{
			Lines: lc.Lines, Bytes: lc.Bytes, Dropped: lc.Dropped,
			BlockedSeconds: float64(lc.BlockedNS) / 1e9,
		}
		if lc.LastDropNS > 0 {
			rep.Services[i].Logs.LastDrop = time.Unix(0, lc.LastDropNS).UTC()
		}
	}
}

// rusageSeconds is the user + system time of a getrusage result.
func rusageSeconds(ru *syscall.Rusage) float64 {
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
