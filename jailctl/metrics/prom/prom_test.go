package prom

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/metrics"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/kmod"
	"github.com/prometheus/client_golang/prometheus"
)

// jails are n jails of s services each, with every figure set.
func jails(n, s int) []*metrics.Jail {
	now := time.Now()
	var out []*metrics.Jail
	for i := 0; i < n; i++ {
		j := &metrics.Jail{ID: i + 1, Name: fmt.Sprintf("jail%d", i), Profile: "high", Started: now.Add(-time.Hour), Kernel: true,
			Usage: kmod.Usage{CPU: 90 * time.Second, Procs: 4, Tasks: 9, MemBytes: 64 << 20, MemLimit: 1 << 30, OOMKills: 1, OOMKnown: true, CPUPeriods: 10, CPUThrottled: 2, ThrottleKnown: true,
				Pressure: &kmod.Pressure{CPU: time.Second, IO: 2 * time.Second}},
			Limits: kmod.Limits{MemoryBytes: 1 << 30, CPUs: 1.5, Pids: 256},
			Jinit:  &control.Metrics{Time: now, Started: now.Add(-time.Hour), ProcAccounting: true}}
		for k := 0; k < s; k++ {
			j.Jinit.Services = append(j.Jinit.Services, control.ServiceMetrics{
				Name: fmt.Sprintf("svc%d", k), State: "running", Up: true, Since: now.Add(-time.Minute), Restarts: 1,
				Logs: &control.LogMetrics{Lines: 100, Bytes: 5000}})
		}
		out = append(out, j)
	}
	return out
}

func serve(t testing.TB, js []*metrics.Jail) *httptest.Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(fixed{js})
	srv := httptest.NewServer(handlerFor(reg, hclog.New(&hclog.LoggerOptions{Output: testWriter{t}})))
	t.Cleanup(srv.Close)
	return srv
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if r, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := io.ReadAll(r)
	return resp, string(b)
}

func promtool(t *testing.T, body string) {
	t.Helper()
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Fatal("promtool not installed (apt-get install -y prometheus; .ci/run installs it)")
	}
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// promhttp negotiates: OpenMetrics (with created timestamps, ending in
// # EOF) for a scraper that asks for it, text 0.0.4 otherwise; gzip only
// where it is accepted, and not for gzip;q=0.0. promtool is silent on
// both formats.
func TestNegotiation(t *testing.T) {
	srv := serve(t, jails(2, 3))
	resp, om := get(t, srv.URL, "Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5", "Accept-Encoding", "gzip")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("OpenMetrics asked, got %s", ct)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept-Encoding") {
		t.Errorf("gzip accepted, got %v", resp.Header)
	}
	if !strings.HasSuffix(om, "# EOF\n") {
		t.Errorf("OpenMetrics does not end in # EOF:\n%s", om[max(0, len(om)-200):])
	}
	if !strings.Contains(om, `jails_jail_cpu_seconds_created{jail="jail0"}`) || !strings.Contains(om, `jails_service_restarts_created{jail="jail1",service="svc2"}`) {
		t.Errorf("no created timestamps in OpenMetrics")
	}
	// promtool check metrics reads the text format only; OpenMetrics is
	// checked by a real Prometheus, which asks for it (jailctl's
	// TestPrometheusScrapes).
	resp, text := get(t, srv.URL, "Accept-Encoding", "gzip;q=0.0")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("text asked, got %s", ct)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("gzip;q=0.0 got Content-Encoding %q", ce)
	}
	for _, want := range []string{`jails_jail_oom_kills_total{jail="jail1"} 1`, `jails_jail_cpu_throttled_periods_total{jail="jail0"} 2`, `jails_jail_pressure_waiting_seconds_total{jail="jail0",resource="io"} 2`, `jails_service_up{jail="jail0",service="svc0"} 1`} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("text lacks %s", want)
		}
	}
	promtool(t, text)
}

// The endpoints on an instance without running jails: a valid /metrics
// with the collector's own process, Go, build and handler metrics, and
// 404 for a jail that does not run (or is not a name).
func TestEndpointsNoJails(t *testing.T) {
	mux := http.NewServeMux()
	if err := Register(mux, Config{Store: store.NewStore(t.TempDir()), Version: "v-test"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get(t, srv.URL+"/metrics") // so the handler has counted a request
	resp, body := get(t, srv.URL+"/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	for _, want := range []string{"\njails_running 0\n", "process_resident_memory_bytes", "process_open_fds", "go_gc_duration_seconds",
		"go_build_info", `jails_collector_build_info{version="v-test"} 1`, `promhttp_metric_handler_requests_total{code="200"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtool(t, body)
	for _, p := range []string{"/jails/ghost/metrics", "/jails/..%2Fx/metrics", "/jails/.hidden/metrics"} {
		if resp, _ := get(t, srv.URL+p); resp.StatusCode != 404 {
			t.Errorf("%s: HTTP %d, want 404", p, resp.StatusCode)
		}
	}
}

// A label value that is not UTF-8 (from a hostile jinit) is left out; the
// rest of the scrape is served.
func TestHostileLabel(t *testing.T) {
	js := jails(1, 2)
	js[0].Jinit.Services[1].Name = "bad\xff"
	_, text := get(t, serve(t, js).URL)
	if strings.Contains(text, "bad") || !strings.Contains(text, `service="svc0"`) {
		t.Errorf("exposition:\n%s", text)
	}
}

// BenchmarkEncode50x10 is the exporter's share of a /metrics scrape of 50
// jails × 10 services: building the metrics, gathering and encoding them
// as promhttp does (the jails are read beforehand).
func BenchmarkEncode50x10(b *testing.B) {
	srv := serve(b, jails(50, 10))
	h := srv.Config.Handler
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
	_ = bytes.MinRead
}
