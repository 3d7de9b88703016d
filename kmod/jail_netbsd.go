package kmod

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod/secmodel"
	"golang.org/x/sys/unix"
)

// Jail is a NetBSD jail's kernel state: its secmodel_jail id and the root
// composed for it in the host's mount table. The keeper records it in the
// runtime file before it mounts anything, and again once the id exists,
// so that a later command can undo a start that died half-way.
type Jail struct {
	Name string `json:"name"`
	ID   int32  `json:"secmodel_id,omitempty"` // 0 until created
	Root string `json:"root"`                  // Spec.Mnt: the jail's / on the host
}

// JinitDir is the host directory that holds the jail's copy of jinit,
// beside its root; it is mounted read-only at /run.
func JinitDir(spec Spec) string { return filepath.Join(filepath.Dir(spec.Mnt), "jinit") }

// ComposeRoot mounts spec's root at spec.Mnt. What it mounted before an
// error stays mounted: Destroy finds it in the mount table.
func ComposeRoot(spec Spec, log hclog.Logger) error {
	dir, err := installJinit(spec)
	if err != nil {
		return err
	}
	plan, err := PlanRoot(spec, NetBSDBase, dir)
	if err != nil {
		return err
	}
	for _, s := range plan.Skipped {
		log.Warn("left out of the jail's root", "entry", s)
	}
	for i, m := range plan.Mounts {
		at, err := MakeMountPoint(spec.Mnt, m.Dst)
		if err != nil {
			return err
		}
		if err := mountAt(m, at); err != nil {
			if m.Optional && (errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EOPNOTSUPP)) {
				log.Warn("file system not available: left out of the jail", "fs", m.FS, "at", m.Dst, "error", err)
				continue
			}
			return fmt.Errorf("mount %s on %s: %w", m.FS, m.Dst, err)
		}
		switch {
		case i == 0:
			if err := plan.fillRoot(spec.Mnt); err != nil {
				return err
			}
		case m.Dst == "/dev":
			if err := makeDevices(at, plan.Devices); err != nil {
				return err
			}
		}
	}
	return nil
}

