package kmod

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// Jail is a Linux jail's kernel state, as recorded in its runtime record:
// its cgroup (the v2 directory, and v1 ones on hybrid hosts). Namespaces
// and mounts need no record: they live exactly as long as the jail's
// processes, which the cgroup holds. It is serialisable so that a later
// command can find and remove what a crashed one made; its JSON is the
// cgroup's own ({"v2": …, "v1": …, "cgroup_id": …}).
type Jail struct {
	Cgroup
	// CgroupID is the inode of the v2 directory, set once Create made it.
	// A directory made at the same path by a later start has another, so
	// Destroy never removes a later incarnation of the jail.
	CgroupID uint64 `json:"cgroup_id,omitempty"`
}

// PlanJail decides where the jail's kernel state will live, without
// making anything: a start records the plan first, so that a command
// after a crash can remove what a start killed half-way made.
func PlanJail(spec Spec, group string) (*Jail, error) {
	cg, err := PlanCgroup(group, spec.Name)
	if err != nil {
		return nil, err
	}
	return &Jail{Cgroup: *cg}, nil
}

// Create makes the planned cgroup with spec.Limits. A cgroup left at the
// planned path by an earlier incarnation that nothing runs in any more is
// removed first; one with live processes is an error naming them.
func (j *Jail) Create(spec Spec, log hclog.Logger) error {
	if j.Cgroup.Exists() {
		if procs := j.Cgroup.Procs(); len(procs) > 0 {
			return fmt.Errorf("create jail %s: cgroup %s is in use by processes %v", spec.Name, j.V2, procs)
		}
		if err := j.Cgroup.Destroy(); err != nil {
			return fmt.Errorf("create jail %s: remove a stale cgroup: %w", spec.Name, err)
		}
	}
	if err := j.Cgroup.Create(spec.Limits); err != nil {
		return err
	}
	id, err := inode(j.V2)
	if err != nil {
		j.Cgroup.Destroy()
		return fmt.Errorf("create jail %s: %w", spec.Name, err)
	}
	j.CgroupID = id
	return nil
}

// Ours reports whether the cgroup at the recorded path is the one this
// record made (or nothing is there).
func (j *Jail) Ours() bool {
	if j.CgroupID == 0 {
		return true
	}
	id, err := inode(j.V2)
	return err != nil || id == j.CgroupID
}

// Destroy kills every process of the jail and removes its cgroups. It
// tolerates what is already gone, and refuses (ErrOtherIncarnation) to
// touch a cgroup that a later start made at the same path.
func (j *Jail) Destroy(log hclog.Logger) error {
	if !j.Ours() {
		return ErrOtherIncarnation
	}
	return j.Cgroup.Destroy()
}

// Running reports whether the jail still has any process.
func (j *Jail) Running() bool { return len(j.Cgroup.Procs()) > 0 }

// Init returns the host pid of the jail's PID 1 (jinit), or 0: the
// process of the cgroup that is pid 1 in its own pid namespace, the
// shallowest such (a jail may make pid namespaces of its own inside).
func (j *Jail) Init() int {
	best, depth := 0, 0
	for _, pid := range j.Cgroup.Procs() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f, ok := strings.CutPrefix(line, "NSpid:"); ok {
				ids := strings.Fields(f)
				if len(ids) > 1 && ids[len(ids)-1] == "1" && (best == 0 || len(ids) < depth) {
					best, depth = pid, len(ids)
				}
			}
		}
	}
	return best
}

// FindJails looks for the kernel state of jail name of the instance
// group in the whole cgroup2 hierarchy: a cgroup is made below the cgroup
// of whichever jailctl started the jail, so a command that has lost the
// runtime record cannot know where from its own place. It returns every
// match with its current identity.
func FindJails(spec Spec, group string) ([]*Jail, error) {
	l, err := detectCgroups()
	if err != nil {
		return nil, err
	}
	var found []*Jail
	err = filepath.WalkDir(l.v2Mount, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if filepath.Base(p) == group {
			dir := filepath.Join(p, spec.Name)
			if id, err := inode(dir); err == nil {
				found = append(found, &Jail{Cgroup: *l.cgroupAt(strings.TrimPrefix(dir, l.v2Mount)), CgroupID: id})
			}
			return filepath.SkipDir
		}
		if strings.Count(strings.TrimPrefix(p, l.v2Mount), "/") >= maxFindDepth {
			return filepath.SkipDir
		}
		return nil
	})
	return found, err
}

// maxFindDepth bounds FindJails' walk: jails live a few levels below the
// cgroup of the process that started them (a service's, a session's).
const maxFindDepth = 8

// cgroupAt is the jail cgroup whose v2 path below the mount is rel, with
// the v1 directories at the same relative place in each hierarchy.
func (l *cgroupLayout) cgroupAt(rel string) *Cgroup {
	cg := &Cgroup{V2: filepath.Join(l.v2Mount, rel), V1: map[string]string{}}
	for _, c := range v1Controllers {
		if mnt := l.v1Mount[c]; mnt != "" {
			// The v1 place mirrors the v2 one relative to the starter's
			// own cgroup only when both were the same; look for it.
			if dir := findV1(mnt, rel); dir != "" {
				cg.V1[c] = dir
			}
		}
	}
	return cg
}

// findV1 finds the v1 directory of a jail in the hierarchy mounted at
// mnt: its last two path elements (GROUP/NAME) are the v2 ones.
func findV1(mnt, rel string) string {
	tail := filepath.Join(filepath.Base(filepath.Dir(rel)), filepath.Base(rel))
	var dir string
	filepath.WalkDir(mnt, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.HasSuffix(p, "/"+tail) {
			dir = p
			return filepath.SkipAll
		}
		if strings.Count(strings.TrimPrefix(p, mnt), "/") >= maxFindDepth {
			return filepath.SkipDir
		}
		return nil
	})
	return dir
}

func inode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// Holds reports whether process pid is in the jail.
func (j *Jail) Holds(pid int) bool {
	for _, p := range j.Cgroup.Procs() {
		if p == pid {
			return true
		}
	}
	return false
}

func (j *Jail) String() string { return "cgroup " + j.V2 }
