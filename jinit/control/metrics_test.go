package control

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeMetrics(t *testing.T) {
	good := `{"services":[{"name":"a","state":"running","up":true,"cpu_seconds":1.5,"logs":{"lines":3}}]}`
	j, err := DecodeMetrics([]byte(good))
	if err != nil || len(j.Services) != 1 || j.Services[0].Logs.Lines != 3 || j.Services[0].CPUSeconds != 1.5 {
		t.Fatalf("%+v %v", j, err)
	}
	for _, bad := range []string{
		`{`, `[]`,
		`{"services":[{"name":""}]}`,
		`{"services":[{"name":"a"},{"name":"a"}]}`,
		`{"services":[{"name":"` + strings.Repeat("x", 256) + `"}]}`,
	} {
		if _, err := DecodeMetrics([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// The report comes from inside a jail: whatever it holds, a decoded one
// has bounded, unique, UTF-8 names (what the exporter relies on).
func FuzzDecodeMetrics(f *testing.F) {
	f.Add([]byte(`{"services":[{"name":"a","state":"running","last_exit":{"code":-1,"signal":9}}]}`))
	f.Add([]byte(`{"orphans_reaped":18446744073709551615,"rss_bytes":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := DecodeMetrics(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, s := range j.Services {
			if s.Name == "" || len(s.Name) > MaxMetricsName || !utf8.ValidString(s.Name) || !utf8.ValidString(s.State) || seen[s.Name] {
				t.Fatalf("accepted service %q", s.Name)
			}
			seen[s.Name] = true
		}
		if _, err := json.Marshal(j); err != nil {
			t.Fatal(err)
		}
	})
}
