package store

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"1": 1, "4096": 4096, "512K": 512 << 10, "512k": 512 << 10, "512KiB": 512 << 10,
		"512M": 512 << 20, "512Mi": 512 << 20, "512MiB": 512 << 20, "512MB": 512 << 20, "512mb": 512 << 20,
		"1G": 1 << 30, "1GiB": 1 << 30, "1gi": 1 << 30, "1.5G": 3 << 29, "0.5Mi": 512 << 10, "2T": 2 << 40, " 16Mi ": 16 << 20,
		"512B": 512,
	}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1.5", "12X", "1e9", "0x10", "+5M", "M", "Mi", "1_000", "1KK", "0.0000001K", "9999999T", "NaNG", "InfM"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d; want an error", in, got)
		}
	}
}

func TestLimitBounds(t *testing.T) {
	cases := []struct {
		def  Def
		want string // "" for valid
	}{
		{Def{Memory: "16Mi"}, ""},
		{Def{Memory: "16777215"}, "minimum of 16Mi"},
		{Def{CPUs: 0.01}, ""},
		{Def{CPUs: 0.0099}, "minimum of 0.01 CPU"},
		{Def{CPUs: 1025}, "want a number of CPUs"},
		{Def{CPUs: -0.5}, "want a number of CPUs"},
		{Def{Pids: MinPids}, ""},
		{Def{Pids: MinPids - 1}, "process (thread) limit"},
		{Def{Pids: MaxPids + 1}, "process (thread) limit"},
	}
	for _, c := range cases {
		c.def.Name = "j"
		_, err := c.def.Resolve("test")
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.def, err, c.want)
		}
	}
}

// FuzzParseSize: any input gives a positive size or an error, never a
// panic or a size out of range.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512Mi", "1.5G", "1e9", "0.5k", "9223372036854775807", "4611686018427387904T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && (n <= 0 || n > 1<<62) {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}
