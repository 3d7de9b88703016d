package telemetry

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/jailsproject/jails/jailctl/store"
)

// fakeJails are n jails of s services each, every figure set.
func fakeJails(n, s int) []*Jail {
	proto := sampleJails()[0]
	var out []*Jail
	for i := 0; i < n; i++ {
		j := *proto
		j.Name = fmt.Sprintf("jail%d", i)
		rep := *proto.Jinit
		rep.Services = nil
		for k := 0; k < s; k++ {
			svc := proto.Jinit.Services[0]
			svc.Name = fmt.Sprintf("svc%d", k)
			rep.Services = append(rep.Services, svc)
		}
		j.Jinit = &rep
		out = append(out, &j)
	}
	return out
}

// BenchmarkEncode50x10 is the exporter's share of a /metrics scrape of 50
// jails × 10 services: building the metrics, gathering and encoding them
// as promhttp does (the jails are read beforehand).
func BenchmarkEncode50x10(b *testing.B) {
	jails := fakeJails(50, 10)
	h := NewHandler(store.NewStore(b.TempDir()), nil)
	req := httptest.NewRequest("GET", "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		w.Body = nil
		h.serve(discardRecorder{w}, req, jails, true)
	}
}

type discardRecorder struct{ *httptest.ResponseRecorder }

func (d discardRecorder) Write(p []byte) (int, error) { return io.Discard.Write(p) }
