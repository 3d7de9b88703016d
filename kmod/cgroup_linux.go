package kmod

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jailsproject/jails/kmod/mountinfo"
	"golang.org/x/sys/unix"
)

// Cgroup is a jail's cgroup: always a cgroup2 directory (identity for the
// eBPF port programs, cgroup.kill, cpu.stat, populated events) and, on
// hybrid hosts, directories in the v1 cpu, cpuacct, memory and pids
// hierarchies so accounting and limits work where the v2 controllers are
// not available. It is serialisable so a later command can clean up after
// a crashed one.
type Cgroup struct {
	V2 string            `json:"v2"`
	V1 map[string]string `json:"v1,omitempty"` // controller → directory
}

var v1Controllers = []string{"cpu", "cpuacct", "memory", "pids"}

// cgroupLayout is what this host offers.
type cgroupLayout struct {
	v2Mount string            // where the cgroup2 hierarchy is mounted
	v2Own   string            // our own cgroup2 path (from /proc/self/cgroup)
	v1Mount map[string]string // controller → mount point
	v1Own   map[string]string // controller → our own path
}

func detectCgroups() (*cgroupLayout, error) {
	l := &cgroupLayout{v1Mount: map[string]string{}, v1Own: map[string]string{}}
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var fs unix.Statfs_t
		if unix.Statfs(p, &fs) == nil && fs.Type == unix.CGROUP2_SUPER_MAGIC {
			l.v2Mount = p
			break
		}
	}
	if l.v2Mount == "" {
		return nil, errors.New("find cgroup2: not mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(own)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			l.v2Own = f[2]
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			l.v1Own[c] = f[2]
		}
	}
	if l.v2Mount == "/sys/fs/cgroup" {
		return l, nil // unified host: no v1
	}
	if err := l.findV1Mounts(); err != nil {
		return nil, err
	}
	return l, nil
}

// findV1Mounts reads mountinfo for the v1 hierarchies of the controllers we use.
func (l *cgroupLayout) findV1Mounts() error {
	ms, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.FSType != "cgroup" || m.Root != "/" {
			continue
		}
		for _, opt := range strings.Split(m.SuperOptions, ",") {
			for _, c := range v1Controllers {
				if opt == c {
					l.v1Mount[c] = m.Point
				}
			}
		}
	}
	return nil
}

// CreateCgroup makes GROUP/NAME below this process's own cgroup in every
// hierarchy, and applies the limits. It fails if the cgroup exists (a
// stale one must be removed by Destroy first).
func CreateCgroup(group, name string, lim Limits) (*Cgroup, error) {
	cg, err := PlanCgroup(group, name)
	if err != nil {
		return nil, err
	}
	if err := cg.Create(lim); err != nil {
		return nil, err
	}
	return cg, nil
}

// PlanCgroup returns where CreateCgroup would make the jail's cgroup,
// without making it: a start records the plan first, so that a later
// command can remove what a start killed half-way made.
func PlanCgroup(group, name string) (*Cgroup, error) {
	l, err := detectCgroups()
	if err != nil {
		return nil, err
	}
	cg := &Cgroup{V2: filepath.Join(l.v2Mount, l.v2Base(), group, name), V1: map[string]string{}}
	for _, c := range v1Controllers {
		if mnt := l.v1Mount[c]; mnt != "" {
			cg.V1[c] = filepath.Join(mnt, l.v1Own[c], group, name)
		}
	}
	return cg, nil
}

// Create makes the planned directories and applies the limits; on
// failure it removes what it made.
func (cg *Cgroup) Create(lim Limits) error {
	if err := enterLeaf(filepath.Dir(filepath.Dir(cg.V2))); err != nil {
		return err
	}
	if err := mkdirCgroup(cg.V2); err != nil {
		return err
	}
	delegate(filepath.Dir(cg.V2))
	made := map[string]bool{}
	for _, c := range v1Controllers {
		dir, ok := cg.V1[c]
		if !ok || made[dir] { // co-mounted (cpu,cpuacct): same directory
			continue
		}
		if err := mkdirCgroup(dir); err != nil {
			cg.Destroy()
			return err
		}
		made[dir] = true
	}
	if err := cg.setLimits(lim); err != nil {
		cg.Destroy()
		return err
	}
	return nil
}

