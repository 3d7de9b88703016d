package kmod

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The flags mountargs.go uses must be NetBSD's.
var (
	_ [unix.MNT_RDONLY - mntRdonly]struct{}
	_ [mntRdonly - unix.MNT_RDONLY]struct{}
	_ [unix.MNT_NOEXEC - mntNoexec]struct{}
	_ [mntNoexec - unix.MNT_NOEXEC]struct{}
	_ [unix.MNT_NOSUID - mntNosuid]struct{}
	_ [mntNosuid - unix.MNT_NOSUID]struct{}
	_ [unix.MNT_NODEV - mntNodev]struct{}
	_ [mntNodev - unix.MNT_NODEV]struct{}
)

// mountAt performs m on the host path at: mount(2) as __mount50(type,
// path, flags, data, data_len), which x/sys/unix does not wrap.
func mountAt(m RootMount, at string) error {
	var target *byte
	var err error
	if m.FS == "null" {
		if target, err = unix.BytePtrFromString(m.Src); err != nil {
			return fmt.Errorf("mount %s: %w", m.Src, err)
		}
	}
	data, size, err := m.mountData(target)
	if err != nil {
		return err
	}
	fstype, err := unix.BytePtrFromString(m.FS)
	if err != nil {
		return err
	}
	path, err := unix.BytePtrFromString(at)
	if err != nil {
		return fmt.Errorf("mount on %s: %w", at, err)
	}
	_, _, e := unix.Syscall6(unix.SYS_MOUNT, uintptr(unsafe.Pointer(fstype)), uintptr(unsafe.Pointer(path)),
		uintptr(m.flags()), uintptr(data), size, 0)
	runtime.KeepAlive(target)
	runtime.KeepAlive(data)
	if e != 0 {
		return e
	}
	return nil
}

// mountTable lists the host's mount points in mount order (getvfsstat).
func mountTable() ([]string, error) {
	for range 4 {
		n, err := unix.Getvfsstat(nil, unix.MNT_NOWAIT)
		if err != nil {
			return nil, fmt.Errorf("list mounts: %w", err)
		}
		buf := make([]unix.Statvfs_t, n+8) // room for mounts made meanwhile
		got, err := unix.Getvfsstat(buf, unix.MNT_NOWAIT)
		if err != nil {
			return nil, fmt.Errorf("list mounts: %w", err)
		}
		if got == len(buf) {
			continue // possibly truncated
		}
		out := make([]string, got)
		for i := range got {
			out[i] = unix.ByteSliceToString(buf[i].Mntonname[:])
		}
		return out, nil
	}
	return nil, errors.New("list mounts: the mount table keeps growing")
}

// unmountUnder unmounts everything mounted at or below any of roots, last
// mounted first, and fails if anything is left there. Nothing is forced:
// by then every process of the jail is gone, so a busy mount is a host
// process's (a shell's working directory), and it is better to leave the
// jail for a later command than to pull the file system from under it.
func unmountUnder(roots ...string) error {
	table, err := mountTable()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range UnmountOrder(table, roots...) {
		err := unix.Unmount(p, 0)
		if err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	if table, err = mountTable(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if left := UnmountOrder(table, roots...); len(left) > 0 {
		errs = append(errs, fmt.Errorf("still mounted: %v", left))
	}
	return errors.Join(errs...)
}
