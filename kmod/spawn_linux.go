package kmod

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"github.com/jailsproject/jails/kmod/profile"
	"golang.org/x/sys/unix"
)

// Process is a jail's first process: the stage, which becomes jinit.
type Process struct {
	Cmd *exec.Cmd
	// PidFD refers to the process: whoever holds it can wait for it
	// without being its parent (WaitExit). The caller owns it.
	PidFD    *os.File
	pipes    *stagePipes
	detached *detached // what prepareUserNS made, for the spec
	keeper   bool      // the stage has a keeper socket
}

// Pid is the process's host pid.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Spawn starts the stage — the jinit binary spec.Jinit — in new
// namespaces, inside the jail's cgroup, and leaves it waiting for Release.
// The stage gets no parent-death signal: the jail outlives the caller,
// on its own or held by a keeper (o.Keeper, `jailctl run`).
func (j *Jail) Spawn(spec Spec, o SpawnOptions) (*Process, error) {
	if spec.UserNS != nil {
		if err := spec.UserNS.Valid(); err != nil {
			return nil, fmt.Errorf("spawn jail: %w", err)
		}
		if err := ShiftOwners(spec.Writable, *spec.UserNS); err != nil {
			return nil, fmt.Errorf("spawn jail: %w", err)
		}
	}
	exe, err := readOnlyCopy(spec.Jinit)
	if err != nil {
		return nil, err
	}
	defer exe.Close()
	pipes, err := newStagePipes()
	if err != nil {
		return nil, err
	}
	// A cgroup namespace rooted at the jail's cgroup (it is born there,
	// CLONE_INTO_CGROUP): a jail that can mount cgroup2 (low) sees its own
	// cgroup as the root, no parent to leave for and no other jail's to join.
	flags := uintptr(syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWCGROUP)
	if spec.NetNone {
		flags |= syscall.CLONE_NEWNET
	}
	pidfd := -1
	cmd := func(intoCgroup int) *exec.Cmd {
		c := exec.Command("/proc/self/fd/"+strconv.Itoa(stageExeFD), StageArg, spec.Name)
		c.Args[0] = "jinit"
		// One P: the Go runtime then starts fewer threads, so Apply, which
		// stops every thread once per capability it drops (about 40 times
		// in a user namespace, whose bounding set starts full), takes half
		// the time, and jinit holds about 0.3 MB less for the jail's life.
		// A supervisor mostly waits; one core still carries its log capture
		// at twice s6-log's rate (docs/BENCHMARKS.md). The stage clears the
		// environment before any service.
		c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GOMAXPROCS=1"}
		c.Stdin, c.Stdout, c.Stderr = nil, o.Console, o.Console
		c.ExtraFiles = append(pipes.stageFiles(o.Control), exe, o.Keeper) // a nil Keeper: stageKeeperFD closed
		c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Setsid: true, PidFD: &pidfd}
		if intoCgroup >= 0 {
			c.SysProcAttr.UseCgroupFD, c.SysProcAttr.CgroupFD = true, intoCgroup
		}
		if spec.UserNS != nil {
			userNSAttrs(c.SysProcAttr, *spec.UserNS)
		}
		return c
	}
	cg := &j.Cgroup
	cgfd, err := unix.Open(cg.V2, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		pipes.abandon()
		return nil, fmt.Errorf("open cgroup %s: %w", cg.V2, err)
	}
	defer unix.Close(cgfd)
	p := &Process{pipes: pipes, keeper: o.Keeper != nil}
	p.Cmd = cmd(cgfd)
	err = forkStage(spec, cg, p.Cmd)
	if err != nil && cloneIntoUnsupported(err) {
		// Kernels or seccomp policies without clone3 / CLONE_INTO_CGROUP:
		// start outside and move it in before it is released.
		p.Cmd = cmd(-1)
		if err = forkStage(spec, cg, p.Cmd); err == nil {
			err = writeFile(filepath.Join(cg.V2, "cgroup.procs"), strconv.Itoa(p.Cmd.Process.Pid))
		}
	}
	if err == nil && pidfd < 0 {
		err = errors.New("the kernel gave no pidfd (Linux 5.3 or later is needed)")
	}
	if err == nil && spec.UserNS != nil {
		pipes.pass, err = prepareUserNS(&spec, p.Cmd.Process.Pid)
		p.detached = spec.Detached
	}
	if err != nil {
		if p.Cmd.Process != nil {
			p.Cmd.Process.Kill()
			p.Cmd.Wait()
		}
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		pipes.abandon()
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	p.PidFD = os.NewFile(uintptr(pidfd), "pidfd")
	pipes.started()
	return p, nil
}

// forkStage starts the stage from an OS thread of its own, which ends
// with the fork: the thread joins the jail's v1 cgroups (EnterV1: the
// stage is born in every hierarchy) and leaves them once it has forked,
// its bounding set is narrowed to what the stage and the jail will use
// (each capability left costs Apply a stop of every thread), and for a
// user namespace its effective uid becomes the range's (asRangeOwner),
// then root again. The bounding set may not leak into anything else this
// process execs later: the thread runs nothing more (Go ends it, or, the
// main thread, keeps it idle).
func forkStage(spec Spec, cg *Cgroup, cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		leave, err := cg.EnterV1()
		if err != nil {
			errc <- err
			return
		}
		if prof, err := profile.Parse(spec.Profile); err == nil {
			profile.NarrowStageBounding(prof)
		}
		start := cmd.Start
		if spec.UserNS != nil {
			start = func() error { return asRangeOwner(*spec.UserNS, cmd.Start) }
		}
		// A thread left in the jail's cgroups keeps them from being
		// removed: failing to leave fails the spawn (the caller kills the
		// stage).
		errc <- errors.Join(start(), leave())
	}()
	return <-errc
}

// readOnlyCopy returns a detached, read-only, nosuid bind of the file at
// path (open_tree and mount_setattr on the copy: no mount namespace is
// touched). The stage is exec'd from it, so the jail's PID 1 runs a binary
// that nothing in the jail can write through /proc/1/exe.
func readOnlyCopy(path string) (*os.File, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("spawn jail: open %s: %w", path, err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("spawn jail: make a read-only copy of %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

func cloneIntoUnsupported(err error) bool {
	return errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.ENOSYS) ||
		errors.Is(err, syscall.E2BIG) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EBUSY)
}

// Release hands the stage its spec; it returns once the stage has become
// jinit, or with the stage's error.
func (p *Process) Release(spec Spec) error {
	spec.KeeperPipe, spec.Detached = p.keeper, p.detached
	return p.pipes.release(spec)
}
