package ports

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary re-execs itself as a helper placed in a test cgroup
// (CLONE_INTO_CGROUP), because cgroup programs act on the sockets of the
// processes in that cgroup. The helper gets its job from helperEnv.
const helperEnv = "JAILS_PORTS_HELPER"

func TestMain(m *testing.M) {
	if job := os.Getenv(helperEnv); job != "" {
		if err := runHelper(strings.Fields(job)); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs "bind [uid=N] SPEC..." or "bench MODE SPEC N".
func runHelper(args []string) error {
	if len(args) == 0 {
		return errors.New("empty job")
	}
	switch args[0] {
	case "bind":
		args = args[1:]
		if len(args) > 0 && strings.HasPrefix(args[0], "uid=") {
			if err := dropTo(strings.TrimPrefix(args[0], "uid=")); err != nil {
				return err
			}
			args = args[1:]
		}
		for _, spec := range args {
			fmt.Println(bindResult(spec))
		}
		return nil
	case "bench":
		return runBench(args[1:])
	case "connect":
		for _, spec := range args[1:] {
			fmt.Println(connectResult(spec))
		}
		return nil
	}
	return fmt.Errorf("unknown job %q", args[0])
}

// dropTo becomes uid (and gid) uid with no supplementary groups; leaving
// uid 0 clears every capability, including CAP_NET_BIND_SERVICE.
func dropTo(uid string) error {
	n, err := strconv.Atoi(uid)
	if err != nil {
		return err
	}
	if err := syscall.Setgroups(nil); err != nil {
		return err
	}
	if err := syscall.Setgid(n); err != nil {
		return err
	}
	return syscall.Setuid(n)
}

// bindSpec is "tcp/ADDR/PORT" or "udp/ADDR/PORT". An IPv4 ADDR makes an
// AF_INET socket, anything else (also ::ffff:a.b.c.d) an AF_INET6 one.
type bindSpec struct {
	stype int
	addr  netip.Addr
	port  int
}

func parseSpec(s string) (bindSpec, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return bindSpec{}, fmt.Errorf("bad spec %q", s)
	}
	sp := bindSpec{stype: unix.SOCK_STREAM}
	if parts[0] == "udp" {
		sp.stype = unix.SOCK_DGRAM
	}
	var err error
	if sp.addr, err = netip.ParseAddr(parts[1]); err != nil {
		return bindSpec{}, err
	}
	if sp.port, err = strconv.Atoi(parts[2]); err != nil {
		return bindSpec{}, err
	}
	return sp, nil
}

// socket opens the socket for sp; reuse sets SO_REUSEADDR.
func (sp bindSpec) socket(reuse bool) (int, error) {
	family := unix.AF_INET6
	if sp.addr.Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, sp.stype|unix.SOCK_CLOEXEC, 0)
	if err != nil || !reuse {
		return fd, err
	}
	return fd, unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
}

func (sp bindSpec) sockaddr() unix.Sockaddr {
	if sp.addr.Is4() {
		return &unix.SockaddrInet4{Port: sp.port, Addr: sp.addr.As4()}
	}
	return &unix.SockaddrInet6{Port: sp.port, Addr: sp.addr.As16()}
}

// bindResult binds once and returns "ok" or the errno's name.
func bindResult(spec string) string {
	sp, err := parseSpec(spec)
	if err != nil {
		return err.Error()
	}
	fd, err := sp.socket(false)
	if err != nil {
		return "socket: " + err.Error()
	}
	defer unix.Close(fd)
	return errName(unix.Bind(fd, sp.sockaddr()))
}

// connectResult connects (TCP) or sends one datagram (UDP, unconnected)
// once and returns "ok" or the errno's name.
func connectResult(spec string) string {
	sp, err := parseSpec(spec)
	if err != nil {
		return err.Error()
	}
	fd, err := sp.socket(false)
	if err != nil {
		return "socket: " + err.Error()
	}
	defer unix.Close(fd)
	if sp.stype == unix.SOCK_DGRAM {
		return errName(unix.Sendto(fd, []byte("x"), 0, sp.sockaddr()))
	}
	return errName(unix.Connect(fd, sp.sockaddr()))
}

// connectIn runs the connect specs in a helper in dir.
func connectIn(t testing.TB, dir string, specs ...string) []string {
	t.Helper()
	cmd, done := helperCmd(t, dir, "connect "+strings.Join(specs, " "))
	defer done()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper in %s (connect %v): %v", dir, specs, err)
	}
	return strings.Fields(string(out))
}

func errName(err error) string {
	var errno syscall.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

// requireRoot skips a test that loads eBPF programs or makes cgroups.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads eBPF programs and makes cgroups (CI runs it as root)")
	}
}

// testCgroup makes a fresh cgroup2 directory below this process's own
// cgroup2 path and removes it (after its children) when the test ends.
func testCgroup(t testing.TB) string {
	t.Helper()
	requireRoot(t)
	mounts, err := cgroup2Mounts()
	if err != nil {
		t.Skipf("kernel lacks cgroup2: %v", err)
	}
	root, err := cgroup2Root(mounts)
	if err != nil {
		t.Fatal(err)
	}
	own, err := ownCgroup2Path()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, own, fmt.Sprintf("jails-ports-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	mkCgroup(t, dir)
	return dir
}

// mkCgroup creates dir and registers its removal.
func mkCgroup(t testing.TB, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The helpers have been reaped, but the kernel may lag a moment
		// before it considers the cgroup empty.
		var err error
		for range 50 {
			if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("remove cgroup %s: %v", dir, err)
	})
}

// ownCgroup2Path reads the "0::" line of /proc/self/cgroup.
func ownCgroup2Path() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("no cgroup2 entry in /proc/self/cgroup")
}

// helperCmd prepares the test binary as a helper inside cgroup dir ("" =
// stay in the test's own cgroup, i.e. on the host side).
func helperCmd(t testing.TB, dir, job string) (*exec.Cmd, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+job)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if dir == "" {
		return cmd, func() {}
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr.UseCgroupFD = true
	cmd.SysProcAttr.CgroupFD = int(f.Fd())
	return cmd, func() { f.Close() }
}

// bindIn runs the bind specs in a helper in dir and returns one result each.
func bindIn(t testing.TB, dir, uid string, specs ...string) []string {
	t.Helper()
	job := "bind " + strings.Join(specs, " ")
	if uid != "" {
		job = "bind uid=" + uid + " " + strings.Join(specs, " ")
	}
	cmd, done := helperCmd(t, dir, job)
	defer done()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper in %s (%s): %v", dir, job, err)
	}
	res := strings.Fields(string(out))
	if len(res) != len(specs) {
		t.Fatalf("helper in %s (%s): got %q", dir, job, out)
	}
	return res
}
