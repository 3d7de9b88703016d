package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// Register mounts the metrics endpoints on mux:
//
//	GET /metrics             every running jail, plus the collector process itself
//	GET /jails/NAME/metrics  one jail (404 if it is not defined or not running)
//
// Each scrape reads the jails afresh; only a ring of CPU samples per
// running jail is kept between scrapes (see Rates).
func Register(mux *http.ServeMux, st *store.Store, log hclog.Logger) {
	NewHandler(st, log).Register(mux)
}

// Handler serves the metrics of one jails instance.
type Handler struct {
	st      *store.Store
	log     hclog.Logger
	rates   *Rates
	self    prometheus.Gatherer // the collector process's own metrics
	Options Options
}

// NewHandler prepares the endpoints; Register mounts them.
func NewHandler(st *store.Store, log hclog.Logger) *Handler {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	self := prometheus.NewRegistry()
	self.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	h := &Handler{st: st, log: log.Named("metrics"), self: self}
	h.rates = NewRates(st, h.log)
	h.Options.Rates = h.rates
	h.Options.Pool, h.Options.Cache = NewPool(), NewCache()
	// The sampler sees every jail once a second: connections and cache
	// entries of jails that stopped go there too, not only on /metrics.
	h.rates.onSample = func(live map[string]bool) {
		h.Options.Pool.keepOnly(live)
		h.Options.Cache.keepOnly(live)
	}
	return h
}

func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /metrics", h.all)
	mux.HandleFunc("GET /jails/{name}/metrics", h.one)
}

// scrapeTimeout bounds one scrape when the client does not say (Prometheus
// sends X-Prometheus-Scrape-Timeout-Seconds).
const scrapeTimeout = 10 * time.Second

func (h *Handler) all(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&liveCollector{ctx: ctx, st: h.st, o: h.Options})
	h.serveGatherer(w, r, prometheus.Gatherers{h.self, reg})
}

func (h *Handler) one(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if store.ValidName(name) != nil {
		http.Error(w, "invalid jail name", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout)
	defer cancel()
	j, err := Snapshot(ctx, h.st, name, h.Options)
	if err != nil {
		code := http.StatusNotFound
		if !errors.Is(err, ErrNotRunning) {
			code = http.StatusInternalServerError
		}
		http.Error(w, err.Error(), code)
		return
	}
	h.serve(w, r, []*Jail{j}, false)
}

// serve exports fixed snapshots (one jail's endpoint, and benchmarks).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, jails []*Jail, all bool) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&snapshotCollector{jails: jails, now: time.Now(), withHost: all})
	g := prometheus.Gatherer(reg)
	if all {
		g = prometheus.Gatherers{h.self, reg}
	}
	h.serveGatherer(w, r, g)
}

func (h *Handler) serveGatherer(w http.ResponseWriter, r *http.Request, g prometheus.Gatherer) {
	promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: errLogger{h.log}, ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}

type errLogger struct{ log hclog.Logger }

func (l errLogger) Println(v ...any) { l.log.Warn("metrics", "error", v) }

// WriteText writes snapshots in the Prometheus text exposition format
// (jailctl stats --prometheus), with the same families as the endpoint.
func WriteText(w io.Writer, jails []*Jail, now time.Time) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&snapshotCollector{jails: jails, now: now, withHost: true})
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}
