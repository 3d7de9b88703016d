package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The log collector's families are in docs/METRICS.md, and the document
// names no other jails_collector_ family.
func TestIngestDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/METRICS.md")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *prometheus.Desc, 32)
	ingest{}.Describe(ch)
	close(ch)
	ours := map[string]bool{"jails_collector_build_info": true}
	name := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range ch {
		n := name.FindStringSubmatch(d.String())[1]
		ours[n] = true
		if !strings.Contains(string(doc), "`"+n+"`") {
			t.Errorf("%s is not documented in docs/METRICS.md", n)
		}
	}
	for _, m := range regexp.MustCompile("`(jails_collector_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		if !ours[m[1]] {
			t.Errorf("docs/METRICS.md documents %s, which is not exported", m[1])
		}
	}
}