// delegate enables, in the group that holds the jails (a cgroup without
// processes of its own), every v2 controller among cpu, memory and pids
// that its parent hands down, so limits and accounting use v2 where the
// host offers it. What the parent does not delegate stays with v1 (hybrid
// hosts) or is reported missing when a limit needs it.
func delegate(group string) {
	avail, err := os.ReadFile(filepath.Join(group, "cgroup.controllers"))
	if err != nil {
		return
	}
	for _, c := range strings.Fields(string(avail)) {
		if c == "cpu" || c == "memory" || c == "pids" {
			writeFile(filepath.Join(group, "cgroup.subtree_control"), "+"+c)
		}
	}
}

// supervisorLeaf is the cgroup a managing process (jailctl run under
// jail@.service, jailctl start in its transient scope) moves into inside a
// cgroup that systemd delegated to it. cgroup v2's no-internal-process
// rule lets a cgroup that holds processes of its own enable no controllers
// for its children: left in the unit's cgroup, jailctl would leave the
// jails' cgroups without memory, cpu and pids limits.
const supervisorLeaf = "supervisor"

// delegated reports whether systemd delegated this cgroup (Delegate=yes):
// it marks such cgroups with the trusted.delegate (and, newer, the
// user.delegate) extended attribute.
func delegated(dir string) bool {
	buf := make([]byte, 8)
	for _, attr := range []string{"trusted.delegate", "user.delegate"} {
		if n, err := unix.Getxattr(dir, attr, buf); err == nil && string(buf[:n]) == "1" {
			return true
		}
	}
	return false
}

// v2Base is where this process puts its jails: its own cgroup, or the
// delegated cgroup whose supervisor leaf it already moved into.
func (l *cgroupLayout) v2Base() string {
	if filepath.Base(l.v2Own) == supervisorLeaf && delegated(filepath.Join(l.v2Mount, filepath.Dir(l.v2Own))) {
		return filepath.Dir(l.v2Own)
	}
	return l.v2Own
}

// EnterDelegatedLeaf moves this process into the supervisor leaf of its
// own cgroup if systemd delegated that cgroup to it (a transient scope made
// for a jail): the keeper it starts then inherits the leaf, and the
// delegated cgroup is left free to hand its controllers down.
func EnterDelegatedLeaf() error {
	l, err := detectCgroups()
	if err != nil {
		return err
	}
	return enterLeaf(filepath.Join(l.v2Mount, l.v2Base()))
}

// enterLeaf, in a delegated cgroup that still holds this process, moves the
// process into the supervisor leaf and enables the controllers systemd
// delegated for the cgroups below, as cgroup v2 requires. Anywhere else it
// does nothing.
func enterLeaf(base string) error {
	if !delegated(base) {
		return nil
	}
	leaf := filepath.Join(base, supervisorLeaf)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup %s: %w", leaf, err)
	}
	if err := writeFile(filepath.Join(leaf, "cgroup.procs"), strconv.Itoa(os.Getpid())); err != nil {
		return fmt.Errorf("move into %s: %w", leaf, err)
	}
	delegate(base)
	return nil
}

func mkdirCgroup(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	return nil
}

// setLimits writes the hard limits, preferring v2 controllers when the
// parent delegates them and falling back to v1.
func (cg *Cgroup) setLimits(lim Limits) error {
	type knob struct {
		set          bool
		v2File, v2   string
		v1Ctl, v1Fil string
		v1           string
	}
	period := int64(100000)
	knobs := []knob{
		{lim.MemoryBytes > 0, "memory.max", fmt.Sprint(lim.MemoryBytes), "memory", "memory.limit_in_bytes", fmt.Sprint(lim.MemoryBytes)},
		{lim.Pids > 0, "pids.max", fmt.Sprint(lim.Pids), "pids", "pids.max", fmt.Sprint(lim.Pids)},
		{lim.CPUs > 0, "cpu.max", fmt.Sprintf("%d %d", int64(lim.CPUs*float64(period)), period), "cpu", "cpu.cfs_quota_us", fmt.Sprint(int64(lim.CPUs * float64(period)))},
	}
	for _, k := range knobs {
		if !k.set {
			continue
		}
		if writeFile(filepath.Join(cg.V2, k.v2File), k.v2) == nil {
			continue
		}
		dir := cg.V1[k.v1Ctl]
		if dir == "" {
			return fmt.Errorf("set %s: no cgroup controller available on this host", k.v2File)
		}
		if k.v1Ctl == "cpu" {
			writeFile(filepath.Join(dir, "cpu.cfs_period_us"), fmt.Sprint(period))
		}
		if err := writeFile(filepath.Join(dir, k.v1Fil), k.v1); err != nil {
			return fmt.Errorf("set %s: %w", k.v1Fil, err)
		}
	}
	return nil
}

