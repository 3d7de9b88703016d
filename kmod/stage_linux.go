package kmod

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The stage is the first process of a new jail: the keeper starts the
// jinit binary with new PID, mount, UTS and IPC namespaces, and the stage —
// PID 1 of the new PID namespace, still with full privileges — composes
// the root, pivots into it, confines itself to the jail's profile and then
// carries on as jinit in the same process (no second exec: each costs a Go
// start-up, the largest part of a jail's start). It runs only in the new
// mount namespace, which it makes private before anything else, so nothing
// it mounts can reach the host.
//
// The keeper runs the stage from a read-only detached copy of the jinit
// binary (descriptor stageExeFD), so /proc/1/exe, which a jailed root may
// open, never leads to a writable host file.

// Descriptors the stage inherits.
const (
	stageControlFD = 3 // the host-side listening control socket, passed on to jinit
	stageSpecFD    = 4 // the Spec as JSON; EOF releases the stage
	stageErrFD     = 5 // the stage's error; closed empty once jinit runs
	stageExeFD     = 6 // the read-only jinit binary the stage was exec'd from
	stageKeeperFD  = 7 // optional: the keeper pipe (SpawnOptions.Keeper)
)

// The stage is exec'd through /proc/self/fd/N, which makes its command
// name "6"; it is the jail's jinit, and ps in the jail should say so.
// Naming it in init names most of the runtime's threads too.
func init() {
	if IsStage() {
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte("jinit\x00")[0])), 0, 0, 0)
	}
}

// Stage builds the jail around this process and returns jinit's command
// line, for the caller (jinit's main) to run in this same process. On
// failure it reports the error to the keeper and exits.
func Stage() []string {
	// Nothing the keeper's caller held may reach the jail: a descriptor
	// without close-on-exec survives every fork and exec, and a directory
	// one opens the host's whole tree to the jail. Go's exec dups only the
	// files it was given, so the stage closes every other inherited one
	// before anything else; a stray descriptor at stageKeeperFD is closed
	// once the spec says there is no keeper pipe.
	closeFrom(stageKeeperFD + 1)
	syscall.CloseOnExec(stageExeFD) // until it becomes /run/jinit
	syscall.CloseOnExec(stageKeeperFD)
	errw := os.NewFile(stageErrFD, "stage-errors")
	syscall.CloseOnExec(stageErrFD)
	args, err := stage()
	if err != nil {
		fmt.Fprintf(errw, "%v", err)
		os.Exit(1)
	}
	// Empty and closed: the keeper's Release returns, jinit is running.
	errw.Close()
	return args
}

func stage() ([]string, error) {
	var spec Spec
	b, fds, err := recvWithFiles(stageSpecFD, 1<<20)
	unix.Close(stageSpecFD)
	if err != nil {
		return nil, fmt.Errorf("read jail spec: %w", err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("decode jail spec: %w", err)
	}
	if !spec.KeeperPipe {
		unix.Close(stageKeeperFD)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, fmt.Errorf("make mounts private: %w", err)
	}
	// Detached copies of what must be mounted after the pivot (jinit and
	// the extra mounts): they are attached afterwards, so mount points are
	// resolved inside the jail's root, where its own symlinks cannot point
	// at the host. jinit's is the read-only copy this process runs from.
	// In a user namespace the keeper made them (userns_linux.go).
	jinit := stageExeFD
	var srcs []int
	root := spec.Mnt
	if spec.UserNS != nil {
		if srcs, err = composeRootUserNS(&spec, fds); err != nil {
			return nil, err
		}
		root = "." // the new root, entered by composeRootUserNS
	} else {
		srcs = make([]int, len(spec.Mounts))
		for i, m := range spec.Mounts {
			if srcs[i], err = cloneTree(m.Src); err != nil {
				return nil, err
			}
		}
		if err := composeRoot(&spec); err != nil {
			return nil, err
		}
	}
	if err := pivot(root); err != nil {
		return nil, err
	}
	if err := mountAfterPivot(&spec, jinit, srcs); err != nil {
		return nil, err
	}
	if err := linkVarRun(); err != nil {
		return nil, err
	}
	svcDir := "/etc/service"
	if spec.NoServices {
		svcDir = NoServicesDir
		if err := os.Mkdir(svcDir, 0o555); err != nil {
			return nil, fmt.Errorf("create %s: %w", svcDir, err)
		}
	}
	if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
		return nil, fmt.Errorf("set hostname: %w", err)
	}
	if err := confine(&spec); err != nil {
		return nil, err
	}
	os.Clearenv()
	os.Setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	os.Setenv("JAIL_NAME", spec.Name)
	os.Setenv("JAIL_PROFILE", spec.Profile) // jinit names it when a service fails on EPERM
	keeperFD := -1
	if spec.KeeperPipe {
		keeperFD = stageKeeperFD
	}
	return spec.jinitArgs(svcDir, stageControlFD, keeperFD), nil
}

