package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
	"github.com/jailsproject/jails/kmod/profile"
	"github.com/jailsproject/jails/kmod/secmodel"
)

// errNoLimits refuses resource limits where the kernel has no per-jail
// accounting to enforce them (NetBSD: secmodel_jail confines, it does not
// meter; the reference dropped its aggregate limits as too risky). A
// limit that silently did nothing would be worse than a refusal.
var errNoLimits = errors.New("memory, cpus and pids limits are not enforced on NetBSD: remove them from the jail definition")

// secmodelRequest maps a jail's definition onto a secmodel_jail create
// request: the profile by name, the reserved ports (a port reserved for
// both TCP and UDP takes one kernel slot), and allowUnreserved as
// FlagAnyPort. It refuses what the module cannot enforce: limits, and more
// ports than it holds. It is plain Go so that it is tested on every system.
func secmodelRequest(name, prof string, own []ports.Port, allowUnreserved bool, lim kmod.Limits) (secmodel.CreateRequest, error) {
	if lim != (kmod.Limits{}) {
		return secmodel.CreateRequest{}, fmt.Errorf("jail %s: %w", name, errNoLimits)
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
