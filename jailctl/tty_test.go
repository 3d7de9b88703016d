package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// screen collects what a pseudo-terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) copyFrom(r io.Reader) {
	br := bufio.NewReader(r)
	b := make([]byte, 4096)
	for {
		n, err := br.Read(b)
		s.mu.Lock()
		s.buf.Write(b[:n])
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *screen) waitFor(t *testing.T, what string) {
	t.Helper()
	waitUntil(t, 10*time.Second, "terminal output "+what, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return strings.Contains(s.buf.String(), what)
	})
}

func (h *host) startOnPTY(t *testing.T, rows, cols uint16, args ...string) (*exec.Cmd, *os.File, *screen) {
	t.Helper()
	cmd := exec.Command(jailctlBin, append([]string{"--state-dir", h.state}, args...)...)
	cmd.Env = append(os.Environ(), "JAILS_JINIT="+jinitBin, "TERM=xterm")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); cmd.Process.Kill(); cmd.Wait() })
	s := &screen{}
	go s.copyFrom(ptmx)
	return cmd, ptmx, s
}

// exec -t gets a terminal inside the jail with our window size.
func TestExecTTY(t *testing.T) {
	h := newHost(t)
	h.jail("t")
	cmd, _, s := h.startOnPTY(t, 31, 97, "exec", "-t", "t", "--", "sh", "-c", "stty size; tty; test -t 0 && echo is-a-tty")
	s.waitFor(t, "31 97")
	s.waitFor(t, "/dev/pts/")
	s.waitFor(t, "is-a-tty")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exec -t: %v", err)
	}
}

// attach gives an interactive shell whose window size follows ours, and
// its exit status is the shell's.
func TestAttachFollowsWindowSize(t *testing.T) {
	h := newHost(t)
	h.jail("t")
	cmd, ptmx, s := h.startOnPTY(t, 24, 80, "attach", "t")
	io.WriteString(ptmx, "stty size; echo mark-one\n")
	s.waitFor(t, "24 80")
	s.waitFor(t, "mark-one")
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	// The resize reaches jailctl as SIGWINCH, which resizes the jail's
	// terminal; give it a moment before asking again.
	waitUntil(t, 10*time.Second, "the new size inside the jail", func() bool {
		io.WriteString(ptmx, "stty size\n")
		time.Sleep(200 * time.Millisecond)
		s.mu.Lock()
		defer s.mu.Unlock()
		return strings.Contains(s.buf.String(), "40 120")
	})
	io.WriteString(ptmx, "exit 3\n")
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("attach exit: %v, want status 3", err)
	}
}
