//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// burnRun burns SECS seconds of CPU time — its own CPU clock, not the
// wall's, since the machine is shared — in the service's own shell (no
// tool needed from the base: /usr/bin/awk is a symlink into the host's
// /etc/alternatives, which a jail does not have), then touches
// /tmp/burned and idles.
func burnRun(secs int) string {
	return fmt.Sprintf(`while :; do
	i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done
	read -r l < /proc/self/stat; set -- $l
	[ $((${14} + ${15})) -ge %d ] && break
done
touch /tmp/burned
exec sleep 100000`, secs*100)
}

// memRun makes tail hold 100 MiB: a line that never ends stays in its
// buffer, touched, until EOF, which never comes.
const memRun = `{ head -c 100M /dev/zero; touch /tmp/filled; exec sleep 100000; } | tail`

// The endpoint exports what the kernel and jinit measure: checked by
// promtool, CPU and memory of real workloads, the process count, stats in
// every format, and no series once the jail is destroyed.
func TestMetricsEndpoint(t *testing.T) {
	requirePromtool(t)
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100000", "")
	service(t, svc, "burn", burnRun(2), "")
	service(t, svc, "mem", memRun, "")
	for _, s := range []string{"burn", "mem"} {
		os.WriteFile(filepath.Join(svc, s, "down"), nil, 0o644)
	}
	h.must("create", "m1", "--services", svc, "--memory", "1G")
	h.must("start", "m1")
	col := h.startCollector()

	for _, path := range []string{"/metrics", "/jails/m1/metrics"} {
		promtoolCheck(t, col.get(t, path))
	}
	m := col.scrape(t, "/jails/m1/metrics")
	// jinit and idle's sleep, counted by the cgroup and seen in the jail's
	// PID namespace from the host.
	if n, ns := m.value(t, "jails_jail_processes", "m1"), len(jailProcs(t, h, "m1")); n != 2 || int(n) != ns {
		t.Errorf("jails_jail_processes %v; the jail's PID namespace has %d; want 2", n, ns)
	}
	if v := m.value(t, "jails_jail_memory_limit_bytes", "m1"); v != 1<<30 {
		t.Errorf("memory limit %v", v)
	}

	rw := store.NewStore(h.state).RWDir("m1")
	jailCPU0, svcCPU0 := m.value(t, "jails_jail_cpu_seconds_total", "m1"), m.value(t, "jails_service_cpu_seconds_total", "m1", "burn")
	h.must("svc", "m1", "burn", "up")
	waitUntil(t, 60*time.Second, "the burner", func() bool { return exists(filepath.Join(rw, "tmp/burned")) })
	m = col.scrape(t, "/metrics")
	within(t, "jail CPU", m.value(t, "jails_jail_cpu_seconds_total", "m1")-jailCPU0, 2, 0.2)
	within(t, "service CPU", m.value(t, "jails_service_cpu_seconds_total", "m1", "burn")-svcCPU0, 2, 0.2)

	mem0 := m.value(t, "jails_jail_memory_working_set_bytes", "m1")
	h.must("svc", "m1", "mem", "up")
	waitUntil(t, 60*time.Second, "tail to hold 100 MiB", func() bool {
		return exists(filepath.Join(rw, "tmp/filled")) &&
			col.scrape(t, "/metrics").value(t, "jails_service_resident_memory_bytes", "m1", "mem") > 100<<20
	})
	m = col.scrape(t, "/metrics")
	within(t, "jail memory", (m.value(t, "jails_jail_memory_working_set_bytes", "m1")-mem0)/(1<<20), 100, 0.2)
	within(t, "service memory", m.value(t, "jails_service_resident_memory_bytes", "m1", "mem")/(1<<20), 100, 0.2)
	// jinit, idle's and burn's sleep, and mem's sh, sleep (the subshell,
	// exec'd) and tail.
	if n, ns := m.value(t, "jails_jail_processes", "m1"), len(jailProcs(t, h, "m1")); int(n) != ns || n != 6 {
		t.Errorf("jails_jail_processes %v; the jail's PID namespace has %d; want 6", n, ns)
	}
	if n := m.value(t, "jails_service_processes", "m1", "mem"); n != 3 {
		t.Errorf("mem's process group has %v processes, want 3", n)
	}

	checkStats(t, h, col.addr)

	// A restarted jail is a new run: a new jinit (the collector's kept
	// connection to the old one is replaced) and counters from zero.
	h.must("restart", "m1")
	m = col.scrape(t, "/jails/m1/metrics")
	if m.value(t, "jails_jinit_up", "m1") != 1 || m.value(t, "jails_jail_cpu_seconds_total", "m1") > 1 {
		t.Errorf("after a restart:\n%s", col.get(t, "/jails/m1/metrics"))
	}

	h.must("stop", "m1")
	if m := col.scrape(t, "/metrics"); m.has("m1") || m.value(t, "jails_running") != 0 {
		t.Errorf("series of a stopped jail:\n%s", col.get(t, "/metrics"))
	}
	h.must("destroy", "m1")
	if m := col.scrape(t, "/metrics"); m.has("m1") {
		t.Errorf("series of a destroyed jail:\n%s", col.get(t, "/metrics"))
	}
	if code := col.status(t, "/jails/m1/metrics"); code != http.StatusNotFound {
		t.Errorf("/jails/m1/metrics after destroy: HTTP %d, want 404", code)
	}
}