// installJinit puts jinit alone in JinitDir: a hard link where the file
// systems allow, else a copy. The host's binary itself is never mounted,
// so its directory's other files stay out of the jail. The empty
// NoServicesDir is made there too, since the jail's /run is read-only.
func installJinit(spec Spec) (string, error) {
	dir := JinitDir(spec)
	if err := os.MkdirAll(filepath.Join(dir, filepath.Base(NoServicesDir)), 0o755); err != nil {
		return "", fmt.Errorf("install jinit: %w", err)
	}
	dst := filepath.Join(dir, filepath.Base(JinitPath))
	os.Remove(dst)
	if os.Link(spec.Jinit, dst) == nil {
		return dir, nil
	}
	in, err := os.Open(spec.Jinit)
	if err != nil {
		return "", fmt.Errorf("install jinit: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o555)
	if err != nil {
		return "", fmt.Errorf("install jinit: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", fmt.Errorf("install jinit: %w", err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("install jinit: %w", err)
	}
	return dir, nil
}

// fillRoot puts the plan's symlinks and small files on the fresh root tmpfs.
func (p *RootPlan) fillRoot(root string) error {
	for _, l := range p.Links {
		if err := os.Symlink(l.Target, HostPath(root, l.Path)); err != nil {
			return fmt.Errorf("link %s: %w", l.Path, err)
		}
	}
	for _, f := range p.Files {
		b, err := os.ReadFile(f.Src)
		if err != nil {
			return fmt.Errorf("copy %s: %w", f.Src, err)
		}
		if err := os.WriteFile(HostPath(root, f.Dst), b, f.Mode); err != nil {
			return fmt.Errorf("copy %s: %w", f.Src, err)
		}
	}
	return nil
}

// makeDevices copies device nodes from the host's /dev into dev.
func makeDevices(dev string, devs []Device) error {
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, d := range devs {
		var st unix.Stat_t
		if err := unix.Stat("/dev/"+d.Name, &st); err != nil {
			if d.Required {
				return fmt.Errorf("create /dev/%s: host node: %w", d.Name, err)
			}
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR {
			if d.Required {
				return fmt.Errorf("create /dev/%s: the host's is not a character device", d.Name)
			}
			continue
		}
		if err := unix.Mknod(filepath.Join(dev, d.Name), st.Mode&(unix.S_IFMT|0o7777), int(st.Rdev)); err != nil {
			return fmt.Errorf("create /dev/%s: %w", d.Name, err)
		}
	}
	return nil
}

// PlanJail decides the jail's kernel state without making anything: its
// name and the host directory its root is composed at (spec.Mnt).
func PlanJail(spec Spec, group string) (*Jail, error) {
	if spec.NetNone {
		return nil, errors.New("net = \"none\" needs a network namespace, which NetBSD lacks: jails share the host's network there")
	}
	if _, err := SecmodelRequest(spec); err != nil {
		return nil, err
	}
	return &Jail{Name: spec.Name, Root: spec.Mnt}, nil
}

// Create composes the jail's root and creates its secmodel_jail jail,
// which enforces its profile and port reservations. What it made before
// an error is found and removed by Destroy.
func (j *Jail) Create(spec Spec, log hclog.Logger) error {
	req, err := SecmodelRequest(spec)
	if err != nil {
		return err
	}
	if err := ComposeRoot(spec, log); err != nil {
		return err
	}
	id, err := secmodel.Create(req)
	if err != nil {
		return err
	}
	j.ID = id
	return nil
}

// Ours reports whether the module's jail of this name is the one this
// record made, or none is there: ids are never reused while a jail lives.
func (j *Jail) Ours() bool {
	if j.ID == 0 {
		return true
	}
	infos, err := secmodel.List()
	if err != nil {
		return true
	}
	for _, in := range infos {
		if in.NameString() == j.Name && in.ID != j.ID {
			return false
		}
	}
	return true
}

// Running reports whether the jail still has any process.
func (j *Jail) Running() bool {
	in, ok, err := j.info()
	return err == nil && ok && in.NProcs > 0
}

// Init returns 0: the module offers the host no list of a jail's pids
// (jinit's pid is in the runtime record).
func (j *Jail) Init() int { return 0 }

// FindJails looks for jail spec.Name in the module's list, for a command
// that has lost the runtime record.
func FindJails(spec Spec, group string) ([]*Jail, error) {
	infos, err := secmodel.List()
	if errors.Is(err, secmodel.ErrNotLoaded) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Jail
	for _, in := range infos {
		if in.NameString() == spec.Name {
			out = append(out, &Jail{Name: spec.Name, ID: in.ID, Root: spec.Mnt})
		}
	}
	return out, nil
}

// info finds the jail in the module's list: by id and name, so that an id
// reused by another jail after a crash is never taken for this one.
func (j *Jail) info() (secmodel.Info, bool, error) {
	if j.ID == 0 {
		return secmodel.Info{}, false, nil
	}
	infos, err := secmodel.List()
	if err != nil {
		return secmodel.Info{}, false, err
	}
	for _, in := range infos {
		if in.ID == j.ID && in.NameString() == j.Name {
			return in, true, nil
		}
	}
	return secmodel.Info{}, false, nil
}

// Destroy kills every process of the jail, destroys it in the module and
// unmounts its root. It tolerates what is already gone, and fails if
// anything is left, so the caller must not remove the root's directory.
// While any process of the jail may be alive its root stays mounted.
func (j *Jail) Destroy(log hclog.Logger) error {
	if !j.Ours() {
		return ErrOtherIncarnation
	}
	if err := j.destroyID(log); err != nil {
		return err
	}
	if j.Root == "" {
		return nil
	}
	roots := []string{j.Root}
	if real, err := filepath.EvalSymlinks(j.Root); err == nil && real != j.Root {
		roots = append(roots, real) // the mount table holds resolved paths
	}
	if err := unmountUnder(roots...); err != nil {
		return fmt.Errorf("unmount the root of jail %s: %w", j.Name, err)
	}
	return nil
}

const destroyWait = 10 * time.Second

func (j *Jail) destroyID(log hclog.Logger) error {
	in, ok, err := j.info()
	if errors.Is(err, secmodel.ErrNotLoaded) {
		// The module refuses to unload while any jail exists: ours is gone.
		ok, err = false, nil
	}
	if err != nil {
		return fmt.Errorf("destroy jail %s: %w", j.Name, err)
	}
	if !ok {
		j.ID = 0
		return nil
	}
	if in.NProcs > 0 {
		if err := j.killMembers(); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(destroyWait)
	for {
		err := secmodel.Destroy(j.ID)
		switch {
		case err == nil, errors.Is(err, unix.ENOENT):
			j.ID = 0
			return nil
		case !errors.Is(err, unix.EBUSY) || time.Now().After(deadline):
			return err
		}
		// Zombies the host's init has not reaped yet, or a straggler.
		log.Debug("jail still has members", "jail", j.Name, "id", j.ID)
		if in, ok, _ := j.info(); ok && in.NProcs > 0 {
			j.killMembers()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killMembers runs this program as a kill stage inside the jail: only a
// member can reach every other member (kill(-1) from inside reaches
// exactly the jail), and the module offers no list of pids to the host.
// The calling program must run StageMain when IsStage.
func (j *Jail) killMembers() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("kill the processes of jail %s: %w", j.Name, err)
	}
	// Entering needs a chroot; the root directory always exists while the
	// jail does (it is removed only after Destroy succeeded).
	if err := os.MkdirAll(j.Root, 0o700); err != nil {
		return fmt.Errorf("kill the processes of jail %s: %w", j.Name, err)
	}
	cmd := exec.Command(exe, StageArg, stageKill, strconv.Itoa(int(j.ID)), j.Name, j.Root)
	cmd.Env = []string{"PATH=/sbin:/bin:/usr/sbin:/usr/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kill the processes of jail %s: %w: %s", j.Name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Usage reads the jail's accounting from the module's list.
func (j *Jail) Usage() Usage {
	in, ok, err := j.info()
	if err != nil || !ok {
		return Usage{}
	}
	return usageOf(in, statHz(), int64(unix.Getpagesize()))
}

// statHz is the rate of the statistics clock that ji_cpu_ticks counts.
func statHz() int64 {
	ci, err := unix.SysctlClockinfo("kern.clockrate")
	if err != nil {
		return 0
	}
	if ci.Stathz > 0 {
		return int64(ci.Stathz)
	}
	return int64(ci.Hz)
}

// Holds reports whether process pid is in the jail: the module offers no
// list of a jail's pids, so any member of a live jail is taken as one.
func (j *Jail) Holds(pid int) bool { return j.Running() }

func (j *Jail) String() string {
	return fmt.Sprintf("secmodel_jail %d (%s), root %s", j.ID, j.Name, j.Root)
}
