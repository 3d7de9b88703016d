package kmod

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// mountEtc mounts the jail's /etc at dst: an overlay of the host's /etc
// under the jail's writable etc/ (see etcplan.go), after preparing the
// upper layer with the plan's whiteouts and generated files. The overlay's
// work directory is a sibling of the writable layer's directories, which
// the jail never sees.
func mountEtc(writable, dst string) error {
	upper, work := filepath.Join(writable, "etc"), filepath.Join(writable, ".etc-work")
	for _, p := range []string{upper, work, "/etc"} {
		if strings.ContainsAny(p, ",:\\") {
			return fmt.Errorf("compose /etc: %s: overlay paths may not contain ',', ':' or '\\'", p)
		}
	}
	if err := prepareEtcLayer(writable, opaqueTrusted); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("compose /etc: %w", err)
	}
	opts := "lowerdir=/etc,upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", dst, "overlay", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("compose /etc: mount overlay (%s): %w", opts, err)
	}
	return nil
}

// The xattr that marks an overlay directory opaque: trusted.* for an
// overlay mounted in the initial user namespace, user.* for one mounted
// in a jail's (option userxattr; trusted.* needs CAP_SYS_ADMIN there).
const (
	opaqueTrusted = "trusted.overlay.opaque"
	opaqueUser    = "user.overlay.opaque"
)

// prepareEtcLayer makes the overlay's work directory and carries the plan
// of the host's /etc out in the jail's upper layer (writable/etc).
func prepareEtcLayer(writable, opaqueXattr string) error {
	if err := os.MkdirAll(filepath.Join(writable, ".etc-work"), 0o700); err != nil {
		return fmt.Errorf("compose /etc: %w", err)
	}
	// getrandom(2) itself: crypto/rand would link its FIPS module into
	// jinit, which runs this in the stage.
	id := make([]byte, 16)
	if _, err := unix.Getrandom(id, 0); err != nil {
		return fmt.Errorf("compose /etc: machine id: %w", err)
	}
	plan, err := PlanEtc(os.DirFS("/etc"), hex.EncodeToString(id))
	if err != nil {
		return err
	}
	return prepareUpper(filepath.Join(writable, "etc"), plan, opaqueXattr)
}

// prepareUpper carries the plan out in the jail's upper layer. The layer
// is the jail's: every path is resolved beneath it without following a
// symlink, so nothing planted there can steer a write onto the host, and
// an entry the jail already has (its own file, a symlink, an earlier
// whiteout) is left as it is.
func prepareUpper(upper string, plan EtcPlan, opaqueXattr string) error {
	root, err := unix.Open(upper, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("compose /etc: open %s: %w", upper, err)
	}
	defer unix.Close(root)
	for _, d := range plan.Opaque {
		if err := makeOpaque(root, d, opaqueXattr); err != nil {
			return fmt.Errorf("compose /etc: /etc/%s: %w", d, err)
		}
	}
	for _, h := range plan.Hide {
		err := inParent(root, h, func(dir int, name string) error {
			return unix.Mknodat(dir, name, unix.S_IFCHR, 0) // an overlay whiteout
		})
		if err != nil {
			return fmt.Errorf("compose /etc: hide /etc/%s: %w", h, err)
		}
	}
	for _, f := range plan.Files {
		err := inParent(root, f.Name, func(dir int, name string) error {
			return writeNew(dir, name, f)
		})
		if err != nil {
			return fmt.Errorf("compose /etc: generate /etc/%s: %w", f.Name, err)
		}
	}
	return nil
}

// inParent opens the parent directories of rel beneath root (creating
// missing ones) and calls create for the last element if it is absent.
// A symlink on the way means the jail has replaced that directory with
// something of its own, which hides the host's anyway: nothing to do.
func inParent(root int, rel string, create func(dir int, name string) error) error {
	dir, err := openDirBeneath(root, filepath.Dir(rel))
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	name := filepath.Base(rel)
	var st unix.Stat_t
	err = unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOENT) {
		return err
	}
	return create(dir, name)
}

// openDirBeneath opens rel beneath root, one component at a time, making
// what is missing; no symlink is followed (ELOOP).
func openDirBeneath(root int, rel string) (int, error) {
	fd, err := unix.Dup(root)
	if err != nil {
		return -1, err
	}
	if rel == "." {
		return fd, nil
	}
	for _, part := range strings.Split(rel, "/") {
		how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_XDEV}
		next, err := unix.Openat2(fd, part, how)
		if errors.Is(err, unix.ENOENT) {
			if err := unix.Mkdirat(fd, part, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				unix.Close(fd)
				return -1, err
			}
			next, err = unix.Openat2(fd, part, how)
		}
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// makeOpaque makes the upper layer's rel a directory that hides the lower
// one's entries (created if missing).
func makeOpaque(root int, rel, xattr string) error {
	fd, err := openDirBeneath(root, rel)
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		return nil // the jail's own non-directory hides the host's already
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// An O_PATH descriptor takes no xattr calls; its /proc path does.
	p := "/proc/self/fd/" + strconv.Itoa(fd)
	return unix.Setxattr(p, xattr, []byte("y"), 0)
}

// writeNew creates a generated file, owned by root (the stage has no
// CAP_CHOWN: the locked shadow files need no "shadow" group to read them).
func writeNew(dir int, name string, f EtcFile) error {
	fd, err := unix.Openat(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(f.Mode.Perm()))
	if err != nil {
		return err
	}
	file := os.NewFile(uintptr(fd), name)
	defer file.Close()
	if err := file.Chmod(f.Mode.Perm()); err != nil { // past the umask
		return err
	}
	_, err = file.Write(f.Body)
	return err
}

// linkVarRun makes /var/run a link to /run, the fresh tmpfs of every
// start, as on any current distribution: pid files and sockets from an
// earlier start must not survive in the persistent /var. It runs after the
// pivot, so whatever the jail left at /var/run resolves inside the jail.
func linkVarRun() error {
	if t, err := os.Readlink("/var/run"); err == nil && (t == "/run" || t == "../run") {
		return nil
	}
	if err := os.RemoveAll("/var/run"); err != nil {
		return fmt.Errorf("link /var/run to /run: %w", err)
	}
	if err := os.Symlink("/run", "/var/run"); err != nil {
		return fmt.Errorf("link /var/run to /run: %w", err)
	}
	return nil
}
