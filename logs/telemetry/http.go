package telemetry

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
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
	Options Options
}

// NewHandler prepares the endpoints; Register mounts them.
func NewHandler(st *store.Store, log hclog.Logger) *Handler {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	h := &Handler{st: st, log: log.Named("metrics")}
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
	x := newExposition()
	collectSelf(x)
	if err := collectLive(ctx, h.st, h.Options, x); err != nil {
		http.Error(w, "list jails: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h.write(w, r, x)
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
	x := newExposition()
	if all {
		collectSelf(x)
	}
	collectSnapshots(x, jails, time.Now(), all)
	h.write(w, r, x)
}

// contentType is the text exposition format's media type.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// write sends the exposition, gzipped when the client accepts it
// (Prometheus does: 50 jails of 10 services are about 1 MB of text).
func (h *Handler) write(w http.ResponseWriter, r *http.Request, x *exposition) {
	w.Header().Set("Content-Type", contentType)
	var out io.Writer = w
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	if _, err := x.WriteTo(out); err != nil {
		h.log.Debug("metrics response not sent", "error", err)
	}
}

func acceptsGzip(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// WriteText writes snapshots in the Prometheus text exposition format
// (jailctl stats --prometheus), with the same families as the endpoint.
func WriteText(w io.Writer, jails []*Jail, now time.Time) error {
	x := newExposition()
	collectSnapshots(x, jails, now, true)
	_, err := x.WriteTo(w)
	return err
}
