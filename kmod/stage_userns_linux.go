package kmod

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// composeRootUserNS builds the root of a jail in a user namespace from the
// trees the keeper sent (prepareUserNS), in the current directory, which
// becomes the new root's tmpfs. It returns the extra mounts' trees, for
// mountAfterPivot.
func composeRootUserNS(s *Spec, fds []int) ([]int, error) {
	d := s.Detached
	if d == nil {
		return nil, errors.New("compose root: the keeper sent no trees for the user namespace")
	}
	etcOverlay := s.Root == ""
	want := 2 + len(d.Base) + len(WritableDirs) + len(s.Mounts)
	if etcOverlay {
		want += 2
	}
	if len(fds) != want {
		return nil, fmt.Errorf("compose root: got %d trees from the keeper, want %d", len(fds), want)
	}
	if err := rootTmpfs(fds[0]); err != nil {
		return nil, err
	}
	sys := fds[1]
	fds = fds[2:]
	var etcLower, etcRW int
	if etcOverlay {
		etcLower, etcRW = fds[0], fds[1]
		fds = fds[2:]
	}
	for i, name := range d.Base {
		if err := attachTree(fds[i], name); err != nil {
			return nil, err
		}
	}
	for name, target := range d.Links {
		if err := os.Symlink(target, name); err != nil {
			return nil, fmt.Errorf("base %s: %w", name, err)
		}
	}
	fds = fds[len(d.Base):]
	for i, w := range WritableDirs {
		if w == "etc" && etcOverlay {
			unix.Close(fds[i])
			if err := mountEtcUserNS(etcLower, etcRW); err != nil {
				return nil, err
			}
			continue
		}
		if err := attachTree(fds[i], w); err != nil {
			return nil, err
		}
		attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
		if err := unix.MountSetattr(unix.AT_FDCWD, w, unix.AT_RECURSIVE, &attr); err != nil {
			return nil, fmt.Errorf("make /%s nosuid: %w", w, err)
		}
	}
	if err := makeDev("dev", true); err != nil {
		return nil, err
	}
	if err := mountAt(".", "proc", "proc", "", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC); err != nil {
		return nil, err
	}
	if err := mountAt(".", "run", "tmpfs", "mode=0755,size=64m", unix.MS_NOSUID|unix.MS_NODEV); err != nil {
		return nil, err
	}
	if err := mountSys(sys); err != nil {
		return nil, err
	}
	return fds[len(WritableDirs):], nil
}

// mountEtcUserNS mounts the jail's /etc as mountEtc does, from the trees
// the keeper made (etcLayers): they are attached on hidden staging
// directories of the new root, the overlay is mounted from them (in a user
// namespace with userxattr), and the staging mounts are detached again:
// the overlay holds its layers.
func mountEtcUserNS(lower, rw int) error {
	const lowerAt, rwAt = ".etc-lower", ".etc-rw"
	if err := attachTree(lower, lowerAt); err != nil {
		return err
	}
	if err := attachTree(rw, rwAt); err != nil {
		return err
	}
	if err := os.MkdirAll("etc", 0o755); err != nil {
		return fmt.Errorf("compose /etc: %w", err)
	}
	opts := "lowerdir=" + lowerAt + ",upperdir=" + rwAt + "/etc,workdir=" + rwAt + "/.etc-work,userxattr"
	if err := unix.Mount("overlay", "etc", "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("compose /etc: mount overlay (%s): %w", opts, err)
	}
	for _, d := range []string{lowerAt, rwAt} {
		if err := unix.Unmount(d, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("compose /etc: detach %s: %w", d, err)
		}
		if err := os.Remove(d); err != nil {
			return fmt.Errorf("compose /etc: %w", err)
		}
	}
	return nil
}

// rootTmpfs attaches a new tmpfs at the mount point mnt and enters it.
func rootTmpfs(mnt int) error {
	fs, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("root tmpfs: %w", err)
	}
	defer unix.Close(fs)
	for k, v := range map[string]string{"mode": "0755", "size": "1m"} {
		if err := unix.FsconfigSetString(fs, k, v); err != nil {
			return fmt.Errorf("root tmpfs %s: %w", k, err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return fmt.Errorf("root tmpfs: %w", err)
	}
	m, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return fmt.Errorf("root tmpfs: %w", err)
	}
	defer unix.Close(m)
	if err := unix.MoveMount(m, "", mnt, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach root tmpfs: %w", err)
	}
	unix.Close(mnt)
	if err := unix.Fchdir(m); err != nil {
		return fmt.Errorf("enter root tmpfs: %w", err)
	}
	return nil
}

// attachTree attaches the detached tree fd at name (a directory or a
// file, like its source) in the current directory.
func attachTree(fd int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat the tree for /%s: %w", name, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := os.MkdirAll(name, 0o755); err != nil {
			return fmt.Errorf("create /%s: %w", name, err)
		}
	} else if err := touch(name); err != nil {
		return err
	}
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, name, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach /%s: %w", name, err)
	}
	unix.Close(fd)
	// A clone of a shared mount (systemd makes every host mount shared)
	// joins its peer group: made private, as bindFD does, nothing mounted
	// on either side propagates to the other (the profile refuses to
	// confine a jail with a shared mount; found by the systemd VM test).
	if err := unix.Mount("", name, "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make /%s private: %w", name, err)
	}
	return nil
}

func touch(name string) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return f.Close()
}

// bindNode binds the host's device node src at dst.
func bindNode(src, dst string) error {
	if err := touch(dst); err != nil {
		return err
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	return nil
}

// mountSys mounts a fresh read-only sysfs, which a user namespace may do
// only in a network namespace it owns (--net none); sharing the host's, it
// attaches the one the keeper made (freshSysfs).
func mountSys(keepers int) error {
	err := mountAt(".", "sys", "sysfs", "", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RDONLY)
	if err == nil || !errors.Is(err, unix.EPERM) {
		unix.Close(keepers)
		return err
	}
	return attachTree(keepers, "sys")
}

// recvWithFiles reads the socket at fd to its end, at most limit bytes,
// and every descriptor attached (close-on-exec).
func recvWithFiles(fd, limit int) ([]byte, []int, error) {
	var out []byte
	var fds []int
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*256))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return nil, nil, err
		}
		if oobn > 0 {
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil {
				return nil, nil, err
			}
			for _, m := range msgs {
				got, err := unix.ParseUnixRights(&m)
				if err == nil {
					fds = append(fds, got...)
				}
			}
		}
		if n == 0 && oobn == 0 {
			return out, fds, nil
		}
		out = append(out, buf[:n]...)
		if len(out) > limit {
			return nil, nil, errors.New("jail spec too large")
		}
	}
}
