package services

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Install copies the service directories of src (a scan directory) into
// dst, a jail's /etc/service. A top-level symlink (runit's enabled set is
// a directory of links to /etc/sv/NAME) is resolved: its target directory
// is copied, since the link would dangle inside the jail; a dangling one is
// an error naming it. Inside a service directory, symlinks are copied as
// they are (Debian's supervise -> /run/runit/supervise/NAME is meant to be
// resolved inside the jail). FIFOs, sockets and devices are left out.
func Install(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("install services from %s: %w", src, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("install services: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		from := filepath.Join(src, name)
		if e.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(from)
			if err != nil {
				link, _ := os.Readlink(from)
				return fmt.Errorf("install services: %s: dangling symlink to %s", from, link)
			}
			from = target
		}
		fi, err := os.Stat(from)
		if err != nil {
			return fmt.Errorf("install services: %w", err)
		}
		if !fi.IsDir() {
			continue // Scan skips plain files too
		}
		if err := CopyTree(from, filepath.Join(dst, name)); err != nil {
			return fmt.Errorf("install service %s: %w", name, err)
		}
	}
	return nil
}

// CopyTree copies a directory tree without following symlinks below it
// (they are copied as symlinks); devices, sockets and FIFOs are skipped,
// and what is in the way at dst is replaced.
func CopyTree(src, dst string) error {
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
		switch mode := info.Mode(); {
		case mode.IsDir():
			return os.MkdirAll(out, mode.Perm()|0o700)
		case mode&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(out)
			return os.Symlink(t, out)
		case mode.IsRegular():
			return copyFile(p, out, mode.Perm())
		}
		return nil
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return errors.Join(out.Close(), os.Chmod(dst, mode))
}
