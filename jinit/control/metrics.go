package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Metrics is the payload of the "metrics" verb (Response.Data): what the
// supervisor knows about its services and itself. It comes from inside a
// jail, so the host decodes it with DecodeMetrics, which bounds it; the
// host side (jailctl/metrics) turns it into Prometheus series.
type Metrics struct {
	Time          time.Time `json:"time"`    // when jinit took the snapshot
	Started       time.Time `json:"started"` // when the supervisor started
	OrphansReaped uint64    `json:"orphans_reaped"`
	RSSBytes      int64     `json:"rss_bytes"`   // jinit's own resident memory
	CPUSeconds    float64   `json:"cpu_seconds"` // jinit's own CPU time (user + system)
	// ProcAccounting is false where jinit cannot measure its services'
	// processes (no /proc of its own PID namespace, or a platform without
	// the code): the services' CPUSeconds, RSSBytes and Procs are then 0
	// and must not be exported.
	ProcAccounting bool `json:"proc_accounting"`
	// LogBufferMetrics is the jail's log buffer; nil without log capture.
	LogBuffer *LogBufferMetrics `json:"log_buffer,omitempty"`
	Services  []ServiceMetrics  `json:"services"`
}

// LogBufferMetrics is the state of jinit's bounded log buffer.
type LogBufferMetrics struct {
	UsedBytes  int64 `json:"used_bytes"`  // unsent and unacknowledged records
	LimitBytes int64 `json:"limit_bytes"` // its bound
	Subscribed bool  `json:"subscribed"`  // a collector is connected
}

// ServiceMetrics is one supervised service.
type ServiceMetrics struct {
	Name     string    `json:"name"`
	State    string    `json:"state"` // a services.Phase name
	Up       bool      `json:"up"`    // its run process is alive
	Ready    bool      `json:"ready"`
	Pid      int       `json:"pid,omitempty"`
	Since    time.Time `json:"since"` // when it entered State
	Restarts int       `json:"restarts"`
	// LastExit is how the previous run ended; nil if it never exited.
	LastExit *ExitMetrics `json:"last_exit,omitempty"`
	// CPUSeconds is the CPU time (user + system) of the service's process
	// groups since jinit started: the live group plus every earlier run.
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSBytes   int64   `json:"rss_bytes"` // resident memory of the live process group
	Procs      int     `json:"procs"`     // processes in the live process group
	// LogMetrics are the service's log counters; nil where jinit has no log
	// capture for it.
	Logs *LogMetrics `json:"logs,omitempty"`
}

// ExitMetrics is how a run ended: Code when it exited, Signal (a number, with
// SignalName its name) when it was killed.
type ExitMetrics struct {
	Code       int    `json:"code"`
	Signal     int    `json:"signal,omitempty"`
	SignalName string `json:"signal_name,omitempty"`
}

// LogMetrics are a service's log capture counters, cumulative since jinit started.
type LogMetrics struct {
	Lines          uint64    `json:"lines"`
	Bytes          uint64    `json:"bytes"`
	Dropped        uint64    `json:"dropped"`            // lines dropped (buffer full, drop mode)
	LastDrop       time.Time `json:"last_drop,omitzero"` // when the last of them was taken
	BlockedSeconds float64   `json:"blocked_seconds"`    // time writers spent blocked on backpressure
}

// Bounds on a decoded report: it comes from inside a jail, so a hostile
// jinit must not make the host allocate or export without limit.
const (
	MaxMetricsServices = 4096
	MaxMetricsName     = 255
)

// DecodeMetrics parses and checks a report received from a jinit.
func DecodeMetrics(b []byte) (*Metrics, error) {
	var j Metrics
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("decode metrics report: %w", err)
	}
	if len(j.Services) > MaxMetricsServices {
		return nil, fmt.Errorf("decode metrics report: %d services, limit %d", len(j.Services), MaxMetricsServices)
	}
	seen := make(map[string]bool, len(j.Services))
	for _, s := range j.Services {
		if s.Name == "" || len(s.Name) > MaxMetricsName || len(s.State) > MaxMetricsName ||
			!utf8.ValidString(s.Name) || !utf8.ValidString(s.State) {
			return nil, errors.New("decode metrics report: service name or state empty, too long or not UTF-8")
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("decode metrics report: service %q listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	return &j, nil
}
