package kmod

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// Process is a jail's first process: the stage, which becomes jinit.
type Process struct {
	Cmd   *exec.Cmd
	id    int32
	specW *os.File
	errR  *os.File
}

// Spawn starts the stage of jail j, whose root is composed and whose id
// exists, and leaves it waiting for Release. control becomes jinit's
// listening control socket (fd 3); console receives jinit's own output.
// The stage is this program again: it must run StageMain when IsStage.
// NetBSD has no parent-death signal: if the keeper dies, the jail runs on
// until a later command reconciles it (Jail.Destroy).
func Spawn(spec Spec, j *Jail, control, console *os.File) (*Process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		specR.Close()
		specW.Close()
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	defer specR.Close()
	defer errW.Close()
	cmd := exec.Command(exe, StageArg, spec.Name)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, console, console
	cmd.ExtraFiles = []*os.File{control, specR, errW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		specW.Close()
		errR.Close()
		return nil, fmt.Errorf("spawn jail: %w", err)
	}
	return &Process{Cmd: cmd, id: j.ID, specW: specW, errR: errR}, nil
}

// Release hands the stage its spec; it returns once jinit has been exec'd
// inside the jail, or with the stage's error.
func (p *Process) Release(spec Spec) error {
	err := json.NewEncoder(p.specW).Encode(stageMsg{Spec: spec, ID: p.id})
	p.specW.Close()
	if err != nil {
		return fmt.Errorf("release jail stage: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(p.errR, 64<<10))
	p.errR.Close()
	if len(msg) > 0 {
		return fmt.Errorf("set up jail: %s", msg)
	}
	return nil
}
