package kmod

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// StageArg is argv[1] of a jail's first process (see StageMain).
const StageArg = "__jail_stage"

// IsStage reports whether this process was started as a jail stage.
func IsStage() bool { return len(os.Args) > 1 && os.Args[1] == StageArg }

// stagePipes connect a keeper with its stage: the spec goes down one pipe
// (its EOF releases the stage), and the stage's error comes back on the
// other, which is close-on-exec in the stage and so reads empty once jinit
// has been exec'd.
type stagePipes struct {
	specR, specW, errR, errW *os.File
}

func newStagePipes() (*stagePipes, error) {
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
	return &stagePipes{specR: specR, specW: specW, errR: errR, errW: errW}, nil
}

// stageFiles are the stage's descriptors 3, 4 and 5.
func (p *stagePipes) stageFiles(control *os.File) []*os.File {
	return []*os.File{control, p.specR, p.errW}
}

// started closes the stage's ends in the keeper once the stage has them.
func (p *stagePipes) started() {
	p.specR.Close()
	p.errW.Close()
}

// abandon closes everything after a failed start.
func (p *stagePipes) abandon() {
	p.started()
	p.specW.Close()
	p.errR.Close()
}

// release sends msg as the stage's spec and waits for the stage's verdict.
func (p *stagePipes) release(msg any) error {
	err := json.NewEncoder(p.specW).Encode(msg)
	p.specW.Close()
	if err != nil {
		p.errR.Close()
		return fmt.Errorf("release jail stage: %w", err)
	}
	out, _ := io.ReadAll(io.LimitReader(p.errR, 64<<10))
	p.errR.Close()
	if len(out) > 0 {
		return fmt.Errorf("set up jail: %s", out)
	}
	return nil
}
