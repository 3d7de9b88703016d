package ports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// The host programs of a jail are attached to the cgroup2 root and nothing
// holds them: a jail's teardown removes them (Remove), and Sweep removes
// those of every jail whose cgroup is gone, whoever made it and whatever
// record was lost. They are found by name, which carries the jail's
// cgroup id.

// hostPrefix starts every host program's name.
const hostPrefix = "jh"

// hostName names the host programs of the jail whose cgroup id is id. A
// program name holds at most 15 bytes: ids below 2^52 fit.
func hostName(id uint64) string { return hostPrefix + strconv.FormatUint(id, 16) }

// hostID is the cgroup id a host program's name carries.
func hostID(name string) (uint64, bool) {
	hex, ok := strings.CutPrefix(name, hostPrefix)
	if !ok || hex == "" {
		return 0, false
	}
	id, err := strconv.ParseUint(hex, 16, 64)
	return id, err == nil && hostName(id) == name
}

// hostProgram is one host program attached to the cgroup2 root.
type hostProgram struct {
	jail uint64 // the jail's cgroup id
	at   ebpf.AttachType
	prog *ebpf.Program
}

// Remove detaches the host programs of the jail whose cgroup id is id.
// Its own programs go with its cgroup.
func Remove(id uint64) error {
	return withHostPrograms(false, func(root string, progs []hostProgram, _ map[uint64]bool) error {
		return detachAll(root, progs, func(j uint64) bool { return j == id })
	})
}

// Sweep detaches the host programs of every jail whose cgroup is gone.
func Sweep() error {
	return withHostPrograms(true, func(root string, progs []hostProgram, live map[uint64]bool) error {
		return detachAll(root, progs, func(j uint64) bool { return !live[j] })
	})
}

// Orphans names the host programs of jails whose cgroup is gone, which
// Sweep would remove: what a teardown that did not finish left.
func Orphans() (out []string, err error) {
	err = withHostPrograms(true, func(_ string, progs []hostProgram, live map[uint64]bool) error {
		out = names(progs, func(j uint64) bool { return !live[j] }, ", its cgroup gone")
		return nil
	})
	return out, err
}

// Attached names the host programs still attached for the jail whose
// cgroup id is id, for a check that nothing of a stopped jail is left.
func Attached(id uint64) (out []string, err error) {
	err = withHostPrograms(false, func(_ string, progs []hostProgram, _ map[uint64]bool) error {
		out = names(progs, func(j uint64) bool { return j == id }, "")
		return nil
	})
	return out, err
}

// withHostPrograms lists the host programs on the cgroup2 root once and
// hands them to do, with (if withLive and there are any) the ids of every
// cgroup that exists; it closes them afterwards.
func withHostPrograms(withLive bool, do func(root string, progs []hostProgram, live map[uint64]bool) error) error {
	progs, root, err := hostPrograms()
	defer closeAll(progs)
	if err != nil || len(progs) == 0 {
		return err
	}
	var live map[uint64]bool
	if withLive {
		if live, err = cgroupIDs(root); err != nil {
			return err
		}
	}
	return do(root, progs, live)
}

func detachAll(root string, progs []hostProgram, match func(jail uint64) bool) error {
	var errs []error
	for _, p := range progs {
		if match(p.jail) {
			if err := detach(root, p.prog, p.at); err != nil {
				errs = append(errs, fmt.Errorf("detach %s from %s: %w", hostName(p.jail), root, err))
			}
		}
	}
	return errors.Join(errs...)
}

func names(progs []hostProgram, match func(jail uint64) bool, suffix string) []string {
	var out []string
	for _, p := range progs {
		if match(p.jail) {
			out = append(out, fmt.Sprintf("eBPF program %s on the cgroup2 root (%s)%s", hostName(p.jail), p.at, suffix))
		}
	}
	return out
}

// hostPrograms lists the host programs attached to the cgroup2 root, with
// the root's directory; the caller closes them.
func hostPrograms() ([]hostProgram, string, error) {
	mounts, err := cgroup2Mounts()
	if err != nil {
		return nil, "", err
	}
	root, err := cgroup2Root(mounts)
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(root)
	if err != nil {
		return nil, root, fmt.Errorf("open cgroup2 root: %w", err)
	}
	defer f.Close()
	var out []hostProgram
	for _, at := range bindHooks {
		res, err := link.QueryPrograms(link.QueryOptions{Target: int(f.Fd()), Attach: at})
		if err != nil {
			return out, root, fmt.Errorf("list programs on %s: %w", root, err)
		}
		for _, ap := range res.Programs {
			prog, err := ebpf.NewProgramFromID(ap.ID)
			if err != nil {
				continue // detached meanwhile
			}
			info, err := prog.Info()
			id, ours := uint64(0), false
			if err == nil {
				id, ours = hostID(info.Name)
			}
			if !ours {
				prog.Close()
				continue
			}
			out = append(out, hostProgram{jail: id, at: at, prog: prog})
		}
	}
	return out, root, nil
}

func closeAll(progs []hostProgram) {
	for _, p := range progs {
		p.prog.Close()
	}
}

// cgroupIDs returns the ids of every cgroup of the hierarchy at root.
func cgroupIDs(root string) (map[uint64]bool, error) {
	ids := map[uint64]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // removed meanwhile
		}
		if !d.IsDir() {
			return nil
		}
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) == nil {
			ids[st.Ino] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list cgroups under %s: %w", root, err)
	}
	return ids, nil
}
