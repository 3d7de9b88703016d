package ports

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	good := map[string]Port{
		"8080": {TCP, 8080}, "8080/tcp": {TCP, 8080}, "53/udp": {UDP, 53}, "53/UDP": {UDP, 53},
		"1": {TCP, 1}, "65535/udp": {UDP, 65535}, "0080": {TCP, 80},
	}
	for in, want := range good {
		got, err := ParsePort(in)
		if err != nil || got != want {
			t.Errorf("ParsePort(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := []string{"", "0", "0/udp", "65536", "-1", "+80", " 80", "80 ", "80/", "/tcp", "80/sctp",
		"80/tcp/udp", "0x50", "8_0", "http", "99999999999999999999"}
	for _, in := range bad {
		p, err := ParsePort(in)
		if err == nil {
			t.Errorf("ParsePort(%q) = %v, want error", in, p)
			continue
		}
		if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParsePort(%q) error %q does not name the input", in, err)
		}
	}
}

func TestPortString(t *testing.T) {
	for p, want := range map[Port]string{{TCP, 8080}: "8080/tcp", {UDP, 53}: "53/udp", {0, 1}: "1/proto(0)"} {
		if got := p.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", p, got, want)
		}
	}
}

func TestCheckConflicts(t *testing.T) {
	others := map[string][]Port{
		"web":  {{TCP, 80}, {TCP, 443}},
		"dns":  {{UDP, 53}, {TCP, 53}},
		"self": {{TCP, 8080}}, // the jail's own old definition is no conflict
		"dup":  {{TCP, 443}},
	}
	cases := []struct {
		own  []Port
		want []string
	}{
		{nil, nil},
		{[]Port{{TCP, 8080}, {UDP, 80}, {TCP, 54}}, nil},
		{[]Port{{TCP, 80}}, []string{`port 80/tcp is reserved by jail "web"`}},
		{[]Port{{UDP, 53}, {TCP, 443}}, []string{
			`port 53/udp is reserved by jail "dns"`,
			`port 443/tcp is reserved by jail "dup"`,
			`port 443/tcp is reserved by jail "web"`,
		}},
	}
	for _, c := range cases {
		err := CheckConflicts("self", c.own, others)
		if len(c.want) == 0 {
			if err != nil {
				t.Errorf("CheckConflicts(%v) = %v, want nil", c.own, err)
			}
			continue
		}
		if err == nil || err.Error() != strings.Join(c.want, "\n") {
			t.Errorf("CheckConflicts(%v) = %v, want %q", c.own, err, c.want)
			continue
		}
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Port != c.own[0] {
			t.Errorf("CheckConflicts(%v): no *ConflictError for %v in %v", c.own, c.own[0], err)
		}
	}
}

func TestNormalize(t *testing.T) {
	got, err := normalize([]Port{{UDP, 9}, {TCP, 9}, {TCP, 1}, {UDP, 9}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Port{{TCP, 1}, {TCP, 9}, {UDP, 9}}
	if len(got) != len(want) {
		t.Fatalf("normalize = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("normalize = %v, want %v", got, want)
		}
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"8080", "8080/tcp", "53/udp", "0", "65536/UdP", "/", "80/tcp/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePort(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("error %q does not name input %q", err, s)
			}
			return
		}
		if err := p.Valid(); err != nil {
			t.Fatalf("ParsePort(%q) = %v, invalid: %v", s, p, err)
		}
		back, err := ParsePort(p.String())
		if err != nil || back != p {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", s, p, p.String(), back, err)
		}
	})
}
