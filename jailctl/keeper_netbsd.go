package main

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/jailsproject/jails/jailctl/store"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod"
)

// keep builds a jail's kernel state, starts jinit in it, reports to the
// starter (ok, or the error), and when jinit exits — for whatever reason —
// removes everything and records why. On NetBSD the kernel state is a
// secmodel_jail jail (profile and ports enforced by the module) and a root
// composed in the host's mount table; the keeper is the host process that
// removes both. If it dies instead, the next command on the jail does
// (store.Reconcile). With noServices, jinit runs none of the jail's
// services (jailctl apply on a stopped jail).
func keep(st *store.Store, r *store.Resolved, jinit string, noServices bool, report func(error), log hclog.Logger) error {
	name := r.Def.Name
	k, err := buildJail(st, r, jinit, noServices, log)
	report(err)
	if err != nil {
		return err
	}
	return waitJail(st, name, childJinit{k.proc.Cmd}, func() error { return k.teardown(st, name, log) }, log)
}

type kept struct {
	jail *kmod.Jail
	proc *kmod.Process
	// pipeW is the keeper pipe's write end, held for the keeper's life:
	// when the keeper dies, jinit reads end of file and ends the jail.
	pipeW *os.File
}

func buildJail(st *store.Store, r *store.Resolved, jinit string, noServices bool, log hclog.Logger) (*kept, error) {
	k := &kept{}
	if err := k.build(st, r, jinit, noServices, log); err != nil {
		if terr := k.teardown(st, r.Def.Name, log); terr != nil {
			log.Error("jail teardown incomplete; the next command on it retries", "jail", r.Def.Name, "error", terr)
		}
		return nil, err
	}
	return k, nil
}

// build checks what NetBSD cannot do before touching anything, records
// the jail's root before mounting it and its id as soon as it exists, so
// that whatever happens next can be undone from the runtime file.
func (k *kept) build(st *store.Store, r *store.Resolved, jinit string, noServices bool, log hclog.Logger) error {
	name := r.Def.Name
	if r.Def.Net == "none" {
		return errors.New("net = \"none\" needs a network namespace, which NetBSD lacks: jails share the host's network there")
	}
	req, err := secmodelRequest(name, r.Def.Profile, r.Ports, r.Def.AllowUnreservedPorts, r.Limits)
	if err != nil {
		return err
	}
	for _, d := range []string{st.RunDir(name), st.MntDir(name)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	k.jail = &kmod.Jail{Name: name, Root: st.MntDir(name)}
	if err := st.RecordStart(name, os.Getpid(), 0, k.jail); err != nil {
		return err
	}
	lnFile, console, err := openEnds(st, name)
	if err != nil {
		return err
	}
	defer lnFile.Close()
	defer console.Close()
	spec := kmod.Spec{
		Name: name, Hostname: r.Def.HostnameOrName(), Root: r.Def.Root, Writable: st.RWDir(name),
		Mounts: r.Mounts, Profile: r.Def.Profile, Jinit: jinit, Mnt: st.MntDir(name), Debug: log.IsDebug(),
		NoServices: noServices, LogBuffer: r.LogBuffer, LogLineMax: r.LogLineMax,
	}
	if err := kmod.ComposeRoot(spec, log); err != nil {
		return err
	}
	if err := k.jail.Create(req); err != nil {
		return err
	}
	if err := st.RecordStart(name, os.Getpid(), 0, k.jail); err != nil {
		return err
	}
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create keeper pipe: %w", err)
	}
	k.pipeW = pipeW
	k.proc, err = kmod.Spawn(spec, k.jail, lnFile, console, pipeR)
	pipeR.Close()
	if err != nil {
		return err
	}
	if err := st.RecordStart(name, os.Getpid(), k.proc.Cmd.Process.Pid, k.jail); err != nil {
		return err
	}
	return k.proc.Release(spec)
}

// openEnds creates jinit's listening control socket and opens the console
// log it writes to.
func openEnds(st *store.Store, name string) (*os.File, *os.File, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: st.SockPath(name), Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("create control socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	lnFile, err := ln.File()
	ln.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("create control socket: %w", err)
	}
	os.Chmod(st.SockPath(name), 0o600)
	console, err := os.OpenFile(st.ConsolePath(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		lnFile.Close()
		return nil, nil, fmt.Errorf("open console log: %w", err)
	}
	return lnFile, console, nil
}

// teardown kills what is left of the jail, destroys it in the module and
// unmounts its root. Only then are the runtime files removed: until the
// root is unmounted, removing them would reach into the writable layer and
// the extra mounts through the null mounts.
func (k *kept) teardown(st *store.Store, name string, log hclog.Logger) error {
	if k.proc != nil && k.proc.Cmd.ProcessState == nil {
		k.proc.Cmd.Process.Kill()
		k.proc.Cmd.Wait()
	}
	if k.jail != nil {
		// On failure the runtime file stays: it names the root and the id,
		// which is all Reconcile needs to finish the job.
		if err := k.jail.Destroy(log); err != nil {
			return err
		}
	}
	return st.RemoveRunDir(name)
}
