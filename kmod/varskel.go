package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// VarDepth is how deep SeedVar copies the host's /var: deep enough for the
// directories packages make at install time (/var/spool/cron/crontabs,
// /var/lib/postgresql/15, /var/log/nginx, /var/lib/redis), shallow enough
// to leave the contents of any one package's state out.
const VarDepth = 3

// SeedVar gives a jail on the host's base the skeleton of the host's /var:
// its directories (owner, group and mode kept) and symlinks down to depth,
// never a file, so no data or secret of the host is copied. Daemons find
// the directories their packages made, owned by their users. skip names
// host paths left out (the project's own state); existing entries of dst
// are kept.
func SeedVar(src, dst string, depth int, skip func(path string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == src {
				return fmt.Errorf("seed /var: %w", err)
			}
			return nil // unreadable below: left out
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		// tmp is the jail's own; run and lock lead to the jail's fresh /run
		// (linkVarRun), and as links here they would lead the host's own
		// code that works on the layer into the host's /run.
		if skip(p) || rel == "tmp" || rel == "run" || rel == "lock" {
			return skipEntry(d)
		}
		if strings.Count(rel, "/") >= depth {
			return skipEntry(d)
		}
		return seedEntry(p, filepath.Join(dst, rel), d)
	})
}

func skipEntry(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

func seedEntry(src, dst string, d fs.DirEntry) error {
	if _, err := os.Lstat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("seed /var: %w", err)
	}
	fi, err := d.Info()
	if err != nil {
		return nil
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(src)
		if err != nil {
			return nil
		}
		return os.Symlink(t, dst)
	case fi.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return fmt.Errorf("seed /var: %w", err)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
				return fmt.Errorf("seed /var: %w", err)
			}
		}
		// Chmod after chown: chown clears set-group-id.
		return os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSticky|fs.ModeSetgid|fs.ModeSetuid))
	}
	return nil
}
