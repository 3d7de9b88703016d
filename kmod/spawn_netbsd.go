package kmod

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// Process is a jail's first process: the stage, which becomes jinit.
type Process struct {
	Cmd *exec.Cmd
	// PidFD is nil: NetBSD has no pidfd (WaitExit watches the pid).
	PidFD  *os.File
	id     int32
	pipes  *stagePipes
	keeper bool // the stage has a keeper socket
}

// Pid is the process's host pid.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Spawn starts the stage of jail j, whose root is composed and whose id
// exists, and leaves it waiting for Release. The stage is this program
// again: it must run StageMain when IsStage. Given a keeper socket
// (o.Keeper), jinit watches it (--keeper-fd) and exits when the keeper's
// end is closed, ending the jail.
func (j *Jail) Spawn(spec Spec, o SpawnOptions) (*Process, error) {
	control, console, keeper := o.Control, o.Console, o.Keeper
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
	cmd.ExtraFiles = append(cmd.ExtraFiles, keeper) // stageKeeperFD; nil: closed
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pipes.abandon()
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	pipes.started()
	return &Process{Cmd: cmd, id: j.ID, pipes: pipes, keeper: keeper != nil}, nil
}

// Release hands the stage its spec; it returns once jinit has been exec'd
// inside the jail, or with the stage's error.
func (p *Process) Release(spec Spec) error {
	spec.KeeperPipe = p.keeper
	return p.pipes.release(stageMsg{Spec: spec, ID: p.id})
}