// checkStats runs `jailctl stats` in its three formats against a running
// jail m1.
func checkStats(t *testing.T, h *host, colAddr string) {
	t.Helper()
	out := h.must("stats", "--collector", colAddr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[0]), " ") != "ID NAME CPU1S CPU10S PROCS MEM UPTIME SERVICES" {
		t.Fatalf("stats table:\n%s", out)
	}
	if f := strings.Fields(lines[1]); len(f) != 8 || f[1] != "m1" || f[4] != "6" || f[7] != "3/3" || !strings.HasSuffix(f[2], "%") || !strings.HasSuffix(f[3], "%") {
		t.Errorf("stats row %q", lines[1])
	}
	var js []struct {
		Name   string   `json:"name"`
		CPU1s  *float64 `json:"cpu_1s"`
		CPU10s *float64 `json:"cpu_10s"`
		Usage  struct {
			Procs int `json:"procs"`
		} `json:"usage"`
	}
	// Without a collector, stats samples one second itself: CPU10S unknown.
	if err := json.Unmarshal([]byte(h.must("stats", "m1", "--json", "--collector", "")), &js); err != nil || len(js) != 1 {
		t.Fatalf("stats --json: %v %+v", err, js)
	}
	if js[0].Name != "m1" || js[0].CPU1s == nil || js[0].CPU10s != nil || js[0].Usage.Procs != 6 {
		t.Errorf("stats --json: %+v", js[0])
	}
	prom := h.must("stats", "--prometheus", "--http", "--collector", "")
	hdr, prom, ok := strings.Cut(prom, "\r\n\r\n")
	if !ok || !strings.HasPrefix(hdr, "HTTP/1.0 200 OK\r\nContent-Type: text/plain") {
		t.Errorf("stats --prometheus --http: header %q", hdr)
	}
	promtoolCheck(t, prom)
	if !strings.Contains(prom, `jails_jail_cpu_usage_ratio{jail="m1",window="1s"}`) {
		t.Errorf("stats --prometheus lacks the 1 s CPU figure:\n%s", prom)
	}
	if r := h.run("stats", "ghost"); r.code != 1 || !strings.Contains(r.stderr, "no such jail") {
		t.Errorf("stats ghost: %d %q", r.code, r.stderr)
	}
}

// A real Prometheus server scrapes the collector and answers queries for
// the jail's series.
func TestPrometheusScrapes(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not installed (apt-get install -y prometheus; .ci/run installs it)")
	}
	h := newHost(t)
	h.jail("p1")
	col := h.startCollector()
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: jails\n    static_configs:\n      - targets: [%q]\n", col.addr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	web := freeAddr(t)
	var out bytes.Buffer
	cmd := exec.Command(prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+web, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out.String())
		}
	})
	query := func(q string) []json.RawMessage {
		resp, err := http.Get("http://" + web + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" {
			return nil
		}
		return r.Data.Result
	}
	waitUntil(t, 60*time.Second, "Prometheus to store the jail's series", func() bool {
		return len(query(`jails_jail_cpu_seconds_total{jail="p1"}`)) == 1 &&
			len(query(`jails_service_up{jail="p1",service="idle"} == 1`)) == 1
	})
	// Prometheus asks for OpenMetrics first: its created timestamps are
	// there, so the collector answered in OpenMetrics and Prometheus
	// parsed it.
	if r := query(`jails_jail_cpu_seconds_created{jail="p1"}`); len(r) != 1 {
		t.Errorf("no created timestamp stored: the scrape was not OpenMetrics (%s)", r)
	}
	if r := query(`up{job="jails"}`); len(r) != 1 || !strings.Contains(string(r[0]), `"1"]`) {
		t.Errorf("up{job=jails}: %s", r)
	}
	// The shipped dashboard's queries are valid PromQL over these series.
	for _, q := range dashboardQueries(t) {
		if query(q) == nil {
			t.Errorf("dashboard query %q fails", q)
		}
	}
	if out, err := exec.Command("promtool", "check", "config", "../docs/examples/prometheus.yml").CombinedOutput(); err != nil {
		t.Errorf("docs/examples/prometheus.yml: %v\n%s", err, out)
	}
}