// closeFrom closes every inherited descriptor from fd up. Not a plain
// close_range: by now the Go runtime has descriptors of its own up there
// (its epoll instance), all opened close-on-exec, while everything
// inherited through an exec is, by definition, not. The host's /proc is
// still this process's /proc here. The stage cannot report a failure yet
// (its error pipe is below fd); a missing /proc leaves the descriptors to
// the checks of jinit's own start.
func closeFrom(fd int) {
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil || n < fd {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(n)
		}
	}
}

// composeRoot builds the jail's root on a tmpfs at spec.Mnt: the read-only
// base (the host's /usr /bin /sbin /lib*, or every top-level entry of a
// prepared root), the writable layer, /dev, /proc, /sys and /run.
func composeRoot(s *Spec) error {
	r := s.Mnt
	if err := unix.Mount("jail", r, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=1m"); err != nil {
		return fmt.Errorf("mount root tmpfs on %s: %w", r, err)
	}
	entries, skipped, err := PlanBase(s.Root, LinuxBase, isOverlaid)
	if err != nil {
		return err
	}
	for _, sk := range skipped {
		fmt.Fprintln(os.Stderr, "jinit: left out of the jail's root:", sk) // the console log
	}
	for _, e := range entries {
		if err := bindBase(e, filepath.Join(r, e.Dst)); err != nil {
			return err
		}
	}
	for _, d := range WritableDirs {
		if d == "etc" && s.Root == "" {
			// The host's /etc under the jail's own layer, minus its secrets.
			if err := mountEtc(s.Writable, filepath.Join(r, d)); err != nil {
				return err
			}
			continue
		}
		if err := bindDir(filepath.Join(s.Writable, d), filepath.Join(r, d), unix.MS_NOSUID|unix.MS_NODEV); err != nil {
			return err
		}
	}
	if err := makeDev(filepath.Join(r, "dev"), false); err != nil {
		return err
	}
	mounts := []struct {
		dst, fstype, data string
		flags             uintptr
	}{
		{"proc", "proc", "", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		{"run", "tmpfs", "mode=0755,size=64m", unix.MS_NOSUID | unix.MS_NODEV},
	}
	for _, m := range mounts {
		if err := mountAt(r, m.dst, m.fstype, m.data, m.flags); err != nil {
			return err
		}
	}
	// A fresh sysfs, read-only. Binding the host's /sys would bring the
	// cgroup hierarchies mounted below it, writable by a jailed root
	// without any capability (found by the escape suite).
	return mountAt(r, "sys", "sysfs", "", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RDONLY)
}

func isOverlaid(name string) bool {
	switch name {
	case "dev", "proc", "sys", "run":
		return true
	}
	for _, d := range WritableDirs {
		if d == name {
			return true
		}
	}
	return false
}

func mountAt(root, dst, fstype, data string, flags uintptr) error {
	p := filepath.Join(root, dst)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return fmt.Errorf("create /%s: %w", dst, err)
	}
	if err := unix.Mount(fstype, p, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on /%s: %w", fstype, dst, err)
	}
	return nil
}

// LinuxBase is the default read-only base on Linux: the host's own
// programs and libraries.
var LinuxBase = []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// bindBase places one base entry (PlanBase): a directory or a file is
// bound read-only, a symlink (merged /usr) recreated.
func bindBase(e BaseEntry, dst string) error {
	switch e.Kind {
	case BaseLink:
		return os.Symlink(e.Target, dst)
	case BaseFile:
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("base %s: %w", e.Src, err)
		}
		f.Close()
	default:
		if err := os.Mkdir(dst, 0o755); err != nil {
			return fmt.Errorf("base %s: %w", e.Src, err)
		}
	}
	return bindRO(e.Src, dst)
}

func bindRO(src, dst string) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	return readOnlyTree(dst)
}

// readOnlyTree makes the mount at dst and every mount below it read-only,
// nosuid and nodev. A plain remount changes only the top mount.
func readOnlyTree(dst string) error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	err := unix.MountSetattr(unix.AT_FDCWD, dst, unix.AT_RECURSIVE, &attr)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("make %s read-only: %w", dst, err)
	}
	// Before Linux 5.12: remount each mount of the tree, deepest last.
	points, err := MountsUnder(dst)
	if err != nil {
		return err
	}
	for _, p := range points {
		flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
		if err := unix.Mount("", p, "", flags, ""); err != nil {
			if err := unix.Mount("", p, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
				return fmt.Errorf("make %s read-only: %w", p, err)
			}
		}
	}
	return nil
}

