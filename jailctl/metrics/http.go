package metrics

import (
	"io"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
)

// NewOptions are the options of a long-running exporter (the collector):
// CPU samples once a second for CPU1s and CPU10s, kept jinit connections
// and decoded records. Only a ring of CPU samples per running jail is kept
// between scrapes; every figure is read afresh.
func NewOptions(st *store.Store, log hclog.Logger) Options {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	o := Options{Rates: NewRates(st, log.Named("metrics")), Pool: NewPool(), Cache: NewCache()}
	// The sampler sees every jail once a second: connections and cache
	// entries of jails that stopped go there too, not only on a scrape.
	o.Rates.onSample = func(live map[string]bool) {
		o.Pool.keepOnly(live)
		o.Cache.keepOnly(live)
	}
	return o
}

// WriteText writes snapshots in the Prometheus text exposition format
// (jailctl stats --prometheus), with the same families as the endpoint.
func WriteText(w io.Writer, jails []*Jail, now time.Time) error {
	x := newExposition()
	CollectSnapshots(x, jails, now, true)
	_, err := x.WriteTo(w)
	return err
}
