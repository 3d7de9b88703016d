package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A jail in a user namespace (Spec.UserNS). Its root is root only over its
// own namespace, and to the host the unprivileged uid Base. What the jail
// sees of the host keeps its real owners through idmapped mounts: a file
// of host uid N appears as uid N inside and is written as uid N by the
// jail's uid N. The stage itself cannot make those (an idmapped mount of a
// host file system needs CAP_SYS_ADMIN over the file system's own user
// namespace, the host's), nor reach host paths below root-only directories,
// so the keeper prepares every tree the stage attaches, once the stage's
// namespace exists and before it is released, and sends them with the spec:
//
//	the new root's mount point, in the stage's mount namespace
//	with the host's base: the host's /etc idmapped and read-only, and the
//	writable layer, for the /etc overlay (etc_linux.go) the stage mounts
//	a fresh read-only sysfs, for a jail that shares the host's network
//	namespace (mounting one needs a network namespace of the user
//	namespace's own; with --net none the stage mounts its own)
//	the base entries: idmapped, read-only, nosuid, nodev, recursive
//	the writable layer's directories: plain clones (the layer belongs to the range)
//	the --mount sources: idmapped, nosuid, nodev (and read-only if asked)

// userNSAttrs are Spawn's clone settings for spec: the namespace and its
// one mapping, written by the parent between clone and exec.
func userNSAttrs(attr *syscall.SysProcAttr, r IDRange) {
	attr.Cloneflags |= syscall.CLONE_NEWUSER
	m := []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(r.Base), Size: int(r.Size)}}
	attr.UidMappings, attr.GidMappings = m, m
	attr.GidMappingsEnableSetgroups = true // jinit sets services' groups
	// The child is cloned as host root, which the namespace does not map;
	// becoming its uid 0 (host Base) before the exec makes the exec give
	// it the namespace's capabilities.
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}}
}

// asRangeOwner runs start, which clones the stage, with this OS thread's
// effective uid set to the range's first uid, so that the range, not host
// root, owns the jail's user namespace. Per-uid kernel quotas (inotify
// instances and watches, user namespaces, ...) are charged to a
// namespace's owner in the parent as well: owned by host root, every
// jail's inotify instances would count against host root's 128.
// SECBIT_NO_SETUID_FIXUP keeps the thread's capabilities across the change
// (clone into the cgroup, writing the maps). The caller runs it on a
// locked thread that ends afterwards (forkStage); the uid is given back
// all the same, for the thread that Go keeps rather than ends (the main
// one), which must also leave the jail's cgroups.
func asRangeOwner(r IDRange, start func() error) error {
	bits, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_GET_SECUREBITS, 0, 0)
	if e != 0 {
		return fmt.Errorf("spawn jail: read securebits: %w", e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_SET_SECUREBITS, bits|secbitNoSetuidFixup, 0); e != 0 {
		return fmt.Errorf("spawn jail: keep capabilities across the uid change: %w", e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), uintptr(r.Base), ^uintptr(0)); e != 0 {
		return fmt.Errorf("spawn jail: become the owner of the user namespace: %w", e)
	}
	err := start()
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, ^uintptr(0), 0, ^uintptr(0)); e != 0 && err == nil {
		err = fmt.Errorf("spawn jail: give back the effective uid: %w", e)
	}
	return err
}

// secbitNoSetuidFixup is SECBIT_NO_SETUID_FIXUP (linux/securebits.h).
const secbitNoSetuidFixup = 1 << 2

// prepareUserNS makes what the stage pid attaches and returns it in the
// order of the detached comment; spec.Detached names the base entries.
func prepareUserNS(spec *Spec, pid int) (files []*os.File, err error) {
	defer func() {
		if err != nil {
			closeFiles(files)
			files = nil
		}
	}()
	ns, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/ns/user", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("user namespace of the jail: %w", err)
	}
	defer unix.Close(ns)
	// Through /proc/PID/root: the mount point as the stage's mount
	// namespace has it, where the stage may attach its root (and which it
	// could not reach itself below root-only directories).
	mnt, err := os.OpenFile(filepath.Join("/proc", strconv.Itoa(pid), "root", spec.Mnt), unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("jail root mount point: %w", err)
	}
	files = append(files, mnt)
	sys, err := freshSysfs()
	if err != nil {
		return files, err
	}
	files = append(files, sys)
	if spec.Root == "" {
		etc, err := etcLayers(spec, ns)
		files = append(files, etc...)
		if err != nil {
			return files, err
		}
	}
	d := &detached{Links: map[string]string{}}
	entries, _, err := PlanBase(spec.Root, LinuxBase, isOverlaid)
	if err != nil {
		return files, err
	}
	for _, e := range entries {
		name := strings.TrimPrefix(e.Dst, "/")
		if e.Kind == BaseLink {
			d.Links[name] = e.Target
			continue
		}
		f, err := idmappedTree(e.Src, ns, true)
		if err != nil {
			return files, err
		}
		files, d.Base = append(files, f), append(d.Base, name)
	}
	for _, w := range WritableDirs {
		f, err := detachedTree(filepath.Join(spec.Writable, w))
		if err != nil {
			return files, err
		}
		files = append(files, f)
	}
	for _, m := range spec.Mounts {
		f, err := idmappedTree(m.Src, ns, m.RO)
		if err != nil {
			return files, err
		}
		files = append(files, f)
	}
	spec.Detached = d
	return files, nil
}

