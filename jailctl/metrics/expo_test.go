package metrics

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Label values from jinit are the jail's to choose: quotes, backslashes
// and newlines are escaped, invalid UTF-8 and repeated series are dropped,
// and Prometheus's own parser and ReadSamples read back what was written.
func TestExpositionHostileLabels(t *testing.T) {
	f := gaugeFamily("jails_test_value", "A help text with a \\ backslash\nand a newline.", "jail", "service")
	c := counterFamily("jails_test_total", "Counts.")
	x := newExposition()
	odd := []string{`q"uote`, `back\slash`, "new\nline", "tab\there", "ünïcode", "", "{}=,"}
	for i, v := range odd {
		x.Add(f, float64(i), time.Time{}, "j", v)
	}
	x.Add(f, 99, time.Time{}, "j", "bad\xffutf8")
	x.Add(f, 98, time.Time{}, "j", odd[0]) // the same series again
	x.Add(f, 97, time.Time{}, "only-one-label")
	x.Add(c, math.Inf(1), time.Time{})
	var b bytes.Buffer
	if _, err := x.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("Prometheus's parser: %v\n%s", err, b.String())
	}
	mf := mfs["jails_test_value"]
	if mf == nil || len(mf.GetMetric()) != len(odd) || mf.GetHelp() != f.help || mf.GetType().String() != "GAUGE" {
		t.Fatalf("family read back: %v\n%s", mf, b.String())
	}
	got := map[string]float64{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "service" {
				got[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	for i, v := range odd {
		if g, ok := got[v]; !ok || g != float64(i) {
			t.Errorf("label %q: %v %v", v, g, ok)
		}
	}
	if v := mfs["jails_test_total"].GetMetric()[0].GetCounter().GetValue(); !math.IsInf(v, 1) {
		t.Errorf("counter: %v", v)
	}
	samples, err := ReadSamples(bytes.NewReader(b.Bytes()), "jails_test_value")
	if err != nil || len(samples) != len(odd) {
		t.Fatalf("ReadSamples: %v %v", samples, err)
	}
	for _, s := range samples {
		if got[s.Labels["service"]] != s.Value || s.Labels["jail"] != "j" {
			t.Errorf("ReadSamples: %+v", s)
		}
	}
}

func TestReadSamplesRejects(t *testing.T) {
	for _, bad := range []string{
		"no_value\n",
		"9bad 1\n",
		`m{l="v" 1` + "\n",
		`m{l=v} 1` + "\n",
		`m{l="v\q"} 1` + "\n",
		`m{l="v",l="w"} 1` + "\n",
		`m{1l="v"} 1` + "\n",
		"m one\n",
		"m 1 2 3\n",
		"m 1 later\n",
		`m{l="unterminated} 1` + "\n",
	} {
		if s, err := ReadSamples(strings.NewReader(bad), "m"); err == nil {
			t.Errorf("%q accepted: %+v", bad, s)
		} else if !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error does not name the line: %v", bad, err)
		}
	}
	s, err := ReadSamples(strings.NewReader("# HELP m x\n\nm{a=\"1\",} 2 1700000000000\nother 3\n"), "m")
	if err != nil || len(s) != 1 || s[0].Value != 2 || s[0].Labels["a"] != "1" {
		t.Fatalf("%+v %v", s, err)
	}
}

// Whatever the input, ReadSamples returns or errs, and what it accepts
// Prometheus's parser reads too (it is the stricter of the two on names).
func FuzzReadSamples(f *testing.F) {
	f.Add("# TYPE a gauge\na{jail=\"x\",window=\"1s\"} 0.5\n")
	f.Add("a{l=\"q\\\"\\\\\\n\"} NaN 17\n")
	f.Add("a +Inf\nb{} -1e-3\n")
	f.Fuzz(func(t *testing.T, in string) {
		samples, err := ReadSamples(strings.NewReader(in), "a", "b")
		if err != nil {
			return
		}
		x := newExposition()
		for _, s := range samples {
			names := make([]string, 0, len(s.Labels))
			vals := make([]string, 0, len(s.Labels))
			for k, v := range s.Labels {
				names = append(names, k)
				vals = append(vals, v)
			}
			x.Add(newFamily(s.Name, "h", "untyped", names), s.Value, time.Time{}, vals...)
		}
		var b bytes.Buffer
		x.WriteTo(&b)
		if _, err := ReadSamples(&b, "a", "b"); err != nil {
			t.Fatalf("our own output rejected: %v\n%s", err, b.String())
		}
	})
}
