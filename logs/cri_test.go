package logs

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The CRI parsers of the log shippers operators run, as each documents or
// implements it. No Debian package ships one of them, and no small Go
// package parses CRI logs outside kubelet and containerd, so the tests
// apply the shippers' own expressions:
//
//   - Fluent Bit, the `cri` parser of its Kubernetes guide
//     (https://docs.fluentbit.io/manual/installation/kubernetes#container-runtime-interface-cri-parser)
//   - Promtail/Grafana Alloy, the `cri` stage
//     (grafana/loki clients/pkg/logentry/stages/extensions.go, NewCRI)
//   - Vector, the kubernetes_logs source's CRI parser
//     (vectordotdev/vector src/sources/kubernetes_logs/parser/cri.rs, CRI_REGEX_PATTERN)
//
// Fluent Bit and Promtail treat the tag as one field and a line as partial
// when it is P; Vector accepts only P or F, so jinit's own lines (F:jinit)
// do not parse there (docs/LOGS.md).
var (
	fluentBitCRI = regexp.MustCompile(`^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>[^ ]*) (?<message>.*)$`)
	promtailCRI  = regexp.MustCompile(`^(?s)(?P<time>\S+?) (?P<stream>stdout|stderr) (?P<flags>\S+?) (?P<content>.*)$`)
	vectorCRI    = regexp.MustCompile(`^(?P<timestamp>.*) (?P<stream>(stdout|stderr)) (?P<multiline_tag>(P|F)) (?P<message>.*)$`)
)

// CRIEntry is one log entry as a CRI shipper reassembles it: partial
// lines joined to the full line that ends them, per stream.
type criEntry struct {
	time   time.Time
	stream string
	tag    string
	text   string
}

// group is the first of the named groups re has.
func group(m [][]byte, re *regexp.Regexp, names ...string) string {
	for _, n := range names {
		if i := re.SubexpIndex(n); i > 0 {
			return string(m[i])
		}
	}
	return ""
}

// parseCRI reads a stored file with a shipper's expression and joins
// partial lines, as the shippers do. It fails on a line the expression
// does not match.
func parseCRI(t testing.TB, re *regexp.Regexp, data []byte) []criEntry {
	t.Helper()
	var out []criEntry
	pending := map[string]*strings.Builder{}
	EachLine(data, func(line []byte) {
		m := re.FindSubmatch(line)
		if m == nil {
			t.Fatalf("%v does not parse %q", re, line)
		}
		ts, err := time.Parse(time.RFC3339Nano, group(m, re, "time", "timestamp"))
		if err != nil {
			t.Fatalf("timestamp of %q: %v", line, err)
		}
		stream, text := group(m, re, "stream"), group(m, re, "message", "content")
		tag := group(m, re, "logtag", "flags", "multiline_tag")
		b := pending[stream]
		if b == nil {
			b = &strings.Builder{}
			pending[stream] = b
		}
		b.WriteString(text)
		if strings.Split(tag, ":")[0] == "P" {
			return
		}
		out = append(out, criEntry{ts, stream, tag, b.String()})
		b.Reset()
	})
	return out
}

// What the store writes reads back through each shipper's parser: lines
// split for their length come back whole, empty lines stay, stdout and
// stderr stay apart, times are RFC 3339 with nanoseconds, and jinit's own
// lines carry their tag.
func TestCRIShippersParseStore(t *testing.T) {
	var s Stamper
	var data []byte
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC).UnixNano()
	add := func(st Stream, fl Flags, text string) {
		data = s.AppendLine(data, &Record{Time: at, Stream: st, Flags: fl, Text: []byte(text)})
	}
	add(Stdout, 0, "hello world")
	add(Stderr, Partial, "a long ")
	add(Stdout, 0, "")
	add(Stderr, Partial, "line in ")
	add(Stderr, 0, "pieces")
	add(Stdout, 0, "tab\tand  spaces ")
	want := []criEntry{
		{stream: "stdout", tag: "F", text: "hello world"},
		{stream: "stdout", tag: "F", text: ""},
		{stream: "stderr", tag: "F", text: "a long line in pieces"},
		{stream: "stdout", tag: "F", text: "tab\tand  spaces "},
	}
	for name, re := range map[string]*regexp.Regexp{"Fluent Bit": fluentBitCRI, "Promtail": promtailCRI, "Vector": vectorCRI} {
		got := parseCRI(t, re, data)
		if len(got) != len(want) {
			t.Fatalf("%s: %d entries, want %d: %+v", name, len(got), len(want), got)
		}
		for i, g := range got {
			w := want[i]
			if g.stream != w.stream || g.tag != w.tag || g.text != w.text || g.time.UnixNano() != at {
				t.Errorf("%s entry %d: %+v, want %+v", name, i, g, w)
			}
		}
	}
	var jl []byte
	jl = s.AppendLine(jl, &Record{Time: at, Stream: Jinit, Text: []byte("exited: exit 3")})
	for name, re := range map[string]*regexp.Regexp{"Fluent Bit": fluentBitCRI, "Promtail": promtailCRI} {
		got := parseCRI(t, re, jl)
		if len(got) != 1 || got[0].tag != "F:jinit" || got[0].stream != "stderr" || got[0].text != "exited: exit 3" {
			t.Errorf("%s: jinit's line read as %+v", name, got)
		}
	}
	if !bytes.HasSuffix(jl, []byte(" stderr F:jinit exited: exit 3\n")) {
		t.Errorf("jinit's line %q", jl)
	}
}
