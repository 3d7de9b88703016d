package ports

import "errors"

// errNetBSD explains why there is nothing to attach on NetBSD.
var errNetBSD = errors.New("eBPF port guard not supported on NetBSD: enforced by secmodel_jail")

// Guard is never returned on NetBSD; the type exists so that callers
// compile on every platform.
type Guard struct{}

// Attach always fails on NetBSD: the secmodel_jail kernel module enforces
// the ports given at jail creation.
func Attach(jailCgroupDir string, own []Port, opt Options) (*Guard, error) {
	return nil, errNetBSD
}

// Ports returns nothing: a NetBSD Guard enforces nothing.
func (g *Guard) Ports() []Port { return nil }

// Close does nothing.
func (g *Guard) Close() error { return nil }

// Supported reports that this package does not enforce ports on NetBSD.
func Supported() error { return errNetBSD }

// Release does nothing: secmodel_jail's reservations end with the jail.
func Release() error { return nil }

// Leave does nothing.
func (g *Guard) Leave() {}

// Remove does nothing: a NetBSD jail's ports end with the jail.
func Remove(id uint64) error { return nil }

// Sweep does nothing on NetBSD.
func Sweep() error { return nil }

// Attached lists nothing on NetBSD.
func Attached(id uint64) ([]string, error) { return nil, nil }

// Orphans names nothing on NetBSD.
func Orphans() ([]string, error) { return nil, nil }
