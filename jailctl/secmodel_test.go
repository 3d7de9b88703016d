package main

import (
	"errors"
	"testing"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
	"github.com/jailsproject/jails/kmod/secmodel"
)

func TestSecmodelRequest(t *testing.T) {
	own := []ports.Port{{Proto: ports.UDP, Num: 53}, {Proto: ports.TCP, Num: 8080}, {Proto: ports.TCP, Num: 53}}
	r, err := secmodelRequest("dns", "medium", own, true, kmod.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.NameString() != "dns" || r.Profile != secmodel.ProfileMedium || r.Flags != secmodel.FlagAnyPort || r.NPorts != 2 {
		t.Fatalf("request %+v", r)
	}
	want := []secmodel.Port{{Port: 53, Proto: secmodel.ProtoAll}, {Port: 8080, Proto: secmodel.ProtoTCP}}
	if r.Ports[0] != want[0] || r.Ports[1] != want[1] {
		t.Fatalf("ports %v, want %v", r.Ports[:2], want)
	}
	for prof, code := range map[string]uint32{"": secmodel.ProfileHigh, "low": secmodel.ProfileLow,
		"medium": secmodel.ProfileMedium, "high": secmodel.ProfileHigh} {
		r, err := secmodelRequest("j", prof, nil, false, kmod.Limits{})
		if err != nil || r.Profile != code || r.Flags != 0 || r.NPorts != 0 {
			t.Errorf("profile %q: %+v %v", prof, r, err)
		}
	}
}

func TestSecmodelRequestRefuses(t *testing.T) {
	many := make([]ports.Port, 0, 2*(secmodel.PortsMax+1))
	for i := range secmodel.PortsMax + 1 {
		many = append(many, ports.Port{Proto: ports.TCP, Num: uint16(1000 + i)}, ports.Port{Proto: ports.UDP, Num: uint16(1000 + i)})
	}
	if _, err := secmodelRequest("j", "high", many[:2*secmodel.PortsMax], false, kmod.Limits{}); err != nil {
		t.Fatalf("%d numbers over both protocols fit: %v", secmodel.PortsMax, err)
	}
	for _, lim := range []kmod.Limits{{MemoryBytes: 1 << 20}, {CPUs: 1}, {Pids: 10}} {
		if _, err := secmodelRequest("j", "high", nil, false, lim); !errors.Is(err, errNoLimits) {
			t.Errorf("limits %+v: %v", lim, err)
		}
	}
	bad := []struct {
		name, prof string
		own        []ports.Port
	}{
		{"j", "paranoid", nil},
		{"j", "high", many},
		{"j", "high", []ports.Port{{Proto: ports.TCP, Num: 0}}},
		{"j", "high", []ports.Port{{Num: 80}}},
		{"", "high", nil},
		{"a/b", "high", nil},
	}
	for _, b := range bad {
		if _, err := secmodelRequest(b.name, b.prof, b.own, false, kmod.Limits{}); err == nil {
			t.Errorf("accepted %+v", b)
		}
	}
}
