package kmod

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/jailsproject/jails/kmod/profile"
	"golang.org/x/sys/unix"
)

// Process is a jail's first process: the stage, which becomes jinit.
type Process struct {
	Cmd *exec.Cmd
	// PidFD refers to the process (Linux 5.3), or is -1; the caller owns it.
	PidFD    int
	keeper   bool
	pipes    *stagePipes
	detached *detached // what prepareUserNS made, for the spec
}

// SpawnOptions say what the stage inherits and how it is tied to the
// jail's keeper, the host process that removes the jail once jinit exits.
type SpawnOptions struct {
	Control *os.File // the listening control socket: jinit's descriptor 3
	Console *os.File // jinit's own output
	// Keeper, if set, is the read end of a pipe whose write end only the
	// keeper holds: jinit exits, ending the jail, when it reads end of
	// file. It replaces the parent-death signal when the caller is not the
	// keeper (Detached).
	Keeper *os.File
	// Detached: the caller hands the jail to a keeper started beside it
	// and then exits, so the stage gets no parent-death signal, and a
	// pidfd (Process.PidFD) for the keeper to wait on.
	Detached bool
}

// Spawn starts the stage — the jinit binary spec.Jinit — in new
// namespaces, inside the jail's cgroup, and leaves it waiting for Release.
// Unless Detached, the caller is the keeper and must keep the calling OS
// thread alive while the jail runs (runtime.LockOSThread): the stage's
// parent-death signal fires when the thread that forked it exits.
func Spawn(spec Spec, cg *Cgroup, o SpawnOptions) (*Process, error) {
	if o.Detached && o.Keeper == nil {
		return nil, errors.New("spawn jail: a detached stage needs a keeper pipe")
	}
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
	p := &Process{PidFD: -1, keeper: o.Keeper != nil, pipes: pipes}
	if prof, err := profile.Parse(spec.Profile); err == nil {
		profile.NarrowStageBounding(prof) // this thread only forks the stage
	}
	cmd := func(intoCgroup int) *exec.Cmd {
		c := exec.Command("/proc/self/fd/"+strconv.Itoa(stageExeFD), StageArg, spec.Name)
		c.Args[0] = "jinit"
		c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		c.Stdin, c.Stdout, c.Stderr = nil, o.Console, o.Console
		c.ExtraFiles = append(pipes.stageFiles(o.Control), exe)
		if o.Keeper != nil {
			c.ExtraFiles = append(c.ExtraFiles, o.Keeper)
		}
		c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Setsid: true}
		if o.Detached {
			c.SysProcAttr.PidFD = &p.PidFD
		} else {
			c.SysProcAttr.Pdeathsig = syscall.SIGKILL
		}
		if intoCgroup >= 0 {
			c.SysProcAttr.UseCgroupFD, c.SysProcAttr.CgroupFD = true, intoCgroup
		}
		if spec.UserNS != nil {
			userNSAttrs(c.SysProcAttr, *spec.UserNS)
		}
		return c
	}
	cgfd, err := unix.Open(cg.V2, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		pipes.abandon()
		return nil, fmt.Errorf("open cgroup %s: %w", cg.V2, err)
	}
	defer unix.Close(cgfd)
	p.Cmd = cmd(cgfd)
	if spec.UserNS != nil {
		err = asRangeOwner(*spec.UserNS, p.Cmd.Start)
	} else {
		err = p.Cmd.Start()
	}
	if err != nil && cloneIntoUnsupported(err) {
		// Kernels or seccomp policies without clone3 / CLONE_INTO_CGROUP:
		// start outside and move it in before it is released.
		p.Cmd = cmd(-1)
		if spec.UserNS != nil {
			err = asRangeOwner(*spec.UserNS, p.Cmd.Start)
		} else {
			err = p.Cmd.Start()
		}
		if err == nil {
			err = writeFile(filepath.Join(cg.V2, "cgroup.procs"), strconv.Itoa(p.Cmd.Process.Pid))
		}
	}
	if err == nil {
		err = cg.AddProc(p.Cmd.Process.Pid)
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
		if p.PidFD >= 0 {
			unix.Close(p.PidFD)
		}
		pipes.abandon()
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	pipes.started()
	return p, nil
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
