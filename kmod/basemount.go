package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// checkMountPoint refuses, at create, a mount whose destination lies in the
// read-only base and does not exist there: the stage could make no mount
// point for it, and the jail would fail at every start. An existing file or
// directory of the base may be covered; anything below the writable layer,
// /run, /tmp and the like is made at start. root is the prepared root, ""
// for the host's base entries base.
func checkMountPoint(m Mount, root string, base []string) error {
	dst := filepath.Clean("/" + m.Dst)
	top, _, _ := strings.Cut(strings.TrimPrefix(dst, "/"), "/")
	host := "/"
	switch {
	case root != "":
		if isOverlaidTop(top) {
			return nil
		}
		host = root
	case !slices.Contains(base, top):
		return nil
	}
	_, err := os.Stat(filepath.Join(host, dst))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mount %s: %s does not exist in the read-only base, where no mount point can be made: mount over an existing file or directory there, or elsewhere", m, dst)
	}
	return nil
}

// isOverlaidTop: top-level names a jail gets from elsewhere than its base.
func isOverlaidTop(name string) bool {
	return slices.Contains([]string{"dev", "proc", "sys", "run"}, name) || slices.Contains(WritableDirs, name)
}
