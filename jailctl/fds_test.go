//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/jailsproject/jails/jailctl/store"
	"golang.org/x/sys/unix"
)

// Issue 17, item 1: nothing crosses into a jail but what jailctl means to
// pass. The callers of start, exec, apply and attach hold a directory
// descriptor and a pipe without close-on-exec (ExtraFiles); jinit, a
// service and each operator command are then inspected from the host.

// strays are the caller's leaked descriptors and their identities.
type strays struct {
	files []*os.File
	ids   map[[2]uint64]string
}

func newStrays(t *testing.T) *strays {
	t.Helper()
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFiles(dir, r, w) })
	s := &strays{files: []*os.File{dir, w}, ids: map[[2]uint64]string{}}
	for what, f := range map[string]*os.File{"directory": dir, "pipe": w} {
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			t.Fatal(err)
		}
		s.ids[[2]uint64{st.Dev, st.Ino}] = what
	}
	return s
}

// fdsOf lists pid's descriptors as number → what, from the host.
func fdsOf(pid int) map[int]unix.Stat_t {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(dir)
	out := map[int]unix.Stat_t{}
	for _, e := range ents {
		n, _ := strconv.Atoi(e.Name())
		var st unix.Stat_t
		if unix.Stat(filepath.Join(dir, e.Name()), &st) == nil {
			out[n] = st
		}
	}
	return out
}

// check fails if pid holds a stray, or (only != nil) any descriptor
// outside only. A process just started may still hold what its dynamic
// loader opens for a moment; a leaked descriptor stays, so the check
// passes as soon as one look finds none.
func (s *strays) check(t *testing.T, who string, pid int, only []int) {
	t.Helper()
	var bad []string
	for range 50 {
		bad = s.look(pid, only)
		if len(bad) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, b := range bad {
		t.Errorf("%s (pid %d) %s", who, pid, b)
	}
}

func (s *strays) look(pid int, only []int) []string {
	var bad []string
	for n, st := range fdsOf(pid) {
		if what, ok := s.ids[[2]uint64{st.Dev, st.Ino}]; ok {
			bad = append(bad, fmt.Sprintf("holds the caller's %s as descriptor %d", what, n))
		}
		if only != nil && !containsInt(only, n) {
			link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, n))
			bad = append(bad, fmt.Sprintf("holds descriptor %d (%s); want only %v", n, link, only))
		}
	}
	return bad
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// pidByArg waits for the process whose command line is `sleep arg`.
func pidByArg(t *testing.T, arg string) int {
	t.Helper()
	var pid int
	waitUntil(t, 20*time.Second, "a process running "+arg, func() bool {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if string(b) == "sleep\x00"+arg+"\x00" {
				pid, _ = strconv.Atoi(e.Name())
				return true
			}
		}
		return false
	})
	return pid
}

// runHolding starts jailctl with the strays as descriptors 3 and 4.
func (h *host) runHolding(ctx context.Context, s *strays, args ...string) *exec.Cmd {
	h.t.Helper()
	cmd := h.command(ctx, args...)
	cmd.ExtraFiles = s.files
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestNoHostDescriptorsInJail(t *testing.T) {
	h := newHost(t)
	s := newStrays(t)
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100017", "")
	h.must("create", "fd", "--services", svc)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := h.runHolding(ctx, s, "start", "fd").Wait(); err != nil {
		t.Fatalf("start: %v\n%s", err, h.console([]string{"fd"}))
	}
	rt, err := store.NewStore(h.state).ReadRuntime("fd")
	if err != nil {
		t.Fatal(err)
	}
	s.check(t, "jinit", rt.JinitPid, nil)
	// A service has its stdin, stdout and stderr (/dev/null and log pipes).
	s.check(t, "a service", pidByArg(t, "100017"), []int{0, 1, 2})

	h.runHolding(ctx, s, "exec", "fd", "sleep", "100018")
	s.check(t, "an exec'd command", pidByArg(t, "100018"), []int{0, 1, 2})

	script := writeScript(t, "exec sleep 100019")
	h.runHolding(ctx, s, "apply", "fd", script)
	s.check(t, "an applied script", pidByArg(t, "100019"), []int{0, 1, 2})

	cmd := h.command(ctx, "attach", "fd")
	cmd.ExtraFiles = s.files
	ptmx, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ptmx.Close(); cmd.Process.Kill(); cmd.Wait() }()
	go drainFile(ptmx)
	fmt.Fprintf(ptmx, "exec sleep 100020\n")
	s.check(t, "an attached shell", pidByArg(t, "100020"), []int{0, 1, 2})
}

func drainFile(f *os.File) {
	b := make([]byte, 4096)
	for {
		if _, err := f.Read(b); err != nil {
			return
		}
	}
}

// Issue 17, item 2: exec without -t and apply leave no terminal of the
// host's inside the jail, during or after the command, and what the
// operator types after exec returned reaches only the host shell.
func TestNoHostTerminalInJail(t *testing.T) {
	h := newHost(t)
	h.jail("tty")
	script := writeScript(t, "sleep 100022 </dev/null >/dev/null 2>&1 &\nsleep 1")
	// A host shell on a terminal of the host's devpts (what tmux or an
	// ssh session gives an operator) runs the commands.
	shell := exec.Command("/bin/sh")
	shell.Env = append(os.Environ(), "JAILS_JINIT="+jinitBin, "PS1=host$ ", "TERM=xterm")
	ptmx, err := pty.Start(shell)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); shell.Process.Kill(); shell.Wait() })
	scr := &screen{}
	go scr.copyFrom(ptmx)
	slave := ptySlaveRdev(t, shell.Process.Pid)
	jailctl := jailctlBin + " --state-dir " + h.state
	// A command that stays behind in the jail, during and after exec.
	// Each line is typed once the shell prompts again: while a command
	// runs, what is typed is its input, as with docker exec -i.
	scr.waitFor(t, "host$ ")
	fmt.Fprintf(ptmx, "%s exec tty -- sh -c 'sleep 100021 & sleep 1; echo ex\"\"ec-done'\n", jailctl)
	scr.waitFor(t, "exec-done\r\nhost$ ")
	fmt.Fprintf(ptmx, "%s apply tty %s; echo ap\"\"ply-done\n", jailctl, script)
	scr.waitFor(t, "apply-done\r\nhost$ ")
	for _, arg := range []string{"100021", "100022"} {
		pid := pidByArg(t, arg)
		for n, st := range fdsOf(pid) {
			if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == slave {
				t.Errorf("jailed process %d holds the host terminal as descriptor %d", pid, n)
			}
		}
	}
	// Typed after exec returned: the host shell runs it.
	fmt.Fprintf(ptmx, "echo typed-$((40+2))\n")
	scr.waitFor(t, "typed-42")
}

// ptySlaveRdev is the device number of pid's standard input.
func ptySlaveRdev(t *testing.T, pid int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/fd/0", pid), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR {
		t.Fatalf("the shell's stdin is no terminal")
	}
	return st.Rdev
}
