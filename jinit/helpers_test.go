//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

var jinitBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jinit-test")
	if err != nil {
		panic(err)
	}
	jinitBin = filepath.Join(dir, "jinit")
	b := exec.Command("go", "build", "-buildvcs=false", "-o", jinitBin, ".")
	b.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := b.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build jinit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: integration tests run real processes in new namespaces (CI runs them as root)")
	}
}

// writeService creates DIR/NAME with an executable run script and, if
// given, a service.toml.
func writeService(t *testing.T, dir, name, run, toml string) string {
	t.Helper()
	sd := filepath.Join(dir, name)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	writeExec(t, filepath.Join(sd, "run"), run)
	if toml != "" {
		if err := os.WriteFile(filepath.Join(sd, "service.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return sd
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// supervisor is a jinit running as PID 1 of a new PID namespace.
type supervisor struct {
	t      *testing.T
	cmd    *exec.Cmd
	sock   string
	out    *syncBuf
	done   chan struct{}
	err    error
	client *control.Client
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSupervisor starts jinit on svcDir; newPIDNS makes it PID 1 of a new
// PID namespace, otherwise it runs as a subreaper.
func startSupervisor(t *testing.T, svcDir string, newPIDNS bool) *supervisor {
	t.Helper()
	requireRoot(t)
	s := &supervisor{t: t, sock: filepath.Join(t.TempDir(), "control.sock"), out: &syncBuf{}, done: make(chan struct{})}
	s.cmd = exec.Command(jinitBin, "--services", svcDir, "--control", s.sock, "--debug")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if newPIDNS {
		s.cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start jinit: %v", err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		if s.client != nil {
			s.client.Close()
		}
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("jinit output:\n%s", s.out.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := control.Dial(context.Background(), s.sock)
		if err == nil {
			s.client = c
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("jinit control socket never came up: %v\n%s", err, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *supervisor) do(verb, service string) control.Response {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.client.Do(ctx, control.Request{Verb: verb, Service: service, TimeoutMS: 20000})
	if err != nil {
		s.t.Fatalf("%s %s: %v", verb, service, err)
	}
	return resp
}

func (s *supervisor) doReq(req control.Request) control.Response {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.client.Do(ctx, req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Verb, req.Service, err)
	}
	return resp
}

func (s *supervisor) status(name string) services.Status {
	s.t.Helper()
	return s.do(services.VerbStatus, name).Services[0]
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits for jinit to exit and returns how long that took.
func (s *supervisor) wait(within time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	select {
	case <-s.done:
		return time.Since(start)
	case <-time.After(within):
		s.t.Fatalf("jinit did not exit within %s", within)
	}
	return 0
}

// nsProcs lists the processes of the PID namespace of pid (from the host)
// with their state letter.
func nsProcs(pid int) map[int]byte {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		return nil
	}
	out := map[int]byte{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p int
		if _, err := fmt.Sscan(e.Name(), &p); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != ns {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if i > 0 && i+2 < len(b) {
			out[p] = b[i+2]
		}
	}
	return out
}

func countState(ps map[int]byte, state byte) int {
	n := 0
	for _, s := range ps {
		if s == state {
			n++
		}
	}
	return n
}

// procsWithEnv finds live processes whose environment contains marker.
func procsWithEnv(marker string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p int
		if _, err := fmt.Sscan(e.Name(), &p); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(b, []byte(marker)) {
			out = append(out, p)
		}
	}
	return out
}

// ignoreRealtime32 makes the test process ignore signal 32 — which the Go
// runtime never touches, so exec passes SIG_IGN on — until the test ends:
// jinit started now inherits it ignored, as it may from a real parent.
func ignoreRealtime32(t *testing.T) {
	t.Helper()
	var old [4]uintptr
	ign := [4]uintptr{1} // SIG_IGN
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, 32, uintptr(unsafe.Pointer(&ign)), uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		t.Fatalf("ignore signal 32: %v", e)
	}
	t.Cleanup(func() {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, 32, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	})
}
