package metrics

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The Prometheus text exposition format (version 0.0.4) of `jailctl stats
// --prometheus`, written here rather than with client_golang, which must
// not be linked into jailctl (it is on the path of `jailctl start`). The
// collector's endpoint (jailctl/metrics/prom) encodes the same families
// with client_golang. The tests check this output with Prometheus's own
// parser and promtool.

// Family is one metric family: its name, help text, type and label names
// (in the order add takes their values).
type Family struct {
	name, help, typ string
	labels          []string
	order           []int // label indexes sorted by name: the written order
}

func newFamily(name, help, typ string, labels []string) *Family {
	f := &Family{name: name, help: help, typ: typ, labels: labels, order: make([]int, len(labels))}
	for i := range f.order {
		f.order[i] = i
	}
	slices.SortFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return f
}

func gaugeFamily(name, help string, labels ...string) *Family {
	return newFamily(name, help, "gauge", labels)
}

func counterFamily(name, help string, labels ...string) *Family {
	return newFamily(name, help, "counter", labels)
}

type sample struct {
	labels []string
	value  float64
}

// exposition gathers samples for one scrape; add may be called from
// several goroutines.
type exposition struct {
	mu      sync.Mutex
	samples map[*Family][]sample
	seen    map[string]bool
}

func newExposition() *exposition {
	return &exposition{samples: map[*Family][]sample{}, seen: map[string]bool{}}
}

// add records one sample. A sample a hostile jinit made invalid (label
// values that are not UTF-8, the wrong number of them, or a series already
// recorded) is dropped rather than failing the scrape.
func (x *exposition) Add(f *Family, v float64, _ time.Time, labels ...string) {
	if len(labels) != len(f.labels) {
		return
	}
	for _, l := range labels {
		if !utf8.ValidString(l) {
			return
		}
	}
	key := f.name + "\xff" + strings.Join(labels, "\xff")
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.seen[key] {
		return
	}
	x.seen[key] = true
	x.samples[f] = append(x.samples[f], sample{labels: labels, value: v})
}

// WriteTo writes the families that have samples, sorted by name, each with
// its samples sorted by label values, as client_golang does.
func (x *exposition) WriteTo(w io.Writer) (int64, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	fams := make([]*Family, 0, len(x.samples))
	for f := range x.samples {
		fams = append(fams, f)
	}
	slices.SortFunc(fams, func(a, b *Family) int { return strings.Compare(a.name, b.name) })
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 32<<10)
	var line []byte
	for _, f := range fams {
		ss := x.samples[f]
		slices.SortFunc(ss, func(a, b sample) int {
			for _, i := range f.order {
				if c := strings.Compare(a.labels[i], b.labels[i]); c != 0 {
					return c
				}
			}
			return 0
		})
		line = append(line[:0], "# HELP "...)
		line = append(line, f.name...)
		line = append(line, ' ')
		line = appendEscaped(line, f.help, false)
		line = append(line, "\n# TYPE "...)
		line = append(line, f.name...)
		line = append(line, ' ')
		line = append(line, f.typ...)
		line = append(line, '\n')
		for _, s := range ss {
			line = appendSample(line, f, s)
		}
		bw.Write(line)
		line = line[:0]
	}
	err := bw.Flush()
	return cw.n, err
}

func appendSample(b []byte, f *Family, s sample) []byte {
	b = append(b, f.name...)
	if len(f.labels) > 0 {
		b = append(b, '{')
		for k, i := range f.order {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, f.labels[i]...)
			b = append(b, `="`...)
			b = appendEscaped(b, s.labels[i], true)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendValue(b, s.value)
	return append(b, '\n')
}

// appendEscaped escapes a backslash and a newline, and in label values
// also a double quote.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendValue(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Name, Help and Labels describe the family; Counter says whether it is a
// counter (else a gauge).
func (f *Family) Name() string     { return f.name }
func (f *Family) Help() string     { return f.help }
func (f *Family) Labels() []string { return f.labels }
func (f *Family) Counter() bool    { return f.typ == "counter" }

// Families are every family a jail's snapshot is exported as.
func Families() []*Family { return allFamilies }

// Sink receives the samples of a scrape, possibly from several goroutines.
// created is when a counter started counting (zero for gauges).
type Sink interface {
	Add(f *Family, v float64, created time.Time, labels ...string)
}
