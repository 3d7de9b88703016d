//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jailsproject/jails/jailctl/store"
	"golang.org/x/sys/unix"
)

// Issue 17, item 2: a high jail runs in a user namespace of its own,
// mapped to a private range of host ids.
func TestUserNamespace(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "web", "exec sleep 100031", `user = "www-data"`)
	h.must("create", "u", "--services", svc, "--profile", "high")
	h.must("create", "v", "--services", idleServices(t), "--profile", "medium")
	h.must("start", "u")
	h.must("start", "v")
	ru, rv := jailRange(h, "u"), jailRange(h, "v")
	if ru == nil || rv == nil {
		t.Fatalf("ranges: %v %v", ru, rv)
	}
	if ru.Base < rv.Base+rv.Size && rv.Base < ru.Base+ru.Size {
		t.Fatalf("ranges overlap: %+v and %+v", *ru, *rv)
	}
	rt, err := store.NewStore(h.state).ReadRuntime("u")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("0 %d %d", ru.Base, ru.Size)
	for _, m := range []string{"uid_map", "gid_map"} {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", rt.JinitPid, m))
		if got := strings.Join(strings.Fields(string(b)), " "); got != want {
			t.Errorf("jinit's %s: %q, want %q", m, got, want)
		}
	}
	// The base keeps its owners inside (idmapped), and the jail's root
	// owns its writable layer.
	if out := h.must("exec", "u", "--", "stat", "-L", "-c", "%u:%g", "/usr/bin/sh", "/etc/hostname"); out != "0:0\n0:0\n" {
		t.Errorf("owners of /usr/bin/sh and /etc/hostname inside: %q, want 0:0 both", out)
	}
	// A service as www-data is that uid of the jail's range on the host.
	pid := pidByArg(t, "100031")
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d", pid), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != ru.Host(33) {
		t.Errorf("the www-data service runs as host uid %d, want %d", st.Uid, ru.Host(33))
	}
	// chown works for the jail's root in high, within its range only.
	out := h.must("exec", "u", "--", "sh", "-c", "touch /tmp/f && chown www-data:www-data /tmp/f && stat -c %u:%g /tmp/f")
	if out != "33:33\n" {
		t.Errorf("chown in high: %q", out)
	}
	if err := unix.Stat(h.rw("u", "tmp/f"), &st); err != nil || st.Uid != ru.Host(33) {
		t.Errorf("the chowned file on the host: uid %d (%v), want %d", st.Uid, err, ru.Host(33))
	}
}

// Per-uid kernel quotas: the jail's root and nobody exhausting inotify
// instances leave host uid 0 and 65534 untouched.
func TestUserNamespaceQuotas(t *testing.T) {
	h := newHost(t)
	dir := escapeHelper(t)
	h.must("create", "q", "--services", idleServices(t), "--profile", "high",
		"--mount", dir+":/opt/escape:ro")
	h.must("start", "q")
	for _, user := range []string{"", "nobody"} {
		holdInotify(t, h, user, dir)
	}
}

// holdInotify has the jail's user take every inotify instance it may, and
// checks host uids 0 and 65534 meanwhile.
func holdInotify(t *testing.T, h *host, user, dir string) {
	{
		args := []string{"exec", "q"}
		if user != "" {
			args = append(args, "-u", user)
		}
		cmd := h.command(t.Context(), append(args, "--", escapeInJail, "inotify-hold")...)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The jail's users share its range's owner's count on the host:
		// each holder ends (at the end of its stdin) before the next.
		defer func() { in.Close(); cmd.Wait() }()
		buf := make([]byte, 64)
		n, _ := out.Read(buf)
		got := strings.TrimSpace(string(buf[:n]))
		if c, _ := strconv.Atoi(got); c == 0 {
			t.Fatalf("the jail's %q took no inotify instances: %q", user, got)
		}
		// The jail holds every instance its uid may have; the host's
		// uids are their own.
		for _, uid := range []uint32{0, 65534} {
			if r := hostInotify(t, dir, uid); r != "ok" {
				t.Errorf("with the jail's %q holding %s inotify instances, host uid %d gets %s", user, got, uid, r)
			}
		}
	}
}

// hostInotify runs the escape helper on the host as uid and reports
// whether it could make an inotify instance.
func hostInotify(t *testing.T, dir string, uid uint32) string {
	t.Helper()
	// A copy that uid 65534 can reach (test directories are 0700).
	open, err := os.MkdirTemp("", "jails-inotify-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(open)
	prog := filepath.Join(open, "escape")
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyMode(filepath.Join(dir, "escape"), prog, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := newCred(prog, uid, "inotify-one")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("inotify-one as %d: %v", uid, err)
	}
	return strings.TrimSpace(string(out))
}

// newCred is a command run as uid and gid uid, without groups.
func newCred(path string, uid uint32, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
	return cmd
}

// A source whose file system cannot be idmapped fails the start, naming
// it and what is missing, and leaves nothing: never a jail without its
// user namespace.
func TestUserNamespaceNeedsIdmappedMounts(t *testing.T) {
	h := newHost(t)
	h.must("create", "nomap", "--services", idleServices(t), "--profile", "high", "--mount", "/sys/kernel:/opt/k:ro")
	r := h.run("start", "nomap")
	if r.code == 0 || !strings.Contains(r.stderr, "idmapped mount of /sys/kernel") ||
		!strings.Contains(r.stderr, "does not support idmapped mounts") {
		t.Fatalf("start with a sysfs source: exit %d, %q", r.code, r.stderr)
	}
	h.mustLeaveNothing()
	if out := h.must("list"); strings.Contains(out, "running") {
		t.Fatalf("the jail runs:\n%s", out)
	}
}