// etcLayers prepares the jail's /etc upper layer as the host-side stage
// would (etc_linux.go), with the user-namespace overlay's opaque marks,
// gives what that made to the jail's range, and returns the overlay's
// lower layer (the host's /etc, idmapped: its files keep their owners
// inside) and a tree of the writable layer holding upper and work.
func etcLayers(spec *Spec, ns int) ([]*os.File, error) {
	if err := prepareEtcLayer(spec.Writable, opaqueUser); err != nil {
		return nil, err
	}
	for _, d := range []string{"etc", ".etc-work"} {
		if err := shiftTree(filepath.Join(spec.Writable, d), *spec.UserNS); err != nil {
			return nil, fmt.Errorf("compose /etc: %w", err)
		}
	}
	lower, err := idmappedTree("/etc", ns, true)
	if err != nil {
		return nil, err
	}
	rw, err := detachedTree(spec.Writable)
	if err != nil {
		return []*os.File{lower}, err
	}
	return []*os.File{lower, rw}, nil
}

// shiftTree moves everything below and at dir into r (shiftOne).
func shiftTree(dir string, r IDRange) error {
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return shiftOne(p, r)
	})
}

// freshSysfs is a new detached read-only mount of sysfs (of the caller's
// network namespace): /sys without the host's cgroup, debug or other file
// systems mounted below it, which a bind of /sys would bring along.
func freshSysfs() (*os.File, error) {
	fs, err := unix.Fsopen("sysfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sysfs for the jail: %w", err)
	}
	defer unix.Close(fs)
	if err := unix.FsconfigCreate(fs); err != nil {
		return nil, fmt.Errorf("sysfs for the jail: %w", err)
	}
	m, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sysfs for the jail: %w", err)
	}
	return os.NewFile(uintptr(m), "sysfs"), nil
}

// detachedTree is a detached recursive clone of the tree at path.
func detachedTree(path string) (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE|unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return nil, fmt.Errorf("clone mount of %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// idmappedTree is a detached clone of path whose owners the jail's
// namespace ns sees as they are on disk: read-only if ro, never suid or
// device nodes.
func idmappedTree(path string, ns int, ro bool) (*os.File, error) {
	f, err := detachedTree(path)
	if err != nil {
		return nil, err
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV, Userns_fd: uint64(ns)}
	if ro {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		f.Close()
		return nil, idmapError(path, err)
	}
	return f, nil
}

// idmapError names what is missing: a jail that asked for a user
// namespace never runs without its idmapped mounts.
func idmapError(path string, err error) error {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("idmapped mount of %s: this kernel has no mount_setattr (Linux 5.12); a jail in a user namespace needs idmapped mounts: %w", path, err)
	case errors.Is(err, unix.EINVAL):
		var st unix.Statfs_t
		unix.Statfs(path, &st)
		return fmt.Errorf("idmapped mount of %s: its file system (magic %#x) does not support idmapped mounts, which a jail in a user namespace needs for the host's files (use the low profile, or a source on ext4, xfs, btrfs or tmpfs): %w", path, st.Type, err)
	}
	return fmt.Errorf("idmapped mount of %s: %w", path, err)
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// ShiftOwners moves the writable layer at dir into range r: a file owned
// by uid or gid N below r.Size becomes Base+N, so the jail's users own
// their files. dir itself is done last and marks the layer as shifted, so
// an interrupted shift is resumed; owners already in r are left alone.
func ShiftOwners(dir string, r IDRange) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("writable layer %s: %w", dir, err)
	}
	if r.Contains(st.Uid) && r.Contains(st.Gid) {
		return nil
	}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		return shiftOne(p, r)
	})
	if err == nil {
		err = shiftOne(dir, r)
	}
	if err != nil {
		return fmt.Errorf("give the writable layer %s to uids %d+%d: %w", dir, r.Base, r.Size, err)
	}
	return nil
}

func shiftOne(p string, r IDRange) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return err
	}
	uid, gid := shifted(st.Uid, r), shifted(st.Gid, r)
	if uid == st.Uid && gid == st.Gid {
		return nil
	}
	mode := st.Mode
	if err := unix.Lchown(p, int(uid), int(gid)); err != nil {
		return err
	}
	// chown clears set-id bits; a setgid directory keeps its meaning.
	if mode&unix.S_IFMT != unix.S_IFLNK && mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		return unix.Chmod(p, mode&0o7777)
	}
	return nil
}

func shifted(id uint32, r IDRange) uint32 {
	if id < r.Size && !r.Contains(id) {
		return r.Base + id
	}
	return id
}
