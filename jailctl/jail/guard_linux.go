package jail

import (
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
)

// guard is a jail's port enforcement on Linux: eBPF programs attached to
// its cgroup and the cgroup2 root (kmod/ports). A started jail keeps them
// for its life (Leave); its teardown removes them (destroyKernel).
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

// Leave leaves the programs in force for the jail's life.
func (g guard) Leave() {
	if g.g != nil {
		g.g.Leave()
	}
}

// Close detaches the programs and drops the reservations: a start that
// failed.
func (g guard) Close() {
	if g.g != nil {
		g.g.Close()
	}
}

// removeGuard removes the jail's port programs from the cgroup2 root; its
// own go with its cgroup.
func removeGuard(j *kmod.Jail) error {
	if j.CgroupID == 0 {
		return nil
	}
	err := ports.Remove(j.CgroupID)
	if err != nil && ports.Supported() != nil {
		return nil // a kernel that cannot run the programs has none attached
	}
	return err
}

// guardLeft names the jail's port programs still on the cgroup2 root.
func guardLeft(j *kmod.Jail) []string {
	if j.CgroupID == 0 {
		return nil
	}
	progs, err := ports.Attached(j.CgroupID)
	// A kernel that cannot run the programs has none attached.
	if err != nil && ports.Supported() == nil {
		progs = append(progs, "port programs unknown: "+err.Error())
	}
	return progs
}