// dashboardQueries are the PromQL expressions of the example Grafana
// dashboard, with its variables filled in.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/examples/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, strings.NewReplacer("$jail", ".*", "$__rate_interval", "1m").Replace(tg.Expr))
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d queries in the dashboard", len(out))
	}
	return out
}

// metricsCollector is a `jailctl collector` of the host's instance on a free
// loopback port.
type metricsCollector struct {
	addr string
	cmd  *exec.Cmd
}

func (h *host) startCollector() *metricsCollector {
	h.t.Helper()
	c := &metricsCollector{addr: freeAddr(h.t)}
	var out bytes.Buffer
	c.cmd = exec.Command(jailctlBin, "--state-dir", h.state, "collector", "--listen", c.addr)
	c.cmd.Stdout, c.cmd.Stderr = &out, &out
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	// Registered after newHost's cleanup, so it runs first: the collector
	// is gone before the jails are stopped and checked.
	h.t.Cleanup(func() {
		c.cmd.Process.Signal(syscall.SIGTERM)
		c.cmd.Wait()
		if h.t.Failed() {
			h.t.Logf("collector output:\n%s", out.String())
		}
	})
	waitUntil(h.t, 10*time.Second, "the collector to listen", func() bool {
		conn, err := net.Dial("tcp", c.addr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	return c
}

func (c *metricsCollector) status(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + c.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (c *metricsCollector) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + c.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	return string(b)
}

// exposition is one parsed scrape.
type exposition map[string]*dto.MetricFamily

func (c *metricsCollector) scrape(t *testing.T, path string) exposition {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(c.get(t, path)))
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return mfs
}

// value is the sample of family name whose jail (and service) label match;
// the test fails if there is none.
func (e exposition) value(t *testing.T, name string, jailService ...string) float64 {
	t.Helper()
	mf := e[name]
	if mf == nil {
		t.Fatalf("no family %s", name)
	}
	want := map[string]string{}
	for i, k := range []string{"jail", "service"}[:len(jailService)] {
		want[k] = jailService[i]
	}
	for _, m := range mf.GetMetric() {
		ok := true
		for _, l := range m.GetLabel() {
			if v, has := want[l.GetName()]; has && v != l.GetValue() {
				ok = false
			}
		}
		if ok {
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no sample of %s for %v", name, jailService)
	return 0
}

// has reports whether any series carries jail=name.
// has reports whether any series of the jail's own families is there. The
// log collector's counters of a jail (jails_collector_*) end with its log
// session, moments after the jail stops, not with the scrape.
func (e exposition) has(name string) bool {
	for fam, mf := range e {
		if strings.HasPrefix(fam, "jails_collector_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "jail" && l.GetValue() == name {
					return true
				}
			}
		}
	}
	return false
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	t.Logf("%s: %.3f (want %.3f ± %.0f%%)", what, got, want, tol*100)
	if math.Abs(got-want) > want*tol {
		t.Errorf("%s: %.3f, want %.3f ± %.0f%%", what, got, want, tol*100)
	}
}

func requirePromtool(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Fatal("promtool not installed (apt-get install -y prometheus; .ci/run installs it)")
	}
}

// promtoolCheck fails unless `promtool check metrics` has nothing to say.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// jailProcs lists the live processes of the jail's PID namespace, seen
// from the host.
func jailProcs(t *testing.T, h *host, name string) []int {
	t.Helper()
	rt, err := store.NewStore(h.state).ReadRuntime(name)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", rt.JinitPid))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && l == ns && processAlive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// What stats reads from a collector is parsed with a bound; whatever the
// body, parsing must not fail badly.
func FuzzParseCollectorCPU(f *testing.F) {
	f.Add("# TYPE jails_jail_start_time_seconds gauge\njails_jail_start_time_seconds{jail=\"a\"} 1.7e9\n" +
		"# TYPE jails_jail_cpu_usage_ratio gauge\njails_jail_cpu_usage_ratio{jail=\"a\",window=\"1s\"} 0.5\n")
	f.Add("jails_jail_cpu_usage_ratio{window=\"10s\"} NaN\n")
	f.Fuzz(func(t *testing.T, body string) {
		parseCollectorCPU(strings.NewReader(body), map[string]colCPU{})
	})
}
