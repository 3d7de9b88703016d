package kmod

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// MountsUnder lists the mount points at or below dir, from the kernel's
// mount table (getvfsstat).
func MountsUnder(dir string) ([]string, error) {
	n, err := unix.Getvfsstat(nil, unix.MNT_NOWAIT)
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	buf := make([]unix.Statvfs_t, n+8) // room for mounts made meanwhile
	if n, err = unix.Getvfsstat(buf, unix.MNT_NOWAIT); err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	var out []string
	for _, m := range buf[:n] {
		p := unix.ByteSliceToString(m.Mntonname[:])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}
