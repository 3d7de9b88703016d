package kmod

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckMountPoint(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr", "share"), 0o755)
	os.WriteFile(filepath.Join(root, "usr", "share", "page"), nil, 0o644)
	cases := []struct {
		dst, root string
		base      []string
		ok        bool
	}{
		{"/usr/share/page", root, nil, true},     // an existing file of a prepared root
		{"/usr/share/missing", root, nil, false}, // nothing to mount over, no way to make it
		{"/var/lib/x", root, nil, true},          // the writable layer: made at start
		{"/run/x", root, nil, true},
		{"/opt/x", root, nil, false}, // every other top-level entry of a prepared root is read-only
		{filepath.Join(root, "usr/share/page"), "", []string{strings.Split(root, "/")[1]}, true},
		{filepath.Join(root, "usr/share/missing"), "", []string{strings.Split(root, "/")[1]}, false},
		{"/srv/data", "", []string{"usr"}, true}, // not in the host's base: made on the jail's root
	}
	for _, c := range cases {
		err := checkMountPoint(Mount{Src: "/src", Dst: c.dst}, c.root, c.base)
		if (err == nil) != c.ok {
			t.Errorf("mount over %s (root %q, base %v): %v, want ok=%v", c.dst, c.root, c.base, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "does not exist in the read-only base") {
			t.Errorf("error does not say why: %v", err)
		}
	}
}
