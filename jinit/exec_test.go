//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/jinit/control"
)

func execClient(t *testing.T, s *supervisor) *control.Client {
	t.Helper()
	c, err := control.Dial(context.Background(), s.sock)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exec passes stdin, stdout and stderr through and returns the status.
func TestExecPipes(t *testing.T) {
	s := startSupervisor(t, t.TempDir(), true)
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	c := execClient(t, s)
	sess, err := c.Exec(context.Background(), control.Request{Argv: []string{"sh", "-c", "cat; echo err >&2; exit 7"}}, []*os.File{inR, outW, outW})
	if err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	inW.Write([]byte("hello\n"))
	inW.Close()
	out, _ := io.ReadAll(outR)
	code, err := sess.Wait()
	if err != nil || code != 7 {
		t.Fatalf("exit %d %v", code, err)
	}
	if string(out) != "hello\nerr\n" {
		t.Fatalf("output %q", out)
	}
	sess.Close()
}

func TestExecNotFound(t *testing.T) {
	s := startSupervisor(t, t.TempDir(), true)
	c := execClient(t, s)
	defer c.Close()
	_, err := c.Exec(context.Background(), control.Request{Argv: []string{"no-such-cmd"}}, []*os.File{os.Stdin, os.Stdout, os.Stderr})
	var ee *control.ExitError
	if !errors.As(err, &ee) || ee.Code != 127 {
		t.Fatalf("want exit 127, got %v", err)
	}
}

// exec -t gets a terminal allocated by jinit with the requested size.
func TestExecTTY(t *testing.T) {
	s := startSupervisor(t, t.TempDir(), true)
	c := execClient(t, s)
	sess, err := c.Exec(context.Background(), control.Request{TTY: true, Rows: 33, Cols: 101, Argv: []string{"sh", "-c", "stty size; test -t 0 && echo tty-ok"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, sess.PTY); close(done) }()
	code, err := sess.Wait()
	if err != nil || code != 0 {
		t.Fatalf("exit %d %v", code, err)
	}
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	if got := out.String(); !strings.Contains(got, "33 101") || !strings.Contains(got, "tty-ok") {
		t.Fatalf("terminal output %q", got)
	}
}