func writeFile(path, v string) error {
	return os.WriteFile(path, []byte(v), 0o644)
}

// AddProc moves pid into the v1 hierarchies (the v2 placement happens at
// clone time through CLONE_INTO_CGROUP).
func (cg *Cgroup) AddProc(pid int) error {
	for _, c := range cg.v1Dirs() {
		if err := writeFile(filepath.Join(cg.V1[c], "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join %s cgroup: %w", c, err)
		}
	}
	return nil
}

// EnterV1 moves the calling OS thread, which must be locked to its
// goroutine, into the v1 hierarchies of a cgroup this process planned
// (PlanCgroup), so that what it forks is born there; leave moves it back. Moving a process means taking the kernel's global
// threadgroup lock for writing, an RCU grace period (a few milliseconds)
// on every start; a thread moving itself through the "tasks" file does
// not take it (cgroup_procs_write_start). The thread must move back: Go
// may not end it with its goroutine (the main thread is kept), and a
// thread left in the jail's cgroups keeps them from being removed.
func (cg *Cgroup) EnterV1() (leave func() error, err error) {
	var back []string
	leave = func() error {
		var errs []error
		for _, d := range back {
			if err := writeFile(filepath.Join(d, "tasks"), "0"); err != nil {
				errs = append(errs, fmt.Errorf("leave the jail's cgroups: %w", err))
			}
		}
		return errors.Join(errs...)
	}
	for _, c := range cg.v1Dirs() {
		// PlanCgroup put the jail at GROUP/NAME below this process's own
		// cgroup: where the thread comes back to.
		orig := filepath.Dir(filepath.Dir(cg.V1[c]))
		if err := writeFile(filepath.Join(cg.V1[c], "tasks"), "0"); err != nil {
			return nil, errors.Join(fmt.Errorf("join %s cgroup: %w", c, err), leave())
		}
		back = append(back, orig)
	}
	return leave, nil
}

// v1Dirs are the controllers of distinct v1 directories (co-mounted
// controllers share one), in a fixed order.
func (cg *Cgroup) v1Dirs() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range slices.Sorted(maps.Keys(cg.V1)) {
		if !seen[cg.V1[c]] {
			seen[cg.V1[c]] = true
			out = append(out, c)
		}
	}
	return out
}

// Procs lists the processes of the jail (v2, recursively).
func (cg *Cgroup) Procs() []int {
	var out []int
	filepath.WalkDir(cg.V2, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
		return nil
	})
	return out
}

// Kill kills every process of the jail and waits (bounded) until none is left.
func (cg *Cgroup) Kill(within time.Duration) error {
	if _, err := os.Stat(cg.V2); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	deadline := time.Now().Add(within)
	for {
		procs := cg.Procs()
		if len(procs) == 0 {
			return nil
		}
		if writeFile(filepath.Join(cg.V2, "cgroup.kill"), "1") != nil {
			for _, p := range procs {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kill jail processes: %d still alive after %s", len(procs), within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Destroy kills what is left and removes the cgroup directories, and the
// group directory above them once it is empty. Missing directories are fine.
func (cg *Cgroup) Destroy() error {
	var errs []error
	if err := cg.Kill(5 * time.Second); err != nil {
		errs = append(errs, err)
	}
	dirs := []string{cg.V2}
	for _, d := range cg.V1 {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := rmdirRetry(d); err != nil {
			errs = append(errs, err)
			continue
		}
		os.Remove(filepath.Dir(d)) // the group: only succeeds when empty
	}
	return errors.Join(errs...)
}

// rmdirRetry removes a cgroup directory; right after the last process
// exits the kernel may still report it busy for a moment.
func rmdirRetry(dir string) error {
	for i := 0; ; i++ {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || i >= 100 {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Exists reports whether any of the jail's cgroup directories is there.
func (cg *Cgroup) Exists() bool {
	if _, err := os.Stat(cg.V2); err == nil {
		return true
	}
	for _, d := range cg.V1 { // a v1 directory that a crash left behind
		if _, err := os.Stat(d); err == nil {
			return true
		}
	}
	return false
}
