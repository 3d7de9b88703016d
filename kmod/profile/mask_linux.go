package profile

import (
	"errors"
	"fmt"
	"os"

	"github.com/jailsproject/jails/kmod/mountinfo"
	"golang.org/x/sys/unix"
)

// MaskPaths hides and write-protects kernel interfaces for profile p (the
// masks table): /dev/null bound over files, an empty read-only tmpfs over
// directories, read-only bind mounts elsewhere. A path the kernel does not
// have is skipped.
//
// It must run in the jail's own mount namespace after pivot_root, with the
// jail's /proc and /sys mounted and /dev/null present, before Apply. As a
// guard against touching the host, it refuses unless the caller is PID 1 of
// its pid namespace (the jail stage always is; no host process is) and no
// mount in its namespace propagates (shared:), since a mount under a shared
// parent would appear in the peer namespace.
func MaskPaths(p Profile) error {
	if _, err := Parse(string(p)); err != nil || p == "" {
		return fmt.Errorf("mask paths: unknown profile %q", p)
	}
	if os.Getpid() != 1 {
		return errors.New("mask paths: refusing outside a jail: caller is not PID 1 of a pid namespace")
	}
	if err := checkPrivate("/proc/self/mountinfo"); err != nil {
		return fmt.Errorf("mask paths: %w", err)
	}
	if err := checkDevNull(); err != nil {
		return fmt.Errorf("mask paths: %w", err)
	}
	for _, m := range masksFor(p) {
		if err := m.apply(); err != nil {
			return fmt.Errorf("mask paths: %s: %w", m.path, err)
		}
	}
	return nil
}

// checkPrivate fails if any mount in the namespace has shared propagation.
func checkPrivate(table string) error {
	ms, err := mountinfo.Read(table)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Shared() {
			return fmt.Errorf("refusing: mount %s is shared; make / MS_REC|MS_PRIVATE first", m.Point)
		}
	}
	return nil
}

// checkDevNull makes sure /dev/null is the null device before binding it
// over anything.
func checkDevNull() error {
	var st unix.Stat_t
	if err := unix.Stat("/dev/null", &st); err != nil {
		return fmt.Errorf("stat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		return errors.New("/dev/null is not the null device")
	}
	return nil
}

func (m mask) apply() error {
	var st unix.Stat_t
	if err := unix.Lstat(m.path, &st); errors.Is(err, unix.ENOENT) {
		return nil
	} else if err != nil {
		return fmt.Errorf("lstat: %w", err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch m.kind {
	case maskFile:
		if isDir {
			return errors.New("is a directory, expected a file")
		}
		return mount("/dev/null", m.path, "", unix.MS_BIND, "")
	case maskDir:
		if !isDir {
			return errors.New("not a directory")
		}
		return mount("tmpfs", m.path, "tmpfs",
			unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0555,size=4k")
	}
	return bindReadOnly(m.path)
}

// bindReadOnly binds path onto itself (recursively, so masks below it stay)
// and remounts that new mount read-only. MS_BIND on the remount makes it a
// per-mount change: the superblock (shared with the host for sysfs) stays
// writable. The mount's other flags are kept.
func bindReadOnly(path string) error {
	if err := mount(path, path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(path, &sfs); err != nil {
		return fmt.Errorf("statfs: %w", err)
	}
	keep := uintptr(sfs.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC |
		unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	return mount("", path, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|keep, "")
}

func mount(src, dst, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(src, dst, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s (flags %#x): %w", src, dst, flags, err)
	}
	return nil
}
