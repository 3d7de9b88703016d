package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jailsproject/jails/kmod/ports"
	"github.com/jailsproject/jails/services"
)

func cmdCreate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("create", flag.ContinueOnError)
	var d Def
	var portList, mounts multiFlag
	var svcDir string
	fs.StringVar(&d.Root, "root", "", "prepared root used as the read-only base")
	fs.StringVar(&d.Profile, "profile", "high", "security profile: low, medium or high")
	fs.Var(&portList, "port", "reserve a port (8080, 8080/tcp, 53/udp); repeatable")
	fs.StringVar(&svcDir, "services", "", "service directories to install into the jail's /etc/service")
	fs.StringVar(&d.Hostname, "hostname", "", "hostname (default: the jail's name)")
	fs.BoolVar(&d.Autostart, "autostart", false, "start with `start --all`")
	fs.Var(&mounts, "mount", "bind mount SRC:DST[:ro]; repeatable")
	fs.StringVar(&d.Memory, "memory", "", "memory limit (e.g. 512M)")
	fs.Float64Var(&d.CPUs, "cpus", 0, "CPU limit in CPUs (e.g. 1.5)")
	fs.Int64Var(&d.Pids, "pids", 0, "process limit")
	fs.StringVar(&d.Net, "net", "host", "network: host (shared stack) or none (empty private one)")
	fs.BoolVar(&d.AllowUnreservedPorts, "allow-unreserved-ports", false, "let the jail bind ports it has not reserved")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"create takes exactly one NAME"}
	}
	d.Name, d.Ports, d.Mounts = pos[0], portList, mounts
	if d.Root != "" {
		d.Root = filepath.Clean(d.Root)
	}
	d.Created = time.Now().UTC().Truncate(time.Second)
	r, err := d.Resolve("create")
	if err != nil {
		return err
	}
	var svcs []*services.Service
	if svcDir != "" {
		var errs []error
		if svcs, errs = services.Scan(svcDir); len(errs) > 0 {
			return fmt.Errorf("create %s: --services: %w", d.Name, errors.Join(errs...))
		}
		if err := services.CheckGraph(svcs); err != nil {
			return fmt.Errorf("create %s: --services: %w", d.Name, err)
		}
	}
	lk, err := e.st.Lock(d.Name)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if _, err := os.Stat(e.st.jailDir(d.Name)); err == nil {
		return fmt.Errorf("create %s: a jail with this name already exists", d.Name)
	}
	if err := e.st.checkPorts(d.Name, r.Ports); err != nil {
		return fmt.Errorf("create %s: %w", d.Name, err)
	}
	if r.Def.ID, err = e.st.nextID(); err != nil {
		return err
	}
	if err := e.st.materialise(r, svcDir); err != nil {
		os.RemoveAll(e.st.jailDir(d.Name)) // no partial state
		return fmt.Errorf("create %s: %w", d.Name, err)
	}
	fmt.Fprintf(e.stdout, "created jail %s (id %d)\n", d.Name, r.Def.ID)
	return nil
}

// checkPorts refuses ports another jail has reserved, naming it.
func (s *Store) checkPorts(name string, own []ports.Port) error {
	if len(own) == 0 {
		return nil
	}
	names, err := s.Names()
	if err != nil {
		return err
	}
	others := map[string][]ports.Port{}
	for _, n := range names {
		if n == name {
			continue
		}
		if r, err := LoadDef(s.defPath(n)); err == nil {
			others[n] = r.Ports
		}
	}
	return ports.CheckConflicts(name, own, others)
}

func (s *Store) nextID() (int, error) {
	names, err := s.Names()
	if err != nil {
		return 0, err
	}
	id := 1
	for _, n := range names {
		if r, err := LoadDef(s.defPath(n)); err == nil && r.Def.ID >= id {
			id = r.Def.ID + 1
		}
	}
	return id, nil
}

