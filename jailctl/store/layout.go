package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
	"github.com/jailsproject/jails/services"
)

// CheckPorts refuses ports another jail has reserved, naming it. A jail
// whose definition is broken keeps what it last reserved (Reservation).
func (s *Store) CheckPorts(name string, own []ports.Port) error {
	if len(own) == 0 {
		return nil
	}
	held, err := s.Reservations()
	if err != nil {
		return err
	}
	others := map[string][]ports.Port{}
	for n, r := range held {
		if n != name {
			others[n] = r.Ports
		}
	}
	return ports.CheckConflicts(name, own, others)
}

// NextID is the lowest id above every jail's, broken ones included.
func (s *Store) NextID() (int, error) {
	held, err := s.Reservations()
	if err != nil {
		return 0, err
	}
	id := 1
	for _, r := range held {
		if r.ID >= id {
			id = r.ID + 1
		}
	}
	return id, nil
}

// Materialise writes the definition and the writable layer: a minimal
// /etc (or a copy of the prepared root's), the service directories, and
// empty /var /tmp /home /root.
func (s *Store) Materialise(r *Resolved, svcDir string) error {
	name := r.Def.Name
	rw := s.RWDir(name)
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"etc", 0o755}, {"var", 0o755}, {"tmp", 0o777 | os.ModeSticky}, {"home", 0o755}, {"root", 0o700}, {"etc/service", 0o755}} {
		p := filepath.Join(rw, d.path)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return err
		}
	}
	if r.Def.Root == "" {
		own := func(p string) bool { return kmod.Under(s.Lib, p) || kmod.Under(s.Log, p) || kmod.Under(s.Run, p) }
		if err := kmod.SeedVar("/var", filepath.Join(rw, "var"), kmod.VarDepth, own); err != nil {
			return err
		}
	}
	for _, d := range []string{"var/log", "var/run"} {
		os.MkdirAll(filepath.Join(rw, d), 0o755)
	}
	vt := filepath.Join(rw, "var", "tmp")
	if err := os.MkdirAll(vt, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(vt, 0o777|os.ModeSticky); err != nil {
		return err
	}
	if r.Def.Root != "" {
		if err := services.CopyTree(filepath.Join(r.Def.Root, "etc"), filepath.Join(rw, "etc")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("copy the root's /etc: %w", err)
		}
	}
	if err := seedEtc(filepath.Join(rw, "etc"), r.Def.HostnameOrName(), r.Def.Root == ""); err != nil {
		return err
	}
	if svcDir != "" {
		if err := services.Install(svcDir, filepath.Join(rw, "etc", "service")); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(s.LogDir(name), 0o755); err != nil {
		return err
	}
	return r.Def.Save(s.DefPath(name))
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
		if overwrite && !seedUsers && (f.name == "passwd" || f.name == "group" || f.name == "nsswitch.conf") {
			continue // the host's own show through the jail's /etc (kmod/etcplan.go)
		}
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
	if b, err := ReadSmall("/etc/resolv.conf", 64<<10); err == nil {
		os.Remove(filepath.Join(etc, "resolv.conf"))
		os.WriteFile(filepath.Join(etc, "resolv.conf"), b, 0o644)
	}
	return nil
}

// MustExist checks the name and that the jail is defined.
func (s *Store) MustExist(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if _, err := os.Stat(s.DefPath(name)); err != nil {
		return fmt.Errorf("no such jail: %s", name)
	}
	return nil
}
