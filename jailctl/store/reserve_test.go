package store

import (
	"os"
	"strings"
	"testing"
)

// A broken definition keeps the id and ports it last reserved; one that
// never had a valid definition recorded is an error naming it.
func TestReservationsOfBrokenDefinitions(t *testing.T) {
	s := NewStore(t.TempDir())
	for i, name := range []string{"a", "b"} {
		os.MkdirAll(s.JailDir(name), 0o700)
		d := Def{ID: i + 1, Name: name, Profile: "high", Net: "host", Ports: []string{"80" + name[:0] + string(rune('0'+i)) + "/tcp"}}
		if err := d.Save(s.DefPath(name)); err != nil {
			t.Fatal(err)
		}
		r, err := LoadDef(s.DefPath(name))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Reserve(r); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(s.DefPath("a"), []byte("id = [[["), 0o644)
	held, err := s.Reservations()
	if err != nil {
		t.Fatal(err)
	}
	if a := held["a"]; a.ID != 1 || len(a.Ports) != 1 || a.Ports[0].String() != "800/tcp" {
		t.Fatalf("broken a holds %+v, want id 1 and 800/tcp", a)
	}
	if id, _ := s.NextID(); id != 3 {
		t.Fatalf("NextID = %d, want 3", id)
	}
	if err := s.CheckPorts("c", held["a"].Ports); err == nil || !strings.Contains(err.Error(), "a") {
		t.Fatalf("CheckPorts against broken a: %v", err)
	}
	os.Remove(s.reservedPath("b"))
	os.WriteFile(s.DefPath("b"), []byte("nonsense"), 0o644)
	if _, err := s.Reservations(); err == nil || !strings.Contains(err.Error(), "jail b is broken") {
		t.Fatalf("broken b without a record: %v", err)
	}
}
