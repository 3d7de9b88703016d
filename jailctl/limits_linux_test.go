package main

import (
	"strings"
	"testing"
	"time"
)

// A jail with --memory 64M whose service allocates 200 MB: the OOM kill
// counter rises and status says "killed: out of memory". A --cpus 0.2
// burner raises the throttling counters.
func TestLimitMetrics(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	// It allocates once the test says so: a service that dies while the
	// jail starts fails the start.
	service(t, svc, "hog", "while [ ! -e /tmp/go ]; do sleep 0.05; done\nexec python3 -c 'x = bytearray(200 << 20); x[::4096] = b\"x\" * len(x[::4096])'", `restart = "never"`)
	service(t, svc, "idle", "exec sleep 100000", "")
	h.must("create", "om", "--services", svc, "--memory", "64M")
	bsvc := t.TempDir()
	service(t, bsvc, "burn", "while :; do :; done", "")
	h.must("create", "cp", "--services", bsvc, "--cpus", "0.2")
	h.must("start", "om")
	h.must("start", "cp")
	col := h.startCollector()
	touch(t, h.rw("om", "tmp/go"))

	waitUntil(t, 30*time.Second, "the hog to be killed", func() bool {
		return strings.Contains(h.must("status", "om"), "hog: killed: out of memory")
	})
	m := col.scrape(t, "/metrics")
	if v := m.value(t, "jails_jail_oom_kills_total", "om"); v < 1 {
		t.Errorf("jails_jail_oom_kills_total %v", v)
	}
	if v := m.value(t, "jails_jail_oom_kills_total", "cp"); v != 0 {
		t.Errorf("OOM kills in the burner's jail: %v", v)
	}
	waitUntil(t, 30*time.Second, "the burner throttled", func() bool {
		m := col.scrape(t, "/jails/cp/metrics")
		return m.value(t, "jails_jail_cpu_throttled_periods_total", "cp") > 0 && m.value(t, "jails_jail_cpu_throttled_seconds_total", "cp") > 0
	})
	m = col.scrape(t, "/metrics")
	if p, th := m.value(t, "jails_jail_cpu_periods_total", "cp"), m.value(t, "jails_jail_cpu_throttled_periods_total", "cp"); p < th {
		t.Errorf("%v periods, %v throttled", p, th)
	}
	cpuWait := -1.0
	for _, s := range m["jails_jail_pressure_waiting_seconds_total"].GetMetric() {
		lv := map[string]string{}
		for _, l := range s.GetLabel() {
			lv[l.GetName()] = l.GetValue()
		}
		if lv["jail"] == "cp" && lv["resource"] == "cpu" {
			cpuWait = s.GetCounter().GetValue()
		}
	}
	if cpuWait <= 0 {
		t.Errorf("CPU pressure of the throttled jail: %v", cpuWait)
	}
	if strings.Contains(h.must("status", "cp"), "out of memory") {
		t.Error("the burner's status speaks of memory")
	}
}
