package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Without mount namespaces (NetBSD) a jail's root is composed in the host's
// own mount table: a tmpfs at Spec.Mnt, null mounts of the base and the
// writable layer, a tmpfs /dev, ptyfs and procfs. PlanRoot decides what
// goes where from the definition and the files on disk; the NetBSD code
// only carries the plan out. Keeping the decisions here lets them be
// tested on every system.

// RootMount is one mount of a composed root.
type RootMount struct {
	FS       string      // "tmpfs", "null", "ptyfs" or "procfs"
	Src      string      // host directory of a null mount
	Dst      string      // path inside the jail; "/" is the root itself
	ReadOnly bool        // MNT_RDONLY
	NoSuid   bool        // MNT_NOSUID
	NoDev    bool        // MNT_NODEV
	NoExec   bool        // MNT_NOEXEC
	Mode     fs.FileMode // tmpfs: permissions of its root directory
	Size     int64       // tmpfs: size limit in bytes
	Optional bool        // left out, with a warning, if the kernel lacks the file system
}

// RootLink is a symlink created on the root tmpfs (a base entry that is a
// symlink, such as a merged /lib -> usr/lib, stays one).
type RootLink struct{ Path, Target string }

// RootFile is a small regular file of a prepared root, copied onto the root
// tmpfs because null mounts take directories only.
type RootFile struct {
	Src, Dst string
	Mode     fs.FileMode
}

// RootPlan is everything that makes up a composed root, in order: Mounts
// are made first to last (and undone last to first); Links and Files go on
// the root tmpfs right after it is mounted; Devices are created in /dev
// right after its tmpfs is mounted.
type RootPlan struct {
	Mounts  []RootMount
	Links   []RootLink
	Files   []RootFile
	Devices []Device
	Skipped []string // entries of the base that were left out, and why
}

// Device is a node copied from the host's /dev (same type, numbers and
// permissions), so the plan needs no per-port major numbers. A required
// one missing on the host fails the start.
type Device struct {
	Name     string
	Required bool
}

// NetBSDBase is the default read-only base on NetBSD: the host's own
// programs and libraries.
var NetBSDBase = []string{"bin", "sbin", "lib", "libexec", "usr"}

// JailDevices are the nodes a jail's /dev gets. Ptys come from the jail's
// own ptyfs at /dev/pts, opened through /dev/ptmx.
var JailDevices = []Device{
	{"null", true}, {"zero", true}, {"random", true}, {"urandom", true}, {"tty", true},
	{"ptmx", false}, {"full", false}, {"stdin", false}, {"stdout", false}, {"stderr", false},
}

// Sizes and limits of the composed root.
const (
	rootTmpfsSize = 4 << 20 // directories, symlinks and the copied top-level files
	devTmpfsSize  = 1 << 20
	maxRootFile   = 64 << 10 // top-level files of a prepared root copied; larger ones (a kernel image) left out
	jinitMount    = "/run"   // the directory of JinitPath and NoServicesDir: a read-only null mount
)

// PlanRoot plans the root of spec. base names the host's top-level
// directories used when spec.Root is empty; jinitDir is a host directory
// that holds only the jinit binary, mounted read-only at /run so that
// JinitPath is the same as on Linux.
func PlanRoot(spec Spec, base []string, jinitDir string) (RootPlan, error) {
	p := RootPlan{Devices: JailDevices}
	p.Mounts = append(p.Mounts, RootMount{FS: "tmpfs", Dst: "/", NoSuid: true, NoDev: true, Mode: 0o755, Size: rootTmpfsSize})
	if err := p.planBase(spec.Root, base); err != nil {
		return RootPlan{}, err
	}
	for _, d := range WritableDirs {
		p.Mounts = append(p.Mounts, RootMount{FS: "null", Src: filepath.Join(spec.Writable, d), Dst: "/" + d, NoSuid: true, NoDev: true})
	}
	p.Mounts = append(p.Mounts,
		RootMount{FS: "null", Src: jinitDir, Dst: jinitMount, ReadOnly: true, NoSuid: true, NoDev: true},
		RootMount{FS: "tmpfs", Dst: "/dev", NoSuid: true, NoExec: true, Mode: 0o755, Size: devTmpfsSize},
		RootMount{FS: "ptyfs", Dst: "/dev/pts", NoSuid: true, NoExec: true, Optional: true},
		RootMount{FS: "procfs", Dst: "/proc", NoSuid: true, NoDev: true, NoExec: true, Optional: true},
	)
	for _, m := range spec.Mounts {
		rm, err := planExtra(m)
		if err != nil {
			return RootPlan{}, err
		}
		p.Mounts = append(p.Mounts, rm)
	}
	return p, nil
}

// overlaid are the top-level names the NetBSD plan provides itself; a
// prepared root's own entries by these names are hidden.
func overlaid(name string) bool {
	return name == "dev" || name == "proc" || "/"+name == jinitMount || slices.Contains(WritableDirs, name)
}

// BaseKind is how a top-level entry of a jail's read-only base is placed.
type BaseKind int

const (
	BaseDir  BaseKind = iota // mounted read-only (a bind mount, a null mount)
	BaseLink                 // recreated as the same symlink (a merged /lib -> usr/lib)
	BaseFile                 // a regular file (bound on Linux, copied on NetBSD)
)

// BaseEntry is one top-level entry of a jail's read-only base.
type BaseEntry struct {
	Src, Dst string
	Kind     BaseKind
	Target   string // BaseLink
	Mode     fs.FileMode
	Size     int64 // BaseFile
}

