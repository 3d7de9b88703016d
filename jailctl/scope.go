package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jailsproject/jails/jailctl/systemd"
	"github.com/jailsproject/jails/kmod"
)

// jailSlice holds the jails' transient scopes beside the jail@NAME
// services (systemd puts those in system-jail.slice too).
const jailSlice = "system-jail.slice"

// ownScope moves this process, where systemd is init, into a new
// transient scope for the jail it is about to start, so the jail outlives
// the session or unit that ran jailctl. The scope is delegated: the jail's
// cgroup is made inside it.
func (e *env) ownScope(ctx context.Context, name string) error {
	if !systemd.Booted() || e.st.Running(name) != nil {
		return nil
	}
	unit := systemd.UnitName("jail", name)
	if g := e.st.CgroupGroup(); g != "jails" {
		unit = systemd.UnitName(g, name) // another instance (--state-dir)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 := time.Now()
	err := systemd.StartScope(ctx, systemd.Scope{Unit: unit, Description: "Jail " + name, Slice: jailSlice, PID: os.Getpid()})
	if err == nil {
		// Out of the scope's own cgroup before the jail's is made, so the
		// scope can hand its controllers down (cgroup v2).
		err = kmod.EnterDelegatedLeaf()
	}
	if err != nil {
		return fmt.Errorf("give the jail a scope of its own: %w", err)
	}
	e.log.Debug("moved into a transient scope", "unit", unit, "took", time.Since(t0))
	return nil
}
