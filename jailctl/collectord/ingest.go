package main

import (
	"github.com/jailsproject/jails/logs"
	"github.com/jailsproject/jails/logs/collector"
	"github.com/prometheus/client_golang/prometheus"
)

// ingest exports the log collector's own counters, read at scrape time.
type ingest struct {
	col *collector.Collector
	sys *logs.Syslog // nil without forwarding
}

var (
	descRecords   = prometheus.NewDesc("jails_collector_log_records_total", "Log records of the jail this collector process stored.", []string{"jail"}, nil)
	descBytes     = prometheus.NewDesc("jails_collector_log_bytes_total", "Bytes of log text of the jail this collector process stored.", []string{"jail"}, nil)
	descBatches   = prometheus.NewDesc("jails_collector_log_batches_total", "Batches of the jail's log stream this collector process stored and acknowledged.", []string{"jail"}, nil)
	descReconnect = prometheus.NewDesc("jails_collector_log_reconnects_total", "Times the jail's log stream ended and was subscribed to again.", []string{"jail"}, nil)
	descConnected = prometheus.NewDesc("jails_collector_log_connected", "1 while the collector is subscribed to the jail's log stream.", []string{"jail"}, nil)
	descStoreErr  = prometheus.NewDesc("jails_collector_store_errors_total", "Batches of the jail the log store could not take (stored later from the checkpoint).", []string{"jail"}, nil)
	descStoreFull = prometheus.NewDesc("jails_collector_store_full", "1 while the jail's log store is out of space (its lines wait in jinit's buffer).", []string{"jail"}, nil)
	descSysDrop   = prometheus.NewDesc("jails_collector_syslog_dropped_total", "Records not forwarded to syslog because its queue was full.", nil, nil)
)

func (ingest) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRecords, descBytes, descBatches, descReconnect, descConnected, descStoreErr, descStoreFull, descSysDrop} {
		ch <- d
	}
}

func (i ingest) Collect(ch chan<- prometheus.Metric) {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	for _, s := range i.col.Stats() {
		ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(s.Records), s.Jail)
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(s.Bytes), s.Jail)
		ch <- prometheus.MustNewConstMetric(descBatches, prometheus.CounterValue, float64(s.Batches), s.Jail)
		ch <- prometheus.MustNewConstMetric(descReconnect, prometheus.CounterValue, float64(s.Reconnect), s.Jail)
		ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, b2f(s.Connected), s.Jail)
		ch <- prometheus.MustNewConstMetric(descStoreErr, prometheus.CounterValue, float64(s.StoreErrors), s.Jail)
		ch <- prometheus.MustNewConstMetric(descStoreFull, prometheus.GaugeValue, b2f(s.StoreFull), s.Jail)
	}
	if i.sys != nil {
		ch <- prometheus.MustNewConstMetric(descSysDrop, prometheus.CounterValue, float64(i.sys.Dropped()))
	}
}
