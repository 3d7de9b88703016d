package telemetry

import (
	"runtime"
	"syscall"
	"time"
)

// The collector process's own figures on /metrics, under the names
// client_golang's process and Go collectors use, so existing dashboards
// find them. Figures a system cannot give are left out, not exported as 0.
var (
	famSelfCPU     = counterFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
	famSelfStart   = gaugeFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
	famSelfRSS     = gaugeFamily("process_resident_memory_bytes", "Resident memory size in bytes.")
	famSelfFDs     = gaugeFamily("process_open_fds", "Number of open file descriptors.")
	famGoroutines  = gaugeFamily("go_goroutines", "Number of goroutines that currently exist.")
	famGoHeapAlloc = gaugeFamily("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.")
	famGoSys       = gaugeFamily("go_memstats_sys_bytes", "Number of bytes obtained from system.")
)

// processStart is when this process started, near enough: when its
// packages were initialised.
var processStart = time.Now()

func collectSelf(x *exposition) {
	e := emitter{x}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		e.counter(famSelfCPU, cpu.Seconds())
	}
	e.gauge(famSelfStart, float64(processStart.UnixNano())/1e9)
	if rss, ok := selfRSS(); ok {
		e.gauge(famSelfRSS, float64(rss))
	}
	if n, ok := selfFDs(); ok {
		e.gauge(famSelfFDs, float64(n))
	}
	e.gauge(famGoroutines, float64(runtime.NumGoroutine()))
	// ReadMemStats rather than runtime/metrics, whose package init costs
	// every jailctl process 0.6 ms; a scrape can afford the short pause.
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	e.gauge(famGoHeapAlloc, float64(m.HeapAlloc))
	e.gauge(famGoSys, float64(m.Sys))
}
