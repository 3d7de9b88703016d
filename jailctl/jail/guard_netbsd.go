package jail

import (
	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
)

// guard is nothing on NetBSD: the secmodel_jail module enforces the ports
// given at the jail's creation (kmod.Jail.Create).
type guard struct{}

func checkGuard(r *store.Resolved) error { return nil }

func attachGuard(j *kmod.Jail, r *store.Resolved, _ []ports.Port, log hclog.Logger) (guard, error) {
	return guard{}, nil
}

func (g guard) Leave() {}

func (g guard) Close() {}

// removeGuard does nothing: the module's port reservations end with the
// jail.
func removeGuard(j *kmod.Jail) error { return nil }

// guardLeft names nothing on NetBSD.
func guardLeft(j *kmod.Jail) []string { return nil }
