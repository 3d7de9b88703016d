package kmod

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jailsproject/jails/kmod/ports"
	"github.com/jailsproject/jails/kmod/profile"
	"github.com/jailsproject/jails/kmod/secmodel"
)

// ErrNoLimits refuses resource limits where the kernel has no per-jail
// accounting to enforce them (NetBSD: secmodel_jail confines, it does not
// meter; the reference dropped its aggregate limits as too risky). A
// limit that silently did nothing would be worse than a refusal.
var ErrNoLimits = errors.New("memory, cpus and pids limits are not enforced on NetBSD: remove them from the jail definition")

// SecmodelRequest maps a jail's definition onto a secmodel_jail create
// request: the profile by name, the reserved ports (a port reserved for
// both TCP and UDP takes one kernel slot), and allowUnreserved as
// FlagAnyPort. It refuses what the module cannot enforce: limits, and more
// ports than it holds. It is plain Go so that it is tested on every system.
func SecmodelRequest(name, prof string, own []ports.Port, allowUnreserved bool, lim Limits) (secmodel.CreateRequest, error) {
	if lim != (Limits{}) {
		return secmodel.CreateRequest{}, fmt.Errorf("jail %s: %w", name, ErrNoLimits)
	}
	p, err := profile.Parse(prof)
	if err != nil {
		return secmodel.CreateRequest{}, fmt.Errorf("jail %s: %w", name, err)
	}
	var code uint32
	switch p {
	case profile.Low:
		code = secmodel.ProfileLow
	case profile.Medium:
		code = secmodel.ProfileMedium
	default:
		code = secmodel.ProfileHigh
	}
	kp, err := secmodelPorts(own)
	if err != nil {
		return secmodel.CreateRequest{}, fmt.Errorf("jail %s: %w", name, err)
	}
	var flags uint32
	if allowUnreserved {
		flags |= secmodel.FlagAnyPort
	}
	req, err := secmodel.NewCreateRequest(name, code, flags, kp)
	if err != nil {
		return secmodel.CreateRequest{}, fmt.Errorf("jail %s: %w", name, err)
	}
	return req, nil
}

// secmodelPorts merges TCP and UDP reservations of one number into one
// entry and orders the result by port, so equal sets give equal requests.
func secmodelPorts(own []ports.Port) ([]secmodel.Port, error) {
	byNum := map[uint16]uint8{}
	for _, p := range own {
		if err := p.Valid(); err != nil {
			return nil, err
		}
		switch p.Proto {
		case ports.TCP:
			byNum[p.Num] |= secmodel.ProtoTCP
		case ports.UDP:
			byNum[p.Num] |= secmodel.ProtoUDP
		}
	}
	if len(byNum) > secmodel.PortsMax {
		return nil, fmt.Errorf("%d reserved port numbers: secmodel_jail holds at most %d per jail", len(byNum), secmodel.PortsMax)
	}
	out := make([]secmodel.Port, 0, len(byNum))
	for num, proto := range byNum {
		out = append(out, secmodel.Port{Port: num, Proto: proto})
	}
	slices.SortFunc(out, func(a, b secmodel.Port) int { return int(a.Port) - int(b.Port) })
	return out, nil
}

// usageOf turns a secmodel_jail list entry into a Usage: CPU from the
// statclock ticks of live members (at hz per second) plus the reaped
// children's time, memory from resident pages (shared pages counted once
// per member, as the module sums them).
func usageOf(in secmodel.Info, hz, pageSize int64) Usage {
	u := Usage{
		Procs:    int(in.NProcs),
		MemBytes: int64(in.RSSPages) * pageSize,
		CPU:      time.Duration(in.ChildCPUUsec) * time.Microsecond,
	}
	if hz > 0 {
		t, h := in.CPUTicks, uint64(hz)
		if t/h >= uint64(math.MaxInt64/time.Second) {
			u.CPU = math.MaxInt64 // beyond what a Duration holds (292 years)
			return u
		}
		u.CPU += time.Duration(t/h)*time.Second + time.Duration(t%h)*time.Second/time.Duration(h)
	}
	return u
}