func bindDir(src, dst string, flags uintptr) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	if err := unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|flags, ""); err != nil {
		return fmt.Errorf("remount %s: %w", dst, err)
	}
	return nil
}

// makeDev builds a minimal /dev: a tmpfs with the harmless character
// devices, a private devpts instance, /dev/shm and the usual links. In a
// user namespace, which may not create device nodes, the host's are bound.
func makeDev(dev string, bindNodes bool) error {
	if err := os.Mkdir(dev, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create /dev: %w", err)
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
		return fmt.Errorf("mount /dev: %w", err)
	}
	old := unix.Umask(0)
	defer unix.Umask(old)
	nodes := []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}
	for _, n := range nodes {
		if bindNodes {
			if err := bindNode("/dev/"+n.name, filepath.Join(dev, n.name)); err != nil {
				return err
			}
			continue
		}
		if err := unix.Mknod(filepath.Join(dev, n.name), unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
			return fmt.Errorf("create /dev/%s: %w", n.name, err)
		}
	}
	for _, d := range []string{"pts", "shm"} {
		if err := os.Mkdir(filepath.Join(dev, d), 0o755); err != nil {
			return fmt.Errorf("create /dev/%s: %w", d, err)
		}
	}
	if err := unix.Mount("devpts", filepath.Join(dev, "pts"), "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return fmt.Errorf("mount /dev/pts: %w", err)
	}
	if err := unix.Mount("shm", filepath.Join(dev, "shm"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size=64m"); err != nil {
		return fmt.Errorf("mount /dev/shm: %w", err)
	}
	links := [][2]string{{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}}
	for _, l := range links {
		if err := os.Symlink(l[0], filepath.Join(dev, l[1])); err != nil {
			return fmt.Errorf("link /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// pivot makes root the new / and detaches the old one.
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("enter new root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// mountAfterPivot binds jinit and the extra mounts from descriptors opened
// before the pivot; mount points are resolved inside the jail.
func mountAfterPivot(s *Spec, jinit int, srcs []int) error {
	if err := bindFD(jinit, JinitPath, true); err != nil {
		return err
	}
	for i, m := range s.Mounts {
		if err := bindFD(srcs[i], m.Dst, m.RO); err != nil {
			return err
		}
	}
	return nil
}

// mountPoint makes sure dst exists as a directory or a file. An existing
// one of the right kind is used as it is: a file of the read-only base
// (--mount SRC:/etc/nginx/nginx.conf) cannot be opened for writing.
func mountPoint(dst string, dir bool) error {
	if fi, err := os.Stat(dst); err == nil {
		if fi.IsDir() != dir {
			kind := map[bool]string{true: "a directory", false: "a file"}
			return fmt.Errorf("mount point %s: the source is %s, the destination is not", dst, kind[dir])
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("create mount point %s: %w", dst, err)
	}
	if dir {
		if err := os.Mkdir(dst, 0o755); err != nil {
			return fmt.Errorf("create mount point %s: %w", dst, err)
		}
		return nil
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create mount point %s: %w", dst, err)
	}
	return f.Close()
}

// cloneTree makes a detached copy of the mount tree at path (open_tree
// with OPEN_TREE_CLONE, Linux 5.2), to be attached later with move_mount.
func cloneTree(path string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return -1, fmt.Errorf("clone mount of %s: %w", path, err)
	}
	return fd, nil
}

func bindFD(fd int, dst string, ro bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat source of %s: %w", dst, err)
	}
	if err := mountPoint(dst, st.Mode&unix.S_IFMT == unix.S_IFDIR); err != nil {
		return err
	}
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach mount at %s: %w", dst, err)
	}
	unix.Close(fd)
	// A clone of a shared mount (systemd makes every host mount shared)
	// joins its peer group: made private, nothing mounted on either side
	// propagates to the other.
	if err := unix.Mount("", dst, "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", dst, err)
	}
	if ro {
		return readOnlyTree(dst)
	}
	// Writable mounts are shared with the host: nothing set-uid or a
	// device node planted there by the jail may take effect.
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(unix.AT_FDCWD, dst, unix.AT_RECURSIVE, &attr); err != nil && !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("make %s nosuid: %w", dst, err)
	}
	return nil
}
