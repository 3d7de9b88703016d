package kmod

import (
	"errors"
	"testing"

	"github.com/jailsproject/jails/kmod/secmodel"
)

func TestSecmodelRequest(t *testing.T) {
	own := []Reservation{{Port: 53, UDP: true}, {Port: 8080, TCP: true}, {Port: 53, TCP: true}}
	r, err := SecmodelRequest(Spec{Name: "dns", Profile: "medium", Reserved: own, AllowUnreserved: true})
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
		r, err := SecmodelRequest(Spec{Name: "j", Profile: prof})
		if err != nil || r.Profile != code || r.Flags != 0 || r.NPorts != 0 {
			t.Errorf("profile %q: %+v %v", prof, r, err)
		}
	}
}

func TestSecmodelRequestRefuses(t *testing.T) {
	many := make([]Reservation, 0, secmodel.PortsMax+1)
	for i := range secmodel.PortsMax + 1 {
		many = append(many, Reservation{Port: uint16(1000 + i), TCP: true, UDP: true})
	}
	if _, err := SecmodelRequest(Spec{Name: "j", Profile: "high", Reserved: many[:secmodel.PortsMax]}); err != nil {
		t.Fatalf("%d numbers over both protocols fit: %v", secmodel.PortsMax, err)
	}
	for _, lim := range []Limits{{MemoryBytes: 1 << 20}, {CPUs: 1}, {Pids: 10}} {
		if _, err := SecmodelRequest(Spec{Name: "j", Profile: "high", Limits: lim}); !errors.Is(err, ErrNoLimits) {
			t.Errorf("limits %+v: %v", lim, err)
		}
	}
	bad := []Spec{
		{Name: "j", Profile: "paranoid"},
		{Name: "j", Profile: "high", Reserved: many},
		{Name: "j", Profile: "high", Reserved: []Reservation{{Port: 0, TCP: true}}},
		{Name: "j", Profile: "high", Reserved: []Reservation{{Port: 80}}},
		{Name: "", Profile: "high"},
		{Name: "a/b", Profile: "high"},
	}
	for _, b := range bad {
		if _, err := SecmodelRequest(b); err == nil {
			t.Errorf("accepted %+v", b)
		}
	}
}
