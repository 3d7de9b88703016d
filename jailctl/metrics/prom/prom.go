// Package prom serves the jails' metrics (package metrics) with
// client_golang: a registry whose collectors read every figure at scrape
// time, promhttp's content negotiation (OpenMetrics with created
// timestamps, or text 0.0.4), compression, its handler self-metrics, the
// process and Go collectors, and build info. Only the collector binary
// links it: client_golang must stay off the path of `jailctl start`
// (jailctl's import test checks).
package prom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/metrics"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// scrapeTimeout bounds the reading of the jails in one scrape (a jinit
// that does not answer is left out after metrics.Options.JinitTimeout).
const scrapeTimeout = 10 * time.Second

// descs are the families as client_golang descriptors.
var descs = func() map[*metrics.Family]*prometheus.Desc {
	m := map[*metrics.Family]*prometheus.Desc{}
	for _, f := range metrics.Families() {
		m[f] = prometheus.NewDesc(f.Name(), f.Help(), f.Labels(), nil)
	}
	return m
}()

// sink turns samples into constant metrics on a Collect channel. A sample
// a hostile jinit made invalid (labels that are not UTF-8) is left out.
type sink struct{ ch chan<- prometheus.Metric }

func (s sink) Add(f *metrics.Family, v float64, created time.Time, labels ...string) {
	d := descs[f]
	var m prometheus.Metric
	var err error
	if f.Counter() && !created.IsZero() {
		m, err = prometheus.NewConstMetricWithCreatedTimestamp(d, prometheus.CounterValue, v, created, labels...)
	} else if f.Counter() {
		m, err = prometheus.NewConstMetric(d, prometheus.CounterValue, v, labels...)
	} else {
		m, err = prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if err == nil {
		s.ch <- m
	}
}

func describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

// live collects every running jail of an instance at scrape time.
type live struct {
	st  *store.Store
	o   metrics.Options
	log hclog.Logger
}

func (c *live) Describe(ch chan<- *prometheus.Desc) { describe(ch) }

func (c *live) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if err := metrics.CollectLive(ctx, c.st, c.o, sink{ch}); err != nil {
		c.log.Warn("list jails", "error", err)
	}
}

// fixed collects snapshots taken beforehand (one jail's endpoint).
type fixed struct{ jails []*metrics.Jail }

func (c fixed) Describe(ch chan<- *prometheus.Desc) { describe(ch) }

func (c fixed) Collect(ch chan<- prometheus.Metric) {
	metrics.CollectSnapshots(sink{ch}, c.jails, time.Now(), false)
}

// Config configures the endpoints.
type Config struct {
	Store   *store.Store
	Log     hclog.Logger
	Version string // the collector's version, for jails_collector_build_info
	// Extra collectors on /metrics (the log collector's own counters).
	Extra []prometheus.Collector
}

// Register mounts the metrics endpoints on mux:
//
//	GET /metrics             every running jail, plus the collector process itself
//	GET /jails/NAME/metrics  one jail (404 if it is not defined or not running)
func Register(mux *http.ServeMux, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = hclog.NewNullLogger()
	}
	o := metrics.NewOptions(cfg.Store, cfg.Log)
	reg := prometheus.NewRegistry()
	cs := []prometheus.Collector{
		&live{st: cfg.Store, o: o, log: cfg.Log},
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		collectors.NewBuildInfoCollector(),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "jails_collector_build_info",
			Help:        "The collector's version, as a label; always 1.",
			ConstLabels: prometheus.Labels{"version": cfg.Version},
		}, func() float64 { return 1 }),
	}
	for _, c := range append(cs, cfg.Extra...) {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(reg, handlerFor(reg, cfg.Log)))
	mux.HandleFunc("GET /jails/{name}/metrics", func(w http.ResponseWriter, r *http.Request) {
		one(w, r, cfg.Store, o, cfg.Log)
	})
	return nil
}

func handlerFor(g prometheus.Gatherer, log hclog.Logger) http.Handler {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:                            errorLog{log},
		ErrorHandling:                       promhttp.ContinueOnError,
		EnableOpenMetrics:                   true,
		EnableOpenMetricsTextCreatedSamples: true,
		// Scrapes read every jail: more than a few at once only queue
		// on the jails' jinit.
		MaxRequestsInFlight: 8,
	})
}

// one serves one jail's metrics, or 404 if it does not run.
func one(w http.ResponseWriter, r *http.Request, st *store.Store, o metrics.Options, log hclog.Logger) {
	name := r.PathValue("name")
	if store.ValidName(name) != nil {
		http.Error(w, "invalid jail name", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout)
	defer cancel()
	j, err := metrics.Snapshot(ctx, st, name, o)
	if err != nil {
		code := http.StatusNotFound
		if !errors.Is(err, metrics.ErrNotRunning) {
			code = http.StatusInternalServerError
		}
		http.Error(w, err.Error(), code)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(fixed{[]*metrics.Jail{j}})
	handlerFor(reg, log).ServeHTTP(w, r)
}

// errorLog is promhttp's error log on the collector's logger.
type errorLog struct{ log hclog.Logger }

func (e errorLog) Println(v ...any) {
	msg := fmt.Sprint(v...)
	if strings.HasPrefix(msg, "error getting writer") {
		// A client that accepts no encoding we offer (gzip;q=0 and no
		// identity) gets identity anyway: its business, not an error here.
		e.log.Debug("metrics: " + msg)
		return
	}
	e.log.Warn("metrics: " + msg)
}
