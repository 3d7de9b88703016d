package ports

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jailsproject/jails/kmod/mountinfo"
	"golang.org/x/sys/unix"
)

// rootCgroupID is the id (kernfs inode) of the cgroup2 hierarchy's root.
const rootCgroupID = 1

// cgroupInfo is what the programs need to know about the jail's cgroup.
type cgroupInfo struct {
	dir   string // the jail cgroup directory, absolute and clean
	id    uint64 // cgroup id == inode number of dir
	level int    // depth below the cgroup2 root; the root is level 0
	root  string // a mount point of the cgroup2 root, where host rules attach
}

// resolveCgroup finds id, level and the hierarchy root for dir.
func resolveCgroup(dir string) (cgroupInfo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return cgroupInfo{}, fmt.Errorf("resolve jail cgroup %s: %w", dir, err)
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return cgroupInfo{}, fmt.Errorf("resolve jail cgroup %s: %w", dir, err)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(abs, &fs); err != nil {
		return cgroupInfo{}, fmt.Errorf("statfs jail cgroup %s: %w", abs, err)
	}
	if fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return cgroupInfo{}, fmt.Errorf("jail cgroup %s: not on a cgroup2 file system", abs)
	}
	var st unix.Stat_t
	if err := unix.Stat(abs, &st); err != nil {
		return cgroupInfo{}, fmt.Errorf("stat jail cgroup %s: %w", abs, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return cgroupInfo{}, fmt.Errorf("jail cgroup %s: not a directory", abs)
	}
	mounts, err := cgroup2Mounts()
	if err != nil {
		return cgroupInfo{}, err
	}
	info := cgroupInfo{dir: abs, id: st.Ino}
	if info.level, err = cgroupLevel(abs, mounts); err != nil {
		return cgroupInfo{}, err
	}
	if info.level == 0 {
		return cgroupInfo{}, fmt.Errorf("jail cgroup %s: is the cgroup2 root, want a jail's own cgroup", abs)
	}
	if info.root, err = cgroup2Root(mounts); err != nil {
		return cgroupInfo{}, err
	}
	return info, nil
}

// mount is one cgroup2 line of /proc/self/mountinfo.
type mount struct {
	root  string // the directory of the hierarchy mounted here
	point string // where it is mounted
}

// cgroup2Mounts lists the cgroup2 mounts of this mount namespace.
func cgroup2Mounts() ([]mount, error) {
	ms, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("find cgroup2 mounts: %w", err)
	}
	var out []mount
	for _, m := range ms {
		if m.FSType == "cgroup2" {
			out = append(out, mount{root: m.Root, point: m.Point})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("find cgroup2 mounts: cgroup2 is not mounted")
	}
	return out, nil
}

// cgroupLevel returns the depth of dir in the cgroup2 hierarchy, using the
// mount whose mount point is the longest prefix of dir.
func cgroupLevel(dir string, mounts []mount) (int, error) {
	best := -1
	for i, m := range mounts {
		if within(dir, m.point) && (best < 0 || len(m.point) > len(mounts[best].point)) {
			best = i
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("jail cgroup %s: not under a cgroup2 mount point", dir)
	}
	rel, err := filepath.Rel(mounts[best].point, dir)
	if err != nil {
		return 0, fmt.Errorf("jail cgroup %s: %w", dir, err)
	}
	return depth(filepath.Join(mounts[best].root, rel)), nil
}

// cgroup2Root returns a mount point of the whole hierarchy. Its id must be
// 1: a mount seen through a cgroup namespace would give wrong levels and
// would not cover host processes.
func cgroup2Root(mounts []mount) (string, error) {
	for _, m := range mounts {
		if m.root != "/" {
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(m.point, &st); err == nil && st.Ino == rootCgroupID {
			return m.point, nil
		}
	}
	return "", fmt.Errorf("find cgroup2 root: no mount of the hierarchy root (in a cgroup namespace?)")
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || dir == "/" || strings.HasPrefix(path, dir+"/")
}

// depth counts the components of a clean absolute path: "/" is 0.
func depth(p string) int {
	p = filepath.Clean("/" + p)
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}
