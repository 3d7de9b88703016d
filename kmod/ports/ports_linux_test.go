package ports

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// denied is the errno a denied bind gets on this kernel.
func denied(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	feat, err := probeFeatures()
	if err != nil {
		t.Fatalf("this kernel cannot run the port guard: %v", err)
	}
	if feat.setRetval {
		return "EACCES"
	}
	return "EPERM"
}

// needIPv6 skips when the kernel has no IPv6 (the v6 half cannot be shown).
func needIPv6(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/net/if_inet6"); err != nil {
		t.Skip("kernel lacks IPv6")
	}
}

// freePorts returns n distinct random ports that are free right now for
// TCP and UDP on IPv4 and IPv6. They lie below the ephemeral range, as
// reserved ports should (kmod/linux/README.md), so that no autobind on this
// busy machine takes one while a test relies on it.
func freePorts(t testing.TB, n int) []uint16 {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	lo, err := strconv.Atoi(strings.Fields(string(b))[0])
	if err != nil || lo <= 10001 {
		t.Fatalf("ephemeral range %q leaves no room for test ports", b)
	}
	var out []uint16
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			t.Fatal("no free ports below the ephemeral range")
		}
		p := uint16(10000 + rand.IntN(lo-10000))
		if !slices.Contains(out, p) && portFree(p, unix.SOCK_STREAM) && portFree(p, unix.SOCK_DGRAM) {
			out = append(out, p)
		}
	}
	return out
}

// portFree reports whether a dual-stack wildcard bind of port p works.
func portFree(p uint16, stype int) bool {
	fd, err := unix.Socket(unix.AF_INET6, stype|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Bind(fd, &unix.SockaddrInet6{Port: int(p)}) == nil
}

// spec formats a bind spec for bindIn and bindResult.
func spec(proto, addr string, port uint16) string {
	return fmt.Sprintf("%s/%s/%d", proto, addr, port)
}

// allForms is every (protocol, family, address) form of port p.
func allForms(proto string, p uint16) []string {
	return []string{
		spec(proto, "0.0.0.0", p), spec(proto, "127.0.0.1", p),
		spec(proto, "::", p), spec(proto, "::1", p), spec(proto, "::ffff:127.0.0.1", p),
	}
}

// expect checks that each spec got want.
func expect(t *testing.T, who string, specs, got []string, want string) {
	t.Helper()
	for i, s := range specs {
		if got[i] != want {
			t.Errorf("%s bind %s: got %s, want %s", who, s, got[i], want)
		}
	}
}

// hostBinds binds specs from the test process itself (a host process).
func hostBinds(specs []string) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = bindResult(s)
	}
	return out
}

func attach(t *testing.T, dir string, own []Port, opt Options) *Guard {
	t.Helper()
	g, err := Attach(dir, own, opt)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func TestSupported(t *testing.T) {
	requireRoot(t)
	if err := Supported(); err != nil {
		t.Fatalf("Supported: %v", err)
	}
}

func TestJailBindsOnlyOwnPorts(t *testing.T) {
	needIPv6(t)
	deny := denied(t)
	jail := testCgroup(t)
	svc := filepath.Join(jail, "svc")
	mkCgroup(t, svc)
	ps := freePorts(t, 3)
	own, tcpOnly, free := ps[0], ps[1], ps[2]
	g := attach(t, jail, []Port{{TCP, own}, {UDP, own}, {TCP, tcpOnly}}, Options{})

	ok := slices.Concat(allForms("tcp", own), allForms("udp", own), allForms("tcp", tcpOnly),
		allForms("tcp", 0), allForms("udp", 0))
	no := slices.Concat(allForms("udp", tcpOnly), allForms("tcp", free), allForms("udp", free))
	for _, dir := range []string{jail, svc} {
		expect(t, "jail", ok, bindIn(t, dir, "", ok...), "ok")
		expect(t, "jail", no, bindIn(t, dir, "", no...), deny)
	}
	reserved := slices.Concat(allForms("tcp", own), allForms("udp", own), allForms("tcp", tcpOnly))
	expect(t, "host", reserved, hostBinds(reserved), deny)
	// Not reserved by anyone: the host keeps it.
	hostFree := slices.Concat(allForms("udp", tcpOnly), allForms("tcp", free))
	expect(t, "host", hostFree, hostBinds(hostFree), "ok")

	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	expect(t, "host after Close", reserved, hostBinds(reserved), "ok")
	expect(t, "jail after Close", no, bindIn(t, jail, "", no...), "ok")
}

func TestAllowUnreserved(t *testing.T) {
	needIPv6(t)
	deny := denied(t)
	jail := testCgroup(t)
	ps := freePorts(t, 2)
	own, free := ps[0], ps[1]
	attach(t, jail, []Port{{TCP, own}}, Options{AllowUnreserved: true})

	ok := slices.Concat(allForms("tcp", own), allForms("tcp", free), allForms("udp", free))
	expect(t, "jail", ok, bindIn(t, jail, "", ok...), "ok")
	expect(t, "host", allForms("tcp", own), hostBinds(allForms("tcp", own)), deny)
}

func TestOtherJailCannotBindReservedPort(t *testing.T) {
	needIPv6(t)
	deny := denied(t)
	parent := testCgroup(t)
	a, b, c := filepath.Join(parent, "jail-a"), filepath.Join(parent, "jail-b"), filepath.Join(parent, "jail-c")
	for _, d := range []string{a, b, c} {
		mkCgroup(t, d)
	}
	ps := freePorts(t, 3)
	pa, pb, free := ps[0], ps[1], ps[2]
	attach(t, a, []Port{{TCP, pa}, {UDP, pa}}, Options{})
	attach(t, b, []Port{{TCP, pb}}, Options{})
	attach(t, c, nil, Options{AllowUnreserved: true}) // c reserves nothing

	ofA := slices.Concat(allForms("tcp", pa), allForms("udp", pa))
	expect(t, "jail b", ofA, bindIn(t, b, "", ofA...), deny)
	expect(t, "jail c (allow unreserved)", ofA, bindIn(t, c, "", ofA...), deny)
	expect(t, "jail a", allForms("tcp", pb), bindIn(t, a, "", allForms("tcp", pb)...), deny)
	expect(t, "jail b", allForms("tcp", pb), bindIn(t, b, "", allForms("tcp", pb)...), "ok")
	expect(t, "jail c", allForms("tcp", free), bindIn(t, c, "", allForms("tcp", free)...), "ok")
	expect(t, "jail a", ofA, bindIn(t, a, "", ofA...), "ok")
}

// The jail's own privileged ports are granted to it (issue 17: a high
// jail, without CAP_NET_BIND_SERVICE, serves on its port 80); no other
// privileged port, and nobody else, gains anything.
func TestPrivilegedPortGrantedToOwner(t *testing.T) {
	deny := denied(t)
	low := freeLowPort(t, 0)
	other := freeLowPort(t, low)
	start, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(start))); n <= int(low) {
		t.Fatalf("ip_unprivileged_port_start=%d makes port %d unprivileged; the test needs the default", n, low)
	}
	jail, open := testCgroup(t), testCgroup(t)
	attach(t, jail, []Port{{TCP, low}}, Options{})
	attach(t, open, nil, Options{AllowUnreserved: true})
	forms := []string{spec("tcp", "0.0.0.0", low), spec("tcp", "127.0.0.1", low)}
	others := []string{spec("tcp", "0.0.0.0", other)}

	expect(t, "jail root", forms, bindIn(t, jail, "", forms...), "ok")
	expect(t, "jail uid 65534", forms, bindIn(t, jail, "65534", forms...), "ok")
	expect(t, "host root", forms, hostBinds(forms), deny)
	expect(t, "host uid 65534 (another jail)", forms, bindIn(t, open, "65534", forms...), deny)
	// An unreserved privileged port keeps the kernel's check.
	expect(t, "uid 65534 of a jail allowed any port", others, bindIn(t, open, "65534", others...), "EACCES")
}

