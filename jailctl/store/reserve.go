package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/jailsproject/jails/kmod/ports"
)

// Reservation is what a jail holds against every other jail: its id and
// its ports. lib/NAME/reserved.json keeps the last that a valid definition
// gave, so that a definition broken by a hand edit keeps them: no other
// jail can take them meanwhile, and the jail starts again once repaired.
type Reservation struct {
	ID    int
	Ports []ports.Port
}

// reservationFile is reserved.json: ports as they are written in a
// definition ("8080/tcp").
type reservationFile struct {
	ID    int      `json:"id"`
	Ports []string `json:"ports"`
}

func (s *Store) reservedPath(name string) string {
	return filepath.Join(s.Lib, name, "reserved.json")
}

// Reserve records r's id and ports as the jail's reservation, if they
// differ from the recorded one.
func (s *Store) Reserve(r *Resolved) error {
	want := Reservation{ID: r.Def.ID, Ports: r.Ports}
	if want.Ports == nil {
		want.Ports = []ports.Port{}
	}
	if got, err := s.readReservation(r.Def.Name); err == nil && got.ID == want.ID && slices.Equal(got.Ports, want.Ports) {
		return nil
	}
	f := reservationFile{ID: want.ID, Ports: []string{}}
	for _, p := range want.Ports {
		f.Ports = append(f.Ports, p.String())
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("record the reservation of jail %s: %w", r.Def.Name, err)
	}
	return WriteAtomic(s.reservedPath(r.Def.Name), b, 0o644)
}

func (s *Store) readReservation(name string) (*Reservation, error) {
	b, err := ReadSmall(s.reservedPath(name), 1<<20)
	if err != nil {
		return nil, err
	}
	var f reservationFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", s.reservedPath(name), err)
	}
	r := &Reservation{ID: f.ID, Ports: []ports.Port{}}
	for _, ps := range f.Ports {
		p, err := ports.ParsePort(ps)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.reservedPath(name), err)
		}
		r.Ports = append(r.Ports, p)
	}
	return r, nil
}

// Reservations returns every jail's reservation: from its definition, or,
// where that is broken, from the last one recorded. A broken jail with no
// record is an error naming it: what it holds cannot be known.
func (s *Store) Reservations() (map[string]Reservation, error) {
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	out := map[string]Reservation{}
	for _, n := range names {
		r, derr := LoadDef(s.DefPath(n))
		if derr == nil {
			out[n] = Reservation{ID: r.Def.ID, Ports: r.Ports}
			continue
		}
		rec, rerr := s.readReservation(n)
		if rerr != nil {
			return nil, fmt.Errorf("jail %s is broken and what it reserves is not recorded: %w", n, derr)
		}
		out[n] = *rec
	}
	return out, nil
}
