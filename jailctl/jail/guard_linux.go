package jail

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
)

// guard is a jail's port enforcement on Linux: eBPF programs attached to
// its cgroup and the cgroup2 root, held as links (kmod/ports). The keeper
// holds them for the jail's life.
type guard struct{ g *ports.Guard }

// checkGuard fails a jail that reserves ports where they cannot be
// enforced, before anything is made.
func checkGuard(r *store.Resolved) error {
	if len(r.Ports) == 0 {
		return nil
	}
	if err := ports.Supported(); err != nil {
		return fmt.Errorf("jail %s reserves ports but eBPF port enforcement is unavailable here: %w", r.Def.Name, err)
	}
	return nil
}

// attachGuard attaches the jail's port programs. It runs while jinit's
// stage starts, before the stage is released.
func attachGuard(j *kmod.Jail, r *store.Resolved, private []ports.Port, log hclog.Logger) (guard, error) {
	if len(r.Ports) == 0 && r.Def.AllowUnreservedPorts && len(private) == 0 {
		return guard{}, nil
	}
	opt := ports.Options{AllowUnreserved: r.Def.AllowUnreservedPorts, HostPrivate: private}
	g, err := ports.Attach(j.V2, r.Ports, opt)
	switch {
	case err == nil:
		return guard{g}, nil
	case len(r.Ports) > 0:
		return guard{}, fmt.Errorf("enforce port ownership: %w", err)
	default:
		log.Warn("cannot restrict the jail's ports", "error", err)
		return guard{}, nil
	}
}

// Files are copies of the link descriptors, for the keeper.
func (g guard) Files() ([]*os.File, error) {
	if g.g == nil {
		return nil, nil
	}
	return g.g.Files()
}

// Close detaches the programs held here (a keeper's copies stay).
func (g guard) Close() {
	if g.g != nil {
		g.g.Close()
	}
}