// freeLowPort finds a privileged TCP port that nothing uses, from 1023 down.
func freeLowPort(t *testing.T, not uint16) uint16 {
	t.Helper()
	for p := uint16(1023); p >= 900; p-- {
		if p == not {
			continue
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = unix.Bind(fd, &unix.SockaddrInet4{Port: int(p)})
		unix.Close(fd)
		if err == nil {
			return p
		}
	}
	t.Fatal("no free TCP port in 900..1023")
	return 0
}

func TestOtherNetnsKeepsItsPortSpace(t *testing.T) {
	if netnsCookie() == 0 {
		t.Skip("kernel lacks SO_NETNS_COOKIE (5.14): reservations apply in every netns")
	}
	deny := denied(t)
	jail := testCgroup(t)
	p := freePorts(t, 1)[0]
	attach(t, jail, []Port{{TCP, p}}, Options{})
	forms := []string{spec("tcp", "0.0.0.0", p)}
	expect(t, "host", forms, hostBinds(forms), deny)

	cmd, done := helperCmd(t, "", "bind "+forms[0])
	defer done()
	cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNET
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper in new netns: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "ok" {
		t.Errorf("host process in its own netns bind %s: got %s, want ok", forms[0], got)
	}
}

func TestAttachRejectsBadInput(t *testing.T) {
	jail := testCgroup(t)
	root, err := cgroup2Root(mustMounts(t))
	if err != nil {
		t.Fatal(err)
	}
	tooMany := make([]Port, MaxPorts+1)
	for i := range tooMany {
		tooMany[i] = Port{TCP, uint16(i + 1)}
	}
	cases := []struct {
		name string
		dir  string
		own  []Port
		want string
	}{
		{"not cgroup2", os.TempDir(), nil, "not on a cgroup2 file system"},
		{"missing dir", filepath.Join(jail, "nope"), nil, "no such file"},
		{"cgroup2 root", root, nil, "is the cgroup2 root"},
		{"port 0", jail, []Port{{TCP, 0}}, "port 0"},
		{"no proto", jail, []Port{{0, 80}}, "protocol must be tcp or udp"},
		{"too many", jail, tooMany, "at most 256"},
	}
	for _, c := range cases {
		g, err := Attach(c.dir, c.own, Options{})
		if err == nil {
			g.Close()
			t.Errorf("%s: Attach succeeded", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
}

func TestAttachDeduplicatesPorts(t *testing.T) {
	jail := testCgroup(t)
	p := freePorts(t, 1)[0]
	g := attach(t, jail, []Port{{UDP, p}, {TCP, p}, {UDP, p}}, Options{})
	if got, want := g.Ports(), []Port{{TCP, p}, {UDP, p}}; !slices.Equal(got, want) {
		t.Errorf("Ports() = %v, want %v", got, want)
	}
}

func TestResolveCgroup(t *testing.T) {
	jail := testCgroup(t)
	sub := filepath.Join(jail, "svc")
	mkCgroup(t, sub)
	for _, dir := range []string{jail, sub} {
		cg, err := resolveCgroup(dir)
		if err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat(dir, &st); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(cg.root, dir)
		if cg.id != st.Ino || cg.level != len(strings.Split(rel, "/")) {
			t.Errorf("resolveCgroup(%s) = id %d level %d, want id %d level of %q", dir, cg.id, cg.level, st.Ino, rel)
		}
	}
}

func mustMounts(t *testing.T) []mount {
	t.Helper()
	m, err := cgroup2Mounts()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
