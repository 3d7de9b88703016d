package kmod

import (
	"errors"
	"fmt"
	"slices"

	"github.com/jailsproject/jails/kmod/profile"
	"github.com/jailsproject/jails/kmod/secmodel"
)

// ErrNoLimits refuses resource limits where the kernel has no per-jail
// accounting to enforce them (NetBSD: secmodel_jail confines, it does not
// meter; the reference dropped its aggregate limits as too risky). A
// limit that silently did nothing would be worse than a refusal.
var ErrNoLimits = errors.New("memory, cpus and pids limits are not enforced on NetBSD: remove them from the jail definition")

// SecmodelRequest maps a jail's spec onto a secmodel_jail create request:
// the profile by name, the reserved ports, and AllowUnreserved as
// FlagAnyPort. It refuses what the module cannot enforce: limits, and more
// ports than it holds. It is plain Go so that it is tested on every system.
func SecmodelRequest(spec Spec) (secmodel.CreateRequest, error) {
	fail := func(err error) (secmodel.CreateRequest, error) {
		return secmodel.CreateRequest{}, fmt.Errorf("jail %s: %w", spec.Name, err)
	}
	if spec.Limits != (Limits{}) {
		return fail(ErrNoLimits)
	}
	p, err := profile.Parse(spec.Profile)
	if err != nil {
		return fail(err)
	}
	code := uint32(secmodel.ProfileHigh)
	switch p {
	case profile.Low:
		code = secmodel.ProfileLow
	case profile.Medium:
		code = secmodel.ProfileMedium
	}
	kp, err := secmodelPorts(spec.Reserved)
	if err != nil {
		return fail(err)
	}
	var flags uint32
	if spec.AllowUnreserved {
		flags |= secmodel.FlagAnyPort
	}
	req, err := secmodel.NewCreateRequest(spec.Name, code, flags, kp)
	if err != nil {
		return fail(err)
	}
	return req, nil
}

// secmodelPorts gives each reserved number one kernel slot with its
// protocols, ordered by port, so equal sets give equal requests.
func secmodelPorts(own []Reservation) ([]secmodel.Port, error) {
	byNum := map[uint16]uint8{}
	for _, r := range own {
		if r.Port == 0 || !r.TCP && !r.UDP {
			return nil, fmt.Errorf("invalid port reservation %+v", r)
		}
		if r.TCP {
			byNum[r.Port] |= secmodel.ProtoTCP
		}
		if r.UDP {
			byNum[r.Port] |= secmodel.ProtoUDP
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
