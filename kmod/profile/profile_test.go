package profile

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Profile{"": High, "low": Low, "medium": Medium, "high": High} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"HIGH", "none", " low", "max"} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), "\""+in+"\"") {
			t.Errorf("Parse(%q) error = %v; want one naming it", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "low", "medium", "high", "x", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if !slices.Contains(Profiles, p) {
			t.Fatalf("Parse(%q) = %q, not a profile", s, p)
		}
	})
}

func TestAllowedCaps(t *testing.T) {
	if got := AllowedCaps(High); len(got) != 0 {
		t.Errorf("high keeps %v", got)
	}
	wantMedium := []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
		"SETPCAP", "NET_BIND_SERVICE", "NET_BROADCAST", "IPC_OWNER", "LEASE", "AUDIT_WRITE", "SETFCAP"}
	if got := AllowedCaps(Medium); !sameSet(got, wantMedium) {
		t.Errorf("medium keeps %v; want %v", got, wantMedium)
	}
	low := AllowedCaps(Low)
	for _, c := range []string{"SYS_MODULE", "SYS_BOOT", "SYS_TIME", "SYSLOG", "SYS_RAWIO"} {
		if slices.Contains(low, c) {
			t.Errorf("low keeps %s", c)
		}
	}
	if len(low) != len(knownCaps)-5 {
		t.Errorf("low keeps %d capabilities; want all but 5 of %d", len(low), len(knownCaps))
	}
	for _, c := range SupervisorCaps {
		if !slices.Contains(AllowedCaps(Medium), c) {
			t.Errorf("supervisor capability %s not allowed in medium", c)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Every capability a rule names is a known one, and each is named once.
func TestRulesCapsKnown(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules {
		for _, c := range r.caps {
			if !slices.Contains(knownCaps, c) {
				t.Errorf("rule %q: unknown capability %s", r.op, c)
			}
			if seen[c] {
				t.Errorf("capability %s named by two rules", c)
			}
			seen[c] = true
		}
	}
	if len(seen) != len(knownCaps) {
		t.Errorf("rules name %d of %d capabilities: high must drop all", len(seen), len(knownCaps))
	}
}

// Each profile denies at least what the one below it denies.
func TestProfilesNest(t *testing.T) {
	for i := 1; i < len(Profiles); i++ {
		lo, hi := deniedSyscalls(Profiles[i-1]), deniedSyscalls(Profiles[i])
		for e, list := range lo {
			for _, s := range list {
				if !slices.Contains(hi[e], s) {
					t.Errorf("%s denies %s but %s does not", Profiles[i-1], s, Profiles[i])
				}
			}
		}
		for _, c := range AllowedCaps(Profiles[i]) {
			if !slices.Contains(AllowedCaps(Profiles[i-1]), c) {
				t.Errorf("%s allows %s but %s does not", Profiles[i], c, Profiles[i-1])
			}
		}
	}
}

func TestTable(t *testing.T) {
	rows := Table()
	if len(rows) != len(rules)+len(masks) {
		t.Fatalf("%d rows; want %d", len(rows), len(rules)+len(masks))
	}
	for _, r := range rows {
		if r.Operation == "" || r.Mechanism == "" || r.Low == "" || r.Medium == "" || r.High == "" {
			t.Errorf("incomplete row %+v", r)
		}
		if r.Low != allowed && r.High == allowed {
			t.Errorf("row %q: denied in low but allowed in high", r.Operation)
		}
	}
	find := func(op string) Row {
		for _, r := range rows {
			if strings.HasPrefix(r.Operation, op) {
				return r
			}
		}
		t.Fatalf("no row %q", op)
		return Row{}
	}
	if r := find("mount, unmount"); r.Low != allowed || r.Medium != deniedErr || r.High != deniedErr {
		t.Errorf("mount row %+v", r)
	}
	if r := find("clone3"); r.Medium != "denied (ENOSYS)" {
		t.Errorf("clone3 row %+v", r)
	}
	if r := find("/proc/sys ("); r.Low != allowed || r.Medium != "read-only (EROFS)" {
		t.Errorf("/proc/sys row %+v", r)
	}
	if r := find("load or unload"); !strings.Contains(r.Mechanism, "CAP_SYS_MODULE") ||
		!strings.Contains(r.Mechanism, "finit_module") {
		t.Errorf("module row mechanism %q", r.Mechanism)
	}
}

func TestMasksOrder(t *testing.T) {
	ms := masksFor(Medium)
	ro := false
	for i, m := range ms {
		if m.kind == readOnly {
			ro = true
		} else if ro {
			t.Fatalf("mask %s after a read-only bind", m.path)
		}
		if i > 0 && m.kind == readOnly && ms[i-1].kind == readOnly && depth(m.path) > depth(ms[i-1].path) {
			t.Errorf("%s (deeper) after %s", m.path, ms[i-1].path)
		}
	}
	for _, m := range masksFor(Low) {
		if m.from != Low {
			t.Errorf("low applies %s (from %s)", m.path, m.from)
		}
	}
}

func TestEscapeChecksComplete(t *testing.T) {
	names := map[string]bool{}
	for _, c := range EscapeChecks {
		if names[c.Name] {
			t.Errorf("duplicate check %s", c.Name)
		}
		names[c.Name] = true
		if c.Run == nil || c.Op == "" {
			t.Errorf("check %s incomplete", c.Name)
		}
		for _, p := range Profiles {
			if _, ok := c.Expect[p]; !ok {
				t.Errorf("check %s: no expectation for %s", c.Name, p)
			}
		}
	}
}

const sampleStatus = `Name:	cat
Umask:	0022
State:	R (running)
Uid:	65534	0	0	0
Gid:	0	0	0	0
CapInh:	0000000000000000
CapPrm:	00000000000000e0
CapEff:	00000000000000c0
CapBnd:	000001fffeffffff
CapAmb:	0000000000000020
NoNewPrivs:	1
Seccomp:	2
Seccomp_filters:	1
`

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus(sampleStatus)
	if err != nil {
		t.Fatal(err)
	}
	want := Status{Uid: 65534, Euid: 0, CapPrm: 0xe0, CapEff: 0xc0, CapBnd: 0x1fffeffffff, CapAmb: 0x20,
		NoNewPrivs: true, Seccomp: 2}
	if s != want {
		t.Errorf("got %+v; want %+v", s, want)
	}
	if _, err := ParseStatus("Name: x\nCapEff: zz\n"); err == nil {
		t.Error("bad CapEff accepted")
	}
	if _, err := ParseStatus("Name: x\n"); err == nil {
		t.Error("empty status accepted")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(sampleStatus)
	f.Add("Uid:\t1\nCapEff:\tffffffffffffffffff\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseStatus(s)
	})
}
