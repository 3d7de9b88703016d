package metrics

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/kmod"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestRing(t *testing.T) {
	var g ring
	t0 := time.Unix(1000, 0)
	for i := 0; i < 25; i++ { // wraps around twice; 0.5 CPU s per s
		g.add(t0.Add(time.Duration(i)*time.Second), time.Duration(i)*500*time.Millisecond)
	}
	if g.n != ringSize {
		t.Fatalf("n = %d", g.n)
	}
	if r := g.rate(1); r == nil || *r != 0.5 {
		t.Fatalf("1 s rate %v", r)
	}
	if r := g.rate(g.n - 1); r == nil || *r != 0.5 {
		t.Fatalf("10 s rate %v", r)
	}
	if tm, v := g.at(10); !tm.Equal(t0.Add(14*time.Second)) || v != 7*time.Second {
		t.Fatalf("oldest sample %v %v", tm, v)
	}
	// A counter that goes back (not ours: a cgroup recreated) gives no rate.
	g.add(t0.Add(25*time.Second), 0)
	if r := g.rate(1); r != nil {
		t.Fatalf("rate over a reset: %v", *r)
	}
}

// Rates answer only for the run they sampled, and only while fresh.
func TestRatesRecent(t *testing.T) {
	r := NewRates(store.NewStore(t.TempDir()), nil)
	r.IdleStop = time.Millisecond // the sampler started by Recent ends at once
	started := time.Unix(5000, 0)
	now := time.Now()
	g := &ring{started: started}
	g.add(now.Add(-2*time.Second), time.Second)
	g.add(now.Add(-time.Second), 1500*time.Millisecond)
	g.add(now, 3*time.Second)
	r.mu.Lock()
	r.rings["j"] = g
	r.mu.Unlock()
	one, ten := r.Recent("j", started)
	if one == nil || *one != 1.5 || ten == nil || *ten != 1 {
		t.Fatalf("recent: %v %v", one, ten)
	}
	if one, ten := r.Recent("j", started.Add(time.Second)); one != nil || ten != nil {
		t.Fatal("figures for another run of the jail")
	}
}

func sampleJails() []*Jail {
	one, ten := 0.25, 0.125
	now := time.Now()
	return []*Jail{{
		ID: 3, Name: "web", Profile: "high", Started: now.Add(-time.Hour), Kernel: true,
		Usage:  kmod.Usage{CPU: 90 * time.Second, Procs: 4, Tasks: 9, MemBytes: 64 << 20, MemLimit: 1 << 30, PidsLimit: 256},
		Limits: kmod.Limits{MemoryBytes: 1 << 30, CPUs: 1.5, Pids: 256},
		CPU1s:  &one, CPU10s: &ten,
		Jinit: &control.Metrics{
			Time: now, Started: now.Add(-time.Hour), OrphansReaped: 7, RSSBytes: 5 << 20, CPUSeconds: 0.5,
			ProcAccounting: true, LogBuffer: &control.LogBufferMetrics{UsedBytes: 10, LimitBytes: 4 << 20, Subscribed: true},
			Services: []control.ServiceMetrics{
				{Name: "nginx", State: "running", Up: true, Ready: true, Pid: 10, Since: now.Add(-time.Minute), Restarts: 2,
					LastExit: &control.ExitMetrics{Code: -1, Signal: 9, SignalName: "SIGKILL"}, CPUSeconds: 12, RSSBytes: 30 << 20, Procs: 3,
					Logs: &control.LogMetrics{Lines: 100, Bytes: 5000, Dropped: 1, BlockedSeconds: 0.25}},
				{Name: "cron", State: "a-future-state"},
			},
		},
	}, {Name: "mute", Started: now, JinitError: "connection refused"}}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleJails(), time.Now()); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for name, mf := range mfs {
		if strings.HasSuffix(name, "_total") != (mf.GetType().String() == "COUNTER") {
			t.Errorf("%s is a %s", name, mf.GetType())
		}
	}
	for _, want := range []string{
		`jails_running 2`,
		`jails_jail_info{id="3",jail="web",profile="high"} 1`,
		`jails_jail_cpu_seconds_total{jail="web"} 90`,
		`jails_jail_cpu_usage_ratio{jail="web",window="10s"} 0.125`,
		`jails_jail_cpu_limit_ratio{jail="web"} 1.5`,
		`jails_jinit_up{jail="mute"} 0`,
		`jails_service_state{jail="web",service="cron",state="a-future-state"} 1`,
		`jails_service_last_exit_signal{jail="web",service="nginx"} 9`,
		`jails_service_log_blocked_seconds_total{jail="web",service="nginx"} 0.25`,
	} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(b.String(), `jails_service_last_exit_code{jail="web",service="cron"}`) {
		t.Error("last exit of a service that never exited")
	}
	if n := strings.Count(b.String(), `jails_service_state{jail="web",service="nginx"`); n != 1 {
		t.Errorf("%d state series for one service, want 1", n)
	}
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Fatal("promtool not installed (apt-get install -y prometheus; .ci/run installs it)")
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// Every family is in docs/METRICS.md, and the document names no other.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/METRICS.md")
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, f := range allFamilies {
		ours[f.name] = true
		if !bytes.Contains(doc, []byte("`"+f.name+"`")) {
			t.Errorf("%s is not documented in docs/METRICS.md", f.name)
		}
	}
	for _, m := range regexp.MustCompile("`(jails_[a-z_]+)`").FindAllSubmatch(doc, -1) {
		// The log collector's own families are jails-collector's
		// (jailctl/collectord checks them).
		if !ours[string(m[1])] && !bytes.HasPrefix(m[1], []byte("jails_collector_")) {
			t.Errorf("docs/METRICS.md documents %s, which is not exported", m[1])
		}
	}
}

// The cache follows the files: a new run (a rewritten runtime record) and
// an edited definition are seen on the next snapshot; a stopped jail is
// not running however recent its entry.
func TestCacheFollowsFiles(t *testing.T) {
	st := store.NewStore(t.TempDir())
	os.MkdirAll(st.RunDir("c1"), 0o700)
	os.MkdirAll(st.JailDir("c1"), 0o700)
	def := store.Def{ID: 1, Name: "c1", Profile: "high"}
	if err := def.Save(st.DefPath("c1")); err != nil {
		t.Fatal(err)
	}
	// The test process plays the keeper, so the record reads as running.
	if err := st.WriteRuntime("c1", &store.Runtime{KeeperPid: os.Getpid(), JinitPid: 1, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := NewCache()
	rt1, e := c.running(st, "c1")
	if rt1 == nil || c.def(st, "c1", e).Def.ID != 1 {
		t.Fatalf("first read: %+v", rt1)
	}
	time.Sleep(10 * time.Millisecond)
	st.WriteRuntime("c1", &store.Runtime{KeeperPid: os.Getpid(), JinitPid: 2, Started: time.Now()}) // a new run
	def.ID = 7
	def.Save(st.DefPath("c1"))
	rt2, e := c.running(st, "c1")
	if rt2 == nil || rt2.JinitPid != 2 || !rt2.Started.After(rt1.Started) || c.def(st, "c1", e).Def.ID != 7 {
		t.Fatalf("after a restart and an edit: %+v", rt2)
	}
	rt2.KeeperStart++ // no longer this process: the keeper is gone
	if rt, _ := c.running(st, "c1"); rt != nil {
		t.Fatal("a dead keeper's jail reads as running")
	}
	os.Remove(st.RuntimePath("c1"))
	if rt, _ := c.running(st, "c1"); rt != nil {
		t.Fatal("a jail without a runtime record reads as running")
	}
}
