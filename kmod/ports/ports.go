// Package ports is the kernel side of jail port ownership.
//
// A jail reserves ports ("8080/tcp", "53/udp"). The kernel then lets only
// processes of that jail bind them (on any address, IPv4 and IPv6), and by
// default lets the jail bind nothing but its own ports and ephemeral ones.
//
// On Linux the rules are eBPF cgroup/bind4 and cgroup/bind6 programs
// attached to the jail's cgroup and to the cgroup2 root (see
// kmod/linux/README.md): the jail's go with its cgroup, the root's are
// removed by the jail's teardown (Remove, Sweep). On NetBSD the
// secmodel_jail kernel module enforces reservations itself.
//
// The types and CheckConflicts are plain Go and work on every platform.
package ports

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxPorts is the most ports one jail may reserve. It sizes the kernel map.
const MaxPorts = 256

// Proto is a transport protocol with its own port space.
type Proto uint8

// The zero Proto is invalid on purpose so that an unset field is caught.
const (
	TCP Proto = iota + 1
	UDP
)

// String returns "tcp" or "udp".
func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return "proto(" + strconv.Itoa(int(p)) + ")"
}

// Port is one reservable port: a protocol and a number (1..65535).
type Port struct {
	Proto Proto
	Num   uint16
}

// String returns the canonical form "8080/tcp", which ParsePort accepts.
func (p Port) String() string {
	return strconv.Itoa(int(p.Num)) + "/" + p.Proto.String()
}

// Valid reports why p cannot be reserved, or nil.
func (p Port) Valid() error {
	if p.Proto != TCP && p.Proto != UDP {
		return fmt.Errorf("port %s: protocol must be tcp or udp", p)
	}
	if p.Num == 0 {
		return fmt.Errorf("port %s: port 0 (ephemeral) cannot be reserved", p)
	}
	return nil
}

// ParsePort parses "8080", "8080/tcp" or "53/udp". A bare number means TCP,
// as in the --port flag of jailctl create. The protocol is case-insensitive.
func ParsePort(s string) (Port, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	p := Port{Proto: TCP}
	if hasProto {
		switch strings.ToLower(proto) {
		case "tcp":
			p.Proto = TCP
		case "udp":
			p.Proto = UDP
		default:
			return Port{}, fmt.Errorf("parse port %q: protocol must be tcp or udp", s)
		}
	}
	// Digits only: strconv alone would also take "+80" with base 0 and we
	// want one spelling per port in definitions and messages.
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return Port{}, fmt.Errorf("parse port %q: want NUMBER[/tcp|/udp]", s)
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil {
		return Port{}, fmt.Errorf("parse port %q: number must be 1..65535", s)
	}
	if n == 0 {
		return Port{}, fmt.Errorf("parse port %q: port 0 (ephemeral) cannot be reserved", s)
	}
	p.Num = uint16(n)
	return p, nil
}

// Options tune what a jail may bind besides its own ports.
type Options struct {
	// AllowUnreserved lets the jail bind any port that no other jail
	// reserved. The default (false) allows only its own ports and port 0.
	AllowUnreserved bool
	// HostPrivate are ports no jail may connect or send to, on any
	// address: the host's own services that must not hear from jails,
	// the collector's above all (DefaultHostPrivate).
	HostPrivate []Port
}

// DefaultHostPrivate is the collector's default listening port
// (jails-collector and jailctl collector: --listen 127.0.0.1:9750).
var DefaultHostPrivate = []Port{{Proto: TCP, Num: 9750}}

// ParsePorts parses a comma- or space-separated list of ParsePort forms;
// "" is the empty list.
func ParsePorts(s string) ([]Port, error) {
	var out []Port
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := ParsePort(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ConflictError says that a port is already reserved by another jail.
type ConflictError struct {
	Port  Port
	Owner string // name of the jail that reserved Port
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("port %s is reserved by jail %q", e.Port, e.Owner)
}

// CheckConflicts returns one *ConflictError per port of own that a jail in
// others (other than name itself) already reserved, joined with
// errors.Join, or nil. The order is stable: own's order, then owner name.
func CheckConflicts(name string, own []Port, others map[string][]Port) error {
	owners := make([]string, 0, len(others))
	for jail := range others {
		if jail != name {
			owners = append(owners, jail)
		}
	}
	sort.Strings(owners)
	var errs []error
	for _, p := range own {
		for _, jail := range owners {
			if slices.Contains(others[jail], p) {
				errs = append(errs, &ConflictError{Port: p, Owner: jail})
			}
		}
	}
	return errors.Join(errs...)
}

// normalize validates own and returns it sorted without duplicates.
func normalize(own []Port) ([]Port, error) {
	if len(own) > MaxPorts {
		return nil, fmt.Errorf("reserve %d ports: at most %d per jail", len(own), MaxPorts)
	}
	out := slices.Clone(own)
	for _, p := range out {
		if err := p.Valid(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Port) int {
		if a.Proto != b.Proto {
			return int(a.Proto) - int(b.Proto)
		}
		return int(a.Num) - int(b.Num)
	})
	return slices.Compact(out), nil
}
