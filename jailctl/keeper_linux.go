package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/jailsproject/jails/jailctl/store"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
)

// keep builds a jail's kernel state, starts jinit in it, reports to the
// starter (ok, or the error), and when jinit exits — for whatever reason —
// removes everything and records why. The keeper is the jail's only host
// process; it holds the eBPF port links, so enforcement lives exactly as
// long as the jail. With noServices, jinit runs none of the jail's
// services (jailctl apply on a stopped jail).
func keep(st *store.Store, r *store.Resolved, jinit string, noServices bool, report func(error), log hclog.Logger) error {
	// The stage's parent-death signal is tied to the forking thread.
	runtime.LockOSThread()
	name := r.Def.Name
	k, err := buildJail(st, r, jinit, noServices, log)
	report(err)
	if err != nil {
		return err
	}
	// The keeper now only waits: give back what setting up took, once the
	// jail's start is over (a forced GC now takes CPU from jinit's start).
	time.AfterFunc(freeMemoryAfter, debug.FreeOSMemory)
	return waitJail(st, name, childJinit{k.proc.Cmd}, func() error { k.teardown(st, name); return nil }, log)
}

// freeMemoryAfter is when a keeper returns the memory it used to set up.
const freeMemoryAfter = 3 * time.Second

type kept struct {
	cg    *kmod.Cgroup
	guard *ports.Guard
	proc  *kmod.Process
}

func buildJail(st *store.Store, r *store.Resolved, jinit string, noServices bool, log hclog.Logger) (*kept, error) {
	k := &kept{}
	if err := k.build(st, r, jinit, noServices, log); err != nil {
		k.teardown(st, r.Def.Name)
		return nil, err
	}
	return k, nil
}

func (k *kept) build(st *store.Store, r *store.Resolved, jinit string, noServices bool, log hclog.Logger) error {
	h, err := k.prepare(st, r)
	if err != nil {
		return err
	}
	defer h.close()
	spec := jailSpec(st, r, jinit, noServices, log)
	if k.proc, err = kmod.Spawn(spec, k.cg, kmod.SpawnOptions{Control: h.control, Console: h.console}); err != nil {
		return err
	}
	if err := k.guardPorts(r, log); err != nil {
		return err
	}
	if err := st.RecordStart(r.Def.Name, os.Getpid(), k.proc.Cmd.Process.Pid, k.cg); err != nil {
		return err
	}
	return k.proc.Release(spec)
}

// hostFiles are the host-side files a new jail's stage inherits.
type hostFiles struct{ control, console *os.File }

func (h hostFiles) close() {
	h.control.Close()
	h.console.Close()
}

// prepare makes what must exist before jinit's stage is cloned: the
// runtime directory, the control socket, the console log and the cgroup.
func (k *kept) prepare(st *store.Store, r *store.Resolved) (hostFiles, error) {
	var h hostFiles
	name := r.Def.Name
	if len(r.Ports) > 0 {
		if err := ports.Supported(); err != nil {
			return h, fmt.Errorf("jail %s reserves ports but eBPF port enforcement is unavailable here: %w", name, err)
		}
	}
	for _, d := range []string{st.RunDir(name), st.MntDir(name)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return h, fmt.Errorf("create %s: %w", d, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: st.SockPath(name), Net: "unix"})
	if err != nil {
		return h, fmt.Errorf("create control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	h.control, err = ln.File()
	ln.Close()
	if err != nil {
		return h, fmt.Errorf("create control socket: %w", err)
	}
	os.Chmod(st.SockPath(name), 0o600)
	h.console, err = os.OpenFile(st.ConsolePath(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		h.control.Close()
		return h, fmt.Errorf("open console log: %w", err)
	}
	// The plan is recorded before anything is made in the kernel, so that
	// a start killed from here on leaves what Reconcile can remove.
	cg, err := kmod.PlanCgroup(st.CgroupGroup(), name)
	if err == nil {
		err = st.RecordStart(name, os.Getpid(), 0, cg)
	}
	if err == nil {
		err = cg.Create(r.Limits)
	}
	if err != nil {
		h.close()
		return h, err
	}
	k.cg = cg
	return h, nil
}

func jailSpec(st *store.Store, r *store.Resolved, jinit string, noServices bool, log hclog.Logger) kmod.Spec {
	name := r.Def.Name
	if r.UserNS() == nil && store.UsesUserNS(r.Def.Profile) {
		log.Warn("the jail has no uid range (it was created before jails had user namespaces): it runs without one; recreate it", "jail", name)
	}
	return kmod.Spec{
		Name: name, Hostname: r.Def.HostnameOrName(), Root: r.Def.Root, Writable: st.RWDir(name),
		Mounts: r.Mounts, NetNone: r.Def.Net == "none", Profile: r.Def.Profile, Jinit: jinit, Mnt: st.MntDir(name),
		Debug: log.IsDebug(), NoServices: noServices, LogBuffer: r.LogBuffer, LogLineMax: r.LogLineMax,
		UserNS: r.UserNS(),
	}
}

// guardPorts attaches the jail's eBPF port programs to its cgroup. It runs
// while jinit's stage starts, before the stage is released.
func (k *kept) guardPorts(r *store.Resolved, log hclog.Logger) error {
	private, err := hostPrivatePorts()
	if err != nil {
		return err
	}
	if len(r.Ports) == 0 && r.Def.AllowUnreservedPorts && len(private) == 0 {
		return nil
	}
	g, err := ports.Attach(k.cg.V2, r.Ports, ports.Options{AllowUnreserved: r.Def.AllowUnreservedPorts, HostPrivate: private})
	switch {
	case err == nil:
		k.guard = g
	case len(r.Ports) > 0:
		return fmt.Errorf("enforce port ownership: %w", err)
	default:
		log.Warn("cannot restrict the jail's ports", "error", err)
	}
	return nil
}

// teardown removes the jail's kernel state and runtime files; every step
// tolerates what is already gone.
func (k *kept) teardown(st *store.Store, name string) {
	if k.proc != nil && k.proc.Cmd.ProcessState == nil {
		k.proc.Cmd.Process.Kill()
		k.proc.Cmd.Wait()
	}
	if k.cg != nil {
		k.cg.Destroy()
	}
	if k.guard != nil {
		k.guard.Close()
	}
	st.RemoveRunDir(name)
}