// PlanBase decides the read-only base of a jail, on every system: the
// host's top-level entries named in base, or, with a prepared root, every
// top-level entry of it; those the jail provides itself (provided) are
// left out, and so is anything that is neither a directory, a symlink
// nor a regular file (skipped, with the reason). A missing default entry
// is fine (not every system has /lib32).
func PlanBase(root string, base []string, provided func(name string) bool) ([]BaseEntry, []string, error) {
	dir, names := "/", base
	if root != "" {
		dir, names = root, nil
		ents, err := os.ReadDir(root)
		if err != nil {
			return nil, nil, fmt.Errorf("read root %s: %w", root, err)
		}
		for _, e := range ents {
			names = append(names, e.Name())
		}
	}
	var out []BaseEntry
	var skipped []string
	for _, name := range names {
		if provided(name) {
			continue
		}
		src := filepath.Join(dir, name)
		fi, err := os.Lstat(src)
		switch {
		case errors.Is(err, fs.ErrNotExist) && root == "":
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("base %s: %w", src, err)
		}
		e := BaseEntry{Src: src, Dst: "/" + name, Mode: fi.Mode().Perm(), Size: fi.Size()}
		switch mode := fi.Mode(); {
		case mode.IsDir():
			e.Kind = BaseDir
		case mode&fs.ModeSymlink != 0:
			if e.Target, err = os.Readlink(src); err != nil {
				return nil, nil, fmt.Errorf("base %s: %w", src, err)
			}
			e.Kind = BaseLink
		case mode.IsRegular():
			e.Kind = BaseFile
		default:
			skipped = append(skipped, fmt.Sprintf("%s: %s is neither a directory, a symlink nor a file", src, mode.Type()))
			continue
		}
		out = append(out, e)
	}
	return out, skipped, nil
}

// planBase places the base on the NetBSD root: directories null mounted
// read-only, symlinks recreated, small files copied (null mounts take
// directories only).
func (p *RootPlan) planBase(root string, base []string) error {
	entries, skipped, err := PlanBase(root, base, overlaid)
	if err != nil {
		return err
	}
	p.Skipped = append(p.Skipped, skipped...)
	for _, e := range entries {
		switch {
		case e.Kind == BaseDir:
			p.Mounts = append(p.Mounts, RootMount{FS: "null", Src: e.Src, Dst: e.Dst, ReadOnly: true, NoSuid: true, NoDev: true})
		case e.Kind == BaseLink:
			p.Links = append(p.Links, RootLink{Path: e.Dst, Target: e.Target})
		case e.Size <= maxRootFile:
			p.Files = append(p.Files, RootFile{Src: e.Src, Dst: e.Dst, Mode: e.Mode})
		default:
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: regular file of %d bytes, larger than %d", e.Src, e.Size, maxRootFile))
		}
	}
	return nil
}

// planExtra checks an extra mount: NetBSD null mounts take directories
// only, and the mount may not hide jinit.
func planExtra(m Mount) (RootMount, error) {
	dst := filepath.Clean(m.Dst)
	if !filepath.IsAbs(dst) || dst == "/" {
		return RootMount{}, fmt.Errorf("mount %s: destination must be an absolute path below /", m)
	}
	if Under(jinitMount, dst) {
		return RootMount{}, fmt.Errorf("mount %s: %s is reserved for jinit", m, jinitMount)
	}
	fi, err := os.Stat(m.Src)
	if err != nil {
		return RootMount{}, fmt.Errorf("mount %s: %w", m, err)
	}
	if !fi.IsDir() {
		return RootMount{}, fmt.Errorf("mount %s: %s is not a directory (NetBSD null mounts take directories only)", m, m.Src)
	}
	return RootMount{FS: "null", Src: m.Src, Dst: dst, ReadOnly: m.RO, NoSuid: true, NoDev: true}, nil
}

// MountPoints are the host paths of the plan's mounts under root, in
// mount order.
func (p *RootPlan) MountPoints(root string) []string {
	out := make([]string, len(p.Mounts))
	for i, m := range p.Mounts {
		out[i] = HostPath(root, m.Dst)
	}
	return out
}

// HostPath is where path inside a jail rooted at root lies on the host.
func HostPath(root, path string) string {
	return filepath.Join(root, filepath.Clean("/"+path))
}

// Under reports whether path is root or lies below it, by name only.
func Under(root, path string) bool {
	root, path = filepath.Clean(root), filepath.Clean(path)
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, "/")+"/")
}

// UnmountOrder picks, from the host's mount table in mount order, the
// mount points at or below any of roots, and returns them last mounted
// first: every mount a jail's root holds, whatever the record says.
func UnmountOrder(table []string, roots ...string) []string {
	var out []string
	for i := len(table) - 1; i >= 0; i-- {
		for _, r := range roots {
			if r != "" && Under(r, table[i]) {
				out = append(out, table[i])
				break
			}
		}
	}
	return out
}

// MakeMountPoint makes sure the mount point of dst exists under root as a
// real directory, creating what is missing, and refuses a symlink at any
// step: mount(2) follows symlinks, and the writable layer belongs to the
// jail, so a link there must not steer a mount onto the host. It is
// race-free because no process of the jail runs while its root is built.
func MakeMountPoint(root, dst string) (string, error) {
	p := filepath.Clean(root)
	for _, part := range strings.Split(strings.Trim(filepath.Clean("/"+dst), "/"), "/") {
		if part == "" {
			continue
		}
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(p, 0o755); err != nil {
				return "", fmt.Errorf("create mount point %s: %w", dst, err)
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("mount point %s: %w", dst, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("mount point %s: %s is a symlink", dst, p)
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("mount point %s: %s is not a directory", dst, p)
		}
	}
	return p, nil
}
