package kmod

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"syscall"
)

// StageArg is argv[1] of a jail's first process (see StageMain).
const StageArg = "__jail_stage"

// IsStage reports whether this process was started as a jail stage.
func IsStage() bool { return len(os.Args) > 1 && os.Args[1] == StageArg }

// stagePipes connect a keeper with its stage: the spec goes down a stream
// socket (its EOF releases the stage), with the descriptors of pass, and
// the stage's error comes back on a pipe, which is close-on-exec in the
// stage and so reads empty once jinit has been exec'd.
type stagePipes struct {
	specR, specW, errR, errW *os.File
	pass                     []*os.File // sent with the spec (SCM_RIGHTS)
}

func newStagePipes() (*stagePipes, error) {
	specR, specW, err := socketPair()
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
	p.closePass()
}

func (p *stagePipes) closePass() {
	for _, f := range p.pass {
		f.Close()
	}
	p.pass = nil
}

// release sends msg as the stage's spec and waits for the stage's verdict.
func (p *stagePipes) release(msg any) error {
	b, err := json.Marshal(msg)
	if err == nil {
		err = sendWithFiles(p.specW, append(b, '\n'), p.pass)
	}
	p.closePass()
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

// socketPair is a connected pair of stream sockets, close-on-exec.
func socketPair() (*os.File, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "stage-spec"), os.NewFile(uintptr(fds[1]), "stage-spec-w"), nil
}

// sendWithFiles writes b on the socket f, the files attached to its first
// bytes.
func sendWithFiles(f *os.File, b []byte, files []*os.File) error {
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, pf := range files {
			fds[i] = int(pf.Fd())
		}
		oob = syscall.UnixRights(fds...)
	}
	for len(b) > 0 || len(oob) > 0 {
		n, err := syscall.SendmsgN(int(f.Fd()), b, oob, nil, 0)
		if err != nil {
			return err
		}
		b, oob = b[n:], nil
	}
	return nil
}
