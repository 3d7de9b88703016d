package kmod

import (
	"fmt"
	"unsafe"
)

// The data argument of NetBSD's mount(2) (__mount50) for each file system
// a composed root uses, mirrored from the NetBSD headers: layer_args in
// miscfs/genfs/layer.h with export_args30 and uucred from sys/mount.h and
// sys/ucred.h, tmpfs_args in fs/tmpfs/tmpfs_args.h, ptyfs_args in
// fs/ptyfs/ptyfs.h, procfs_args in miscfs/procfs/procfs.h. Go lays these
// out as C does on each port; the sizes the kernels check (*data_len) are
// pinned by netbsd_abi_test.go and checked against NetBSD's headers by
// netbsd_kit_test.go. They live here, untagged, so those tests run on
// Linux.

// uucred is struct uucred (NGROUPS_MAX 16).
type uucred struct {
	_       uint16 // cr_unused
	uid     uint32
	gid     uint32
	ngroups int32
	groups  [16]uint32
}

// exportArgs30 is struct export_args30: only its size matters, as padding
// kept for old userland tools.
type exportArgs30 struct {
	flags     int32
	root      uint32
	anon      uucred
	addr      uintptr
	addrlen   int32
	mask      uintptr
	masklen   int32
	indexfile uintptr
}

// nullArgs is struct null_args (a struct layer_args): the lower directory.
type nullArgs struct {
	target *byte
	_      exportArgs30
}

const tmpfsArgsVersion = 1 // TMPFS_ARGS_VERSION

// tmpfsArgs is struct tmpfs_args, in tmpfsargs_386.go and tmpfsargs.go:
// its 64-bit fields are aligned to 4 bytes by C on i386 only, to 8 on
// every other port (arm's EABI included), where Go aligns them to 4.

const ptyfsArgsVersion = 2 // PTYFS_ARGSVERSION

// ptyfsArgs is struct ptyfs_args; ptyfs_mount wants exactly its size.
type ptyfsArgs struct {
	version int32
	gid     uint32 // group of the slave nodes
	mode    uint32 // their permissions
	flags   int32
}

const procfsArgsVersion = 1 // PROCFS_ARGSVERSION

// procfsArgs is struct procfs_args.
type procfsArgs struct {
	version int32
	flags   int32 // PROCFSMNT_LINUXCOMPAT off
}

// ttyGID is the tty group of a NetBSD base system (/etc/group), the group
// of pty slaves as mount_ptyfs gives it.
const ttyGID = 4

// NetBSD mount flags (sys/fstypes.h); mount_netbsd.go checks them against
// x/sys/unix.
const (
	mntRdonly = 0x1
	mntNoexec = 0x4
	mntNosuid = 0x8
	mntNodev  = 0x10
)

func (m RootMount) flags() int {
	f := 0
	if m.ReadOnly {
		f |= mntRdonly
	}
	if m.NoExec {
		f |= mntNoexec
	}
	if m.NoSuid {
		f |= mntNosuid
	}
	if m.NoDev {
		f |= mntNodev
	}
	return f
}

// mountData builds the data argument of m. target must be the NUL-terminated
// source of a null mount; the returned pointer refers to it, so the caller
// keeps it alive until mount(2) returns.
func (m RootMount) mountData(target *byte) (unsafe.Pointer, uintptr, error) {
	switch m.FS {
	case "null":
		a := &nullArgs{target: target}
		return unsafe.Pointer(a), unsafe.Sizeof(*a), nil
	case "tmpfs":
		a := &tmpfsArgs{version: tmpfsArgsVersion, sizeMax: m.Size, rootMode: uint32(m.Mode.Perm())}
		return unsafe.Pointer(a), unsafe.Sizeof(*a), nil
	case "ptyfs":
		a := &ptyfsArgs{version: ptyfsArgsVersion, gid: ttyGID, mode: 0o620}
		return unsafe.Pointer(a), unsafe.Sizeof(*a), nil
	case "procfs":
		a := &procfsArgs{version: procfsArgsVersion}
		return unsafe.Pointer(a), unsafe.Sizeof(*a), nil
	}
	return nil, 0, fmt.Errorf("mount %s: unknown file system %q", m.Dst, m.FS)
}
