//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

// The per-service CPU counter never goes back: a run that ends, and
// processes that leave the group, keep what they used.
func TestMeterMonotonic(t *testing.T) {
	m := &meter{svc: map[string]*svcCPU{}}
	steps := []struct {
		pgid int
		cur  float64
		want float64
	}{
		{10, 1, 1},
		{10, 3, 3},
		{10, 2, 3}, // a process left the group: its second stays counted
		{10, 2.5, 3.5},
		{0, 0, 3.5},  // the run ended
		{20, 1, 4.5}, // restarted: a new group
		{30, 0, 4.5},
	}
	for i, s := range steps {
		if got := m.cpu("svc", s.pgid, s.cur); math.Abs(got-s.want) > 1e-9 {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
	}
}

func TestParseStat(t *testing.T) {
	line := "1234 (a (weird) name) S 1 77 77 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 123 4096000 321 18446744073709551615"
	st, ok := parseStat([]byte(line))
	if !ok || st.pgrp != 77 || st.ticks != 210 || st.rssPages != 321 || st.zombie {
		t.Fatalf("%+v %v", st, ok)
	}
	if st, ok := parseStat([]byte("9 (z) Z 1 9 9 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0")); !ok || !st.zombie {
		t.Fatalf("zombie: %+v %v", st, ok)
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1 2", "1 (x) S 1 q 3 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Fatalf("%q parsed", bad)
		}
	}
}

// /proc/PID/stat is kernel output, but a process names itself (comm), so
// the parser must survive anything in it.
func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1234 (sh) S 1 77 77 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 123 4096000 321 0"))
	f.Add([]byte("1 ()) ) R"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, ok := parseStat(b); ok && st.rssPages < 0 && st.pgrp < -1<<40 {
			t.Skip()
		}
	})
}

// The metrics verb of a real jinit: every service with its state, and the
// CPU and memory of its process group measured from /proc.
func TestMetricsVerb(t *testing.T) {
	dir := t.TempDir()
	done := filepath.Join(t.TempDir(), "burned")
	writeService(t, dir, "idle", "exec sleep 1000", "")
	// Burns 0.5 s of CPU (its own clock, not the wall's: the machine is
	// shared), then sleeps.
	writeService(t, dir, "burn", fmt.Sprintf(`awk 'BEGIN { while (1) { for (i = 0; i < 200000; i++) ; getline l < "/proc/self/stat"; close("/proc/self/stat"); split(l, a, " "); if (a[14] + a[15] >= 50) exit } }'
touch %s
exec sleep 1000`, done), "")
	// Holds 32 MiB in tail's buffer.
	writeService(t, dir, "mem", "{ head -c 32M /dev/zero; exec sleep 1000; } | tail", "")
	writeService(t, dir, "off", "exec sleep 1000", "")
	writeService(t, dir, "talk", "echo one; echo two >&2; exec sleep 1000", "")
	os.WriteFile(filepath.Join(dir, "off", "down"), nil, 0o644)
	// Not in a PID namespace of its own (so /proc matches its pids): an
	// orderly shutdown, not a kill, must end the services.
	s := startSupervisor(t, dir, false)
	t.Cleanup(func() {
		s.do(services.VerbShutdown, "")
		s.wait(30 * time.Second)
	})
	waitFor(t, 60*time.Second, "the burner", func() bool { _, err := os.Stat(done); return err == nil })
	var rep *control.Metrics
	waitFor(t, 30*time.Second, "32 MiB resident in mem", func() bool {
		rep = metrics(t, s)
		return svc(t, rep, "mem").RSSBytes > 32<<20
	})
	if !rep.ProcAccounting || rep.RSSBytes <= 0 || rep.Started.IsZero() {
		t.Fatalf("supervisor figures: %+v", rep)
	}
	burn, mem, idle, off := svc(t, rep, "burn"), svc(t, rep, "mem"), svc(t, rep, "idle"), svc(t, rep, "off")
	if burn.CPUSeconds < 0.45 || burn.CPUSeconds > 0.65 || burn.Procs != 1 {
		t.Errorf("burn: CPU %.2f s, want about 0.5 s; procs %d, want 1", burn.CPUSeconds, burn.Procs)
	}
	if mem.RSSBytes > 40<<20 || mem.Procs < 3 {
		t.Errorf("mem: rss %d procs %d, want 32-40 MiB and >= 3 processes", mem.RSSBytes, mem.Procs)
	}
	waitFor(t, 10*time.Second, "talk's two lines to be counted", func() bool {
		l := svc(t, metrics(t, s), "talk").Logs
		return l != nil && l.Lines >= 2
	})
	if l := svc(t, metrics(t, s), "talk").Logs; l.Lines != 2 || l.Bytes < 6 || l.Dropped != 0 {
		t.Errorf("talk's log counters: %+v, want 2 lines", l)
	}
	if rep.LogBuffer == nil || rep.LogBuffer.LimitBytes <= 0 {
		t.Errorf("log buffer: %+v", rep.LogBuffer)
	}
	if !idle.Up || idle.Procs != 1 || idle.State != "running" || idle.CPUSeconds > 0.1 {
		t.Errorf("idle: %+v", idle)
	}
	if off.Up || off.Procs != 0 || off.State != "down" || off.RSSBytes != 0 {
		t.Errorf("off: %+v", off)
	}
	// A kill is a last exit by signal, a restart, and the counter keeps
	// the CPU of the run that ended.
	s.doReq(control.Request{Verb: services.VerbSignal, Service: "burn", Signal: "KILL"})
	waitFor(t, 30*time.Second, "burn to restart", func() bool {
		rep = metrics(t, s)
		b := svc(t, rep, "burn")
		return b.Restarts >= 1 && b.Up && b.LastExit != nil
	})
	b := svc(t, rep, "burn")
	if b.LastExit.Signal != 9 || b.LastExit.SignalName != "SIGKILL" || b.LastExit.Code != -1 {
		t.Errorf("last exit %+v, want SIGKILL", b.LastExit)
	}
	if b.CPUSeconds < burn.CPUSeconds {
		t.Errorf("CPU counter went back from %.2f to %.2f", burn.CPUSeconds, b.CPUSeconds)
	}
}

func metrics(t *testing.T, s *supervisor) *control.Metrics {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := s.client.Do(ctx, control.Request{Verb: control.VerbMetrics})
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	rep, err := control.DecodeMetrics(resp.Data)
	if err != nil {
		t.Fatalf("%v: %s", err, resp.Data)
	}
	return rep
}

func svc(t *testing.T, rep *control.Metrics, name string) control.ServiceMetrics {
	t.Helper()
	for _, s := range rep.Services {
		if s.Name == name {
			return s
		}
	}
	b, _ := json.Marshal(rep)
	t.Fatalf("no service %s in %s", name, b)
	return control.ServiceMetrics{}
}
