package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// stdioRelay stands between the caller's standard streams and a command in
// a jail that runs without a terminal: the jail gets the ends of three
// pipes jailctl owns, never the caller's own descriptors. A descriptor of a
// terminal inside a jail would let a jailed process reopen it through
// /proc/PID/fd, write onto the operator's screen and read what is typed
// after exec returned (TIOCSTI where it is allowed); any other descriptor
// would outlive the command in whatever the jail forked. docker and podman
// relay the same way.
type stdioRelay struct {
	jail []*os.File // stdin (read end), stdout and stderr (write ends), for the jail
	outs sync.WaitGroup
	// stopIn's write end, closed when the command is done, ends the copy
	// of stdin: what is typed afterwards belongs to whoever reads the
	// terminal next (the operator's shell), not to what is left in the jail.
	stopIn, stopInW *os.File
}

// newStdioRelay makes the pipes and starts copying: in to the command's
// stdin, its stdout and stderr to out and errw.
func newStdioRelay(in io.Reader, out, errw io.Writer) (*stdioRelay, error) {
	r := &stdioRelay{}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("relay stdin: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("relay stdout: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeFiles(inR, inW, outR, outW)
		return nil, fmt.Errorf("relay stderr: %w", err)
	}
	if r.stopIn, r.stopInW, err = os.Pipe(); err != nil {
		closeFiles(inR, inW, outR, outW, errR, errW)
		return nil, fmt.Errorf("relay stdin: %w", err)
	}
	r.jail = []*os.File{inR, outW, errW}
	go func() {
		// Ends at the end of stdin, once the command (and everything
		// that inherited its stdin) is gone (EPIPE), or at stop.
		copyUntil(inW, in, r.stopIn)
		inW.Close()
		r.stopIn.Close()
	}()
	for _, p := range []struct {
		from *os.File
		to   io.Writer
	}{{outR, out}, {errR, errw}} {
		r.outs.Add(1)
		go func() {
			defer r.outs.Done()
			io.Copy(p.to, p.from)
			p.from.Close()
		}()
	}
	return r, nil
}

// sent closes jailctl's copies of the jail's ends once jinit has its own,
// so that the command's exit ends the output copies.
func (r *stdioRelay) sent() { closeFiles(r.jail...) }

// wait returns once the command's output is copied, or after a second if
// something it left running in the jail still holds the pipes: that
// process must not hold jailctl.
func (r *stdioRelay) wait() {
	r.stopInW.Close()
	done := make(chan struct{})
	go func() { r.outs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// copyUntil copies in to w until in ends or stop becomes readable. A
// file is read only once poll says it has data, so a read never waits on
// a terminal after stop: the next line typed is not taken from the shell.
func copyUntil(w io.Writer, in io.Reader, stop *os.File) {
	f, ok := in.(*os.File)
	if !ok {
		io.Copy(w, in)
		return
	}
	buf := make([]byte, 32<<10)
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}, {Fd: int32(stop.Fd()), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err == unix.EINTR {
			continue
		} else if err != nil || fds[1].Revents != 0 {
			return
		}
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