// materialise writes the definition and the writable layer: a minimal
// /etc (or a copy of the prepared root's), the service directories, and
// empty /var /tmp /home /root.
func (s *Store) materialise(r *Resolved, svcDir string) error {
	name := r.Def.Name
	rw := s.rwDir(name)
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"etc", 0o755}, {"var", 0o755}, {"tmp", 0o1777}, {"home", 0o755}, {"root", 0o700}, {"etc/service", 0o755}} {
		p := filepath.Join(rw, d.path)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return err
		}
	}
	for _, d := range []string{"var/log", "var/run", "var/tmp"} {
		os.MkdirAll(filepath.Join(rw, d), 0o755)
	}
	if r.Def.Root != "" {
		if err := copyTree(filepath.Join(r.Def.Root, "etc"), filepath.Join(rw, "etc")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("copy the root's /etc: %w", err)
		}
	}
	if err := seedEtc(filepath.Join(rw, "etc"), r.Def.hostname(), r.Def.Root == ""); err != nil {
		return err
	}
	if svcDir != "" {
		if err := copyTree(svcDir, filepath.Join(rw, "etc", "service")); err != nil {
			return fmt.Errorf("install services: %w", err)
		}
	}
	if err := os.MkdirAll(s.logDir(name), 0o755); err != nil {
		return err
	}
	return r.Def.Save(s.defPath(name))
}

// seedEtc writes the files a jail needs to resolve users and names. With
// a prepared root, files it already has are kept.
func seedEtc(etc, hostname string, overwrite bool) error {
	files := []struct{ name, body string }{
		{"passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
		{"group", "root:x:0:\nnogroup:x:65534:\n"},
		{"hosts", "127.0.0.1\tlocalhost " + hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
		{"hostname", hostname + "\n"},
		{"nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"},
	}
	for _, f := range files {
		p := filepath.Join(etc, f.name)
		if _, err := os.Lstat(p); err == nil && !overwrite && f.name != "hostname" && f.name != "hosts" {
			continue
		}
		os.Remove(p)
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			return fmt.Errorf("seed /etc/%s: %w", f.name, err)
		}
	}
	// The host's resolver configuration: jails share its network by default.
	if b, err := readSmall("/etc/resolv.conf", 64<<10); err == nil {
		os.Remove(filepath.Join(etc, "resolv.conf"))
		os.WriteFile(filepath.Join(etc, "resolv.conf"), b, 0o644)
	}
	return nil
}

// copyTree copies a directory tree without following symlinks (they are
// copied as symlinks); devices, sockets and FIFOs are skipped.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(out, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(out)
			return os.Symlink(t, out)
		case info.Mode().IsRegular():
			return copyFile(p, out, info.Mode().Perm())
		}
		return nil
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func cmdDestroy(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("destroy", flag.ContinueOnError)
	force := fs.Bool("force", false, "stop the jail first if it is running")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"destroy takes exactly one NAME"}
	}
	name := pos[0]
	if err := e.st.mustExist(name); err != nil {
		return err
	}
	lk, err := e.st.Lock(name)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if err := e.st.reconcile(name); err != nil {
		return err
	}
	if e.st.running(name) != nil {
		if !*force {
			return fmt.Errorf("destroy %s: the jail is running (stop it first, or use --force)", name)
		}
		if err := e.stopLocked(ctx, name, 30*time.Second); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(e.st.jailDir(name)); err != nil {
		return fmt.Errorf("destroy %s: %w", name, err)
	}
	os.RemoveAll(e.st.logDir(name))
	os.Remove(filepath.Join(e.st.Lib, "."+name+".lock"))
	fmt.Fprintf(e.stdout, "destroyed jail %s\n", name)
	return nil
}

// mustExist checks the name and that the jail is defined.
func (s *Store) mustExist(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if _, err := os.Stat(s.defPath(name)); err != nil {
		return fmt.Errorf("no such jail: %s", name)
	}
	return nil
}
