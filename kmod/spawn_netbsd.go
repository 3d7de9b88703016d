package kmod

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Process is a jail's first process: the stage, which becomes jinit.
type Process struct {
	Cmd    *exec.Cmd
	id     int32
	keeper bool
	pipes  *stagePipes
}

// Spawn starts the stage of jail j, whose root is composed and whose id
// exists, and leaves it waiting for Release. control becomes jinit's
// listening control socket (fd 3); console receives jinit's own output.
// The stage is this program again: it must run StageMain when IsStage.
// NetBSD has no parent-death signal: keeper, if not nil, is the read end
// of a pipe whose write end only the keeper holds, which jinit watches
// (--keeper-fd) and exits when it is closed, ending the jail.
func Spawn(spec Spec, j *Jail, control, console, keeper *os.File) (*Process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	pipes, err := newStagePipes()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, StageArg, spec.Name)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, console, console
	cmd.ExtraFiles = pipes.stageFiles(control)
	if keeper != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, keeper) // stageKeeperFD
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pipes.abandon()
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	pipes.started()
	return &Process{Cmd: cmd, id: j.ID, keeper: keeper != nil, pipes: pipes}, nil
}

// Release hands the stage its spec; it returns once jinit has been exec'd
// inside the jail, or with the stage's error.
func (p *Process) Release(spec Spec) error {
	spec.KeeperPipe = p.keeper
	return p.pipes.release(stageMsg{Spec: spec, ID: p.id})
}
