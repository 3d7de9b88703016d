package ports

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Issue 17, item 3: a reserved port inside the ephemeral range is never
// handed out by connect or bind(0), IP_LOCAL_PORT_RANGE included, while
// the reservation holds; it leaves ip_local_reserved_ports with it.
func TestReservedPortsNeverAllocated(t *testing.T) {
	if _, err := os.Stat(reservedSysctl); err != nil {
		t.Skip("kernel lacks net.ipv4.ip_local_reserved_ports")
	}
	ln := acceptingListener(t)
	dst := ln.Addr().(*net.TCPAddr).AddrPort()
	r := freeEphemeralPort(t)
	before := readReserved(t)
	// Without the reservation the kernel hands r out: the check is live.
	if got := allocate(t, r, dst.Port(), true); got != "ok" {
		t.Fatalf("connect with IP_LOCAL_PORT_RANGE %d-%d before any reservation: %s", r, r, got)
	}
	g := attach(t, testCgroup(t), []Port{{TCP, r}}, Options{})
	if !readReserved(t)[r] {
		t.Fatalf("port %d is not in %s while reserved", r, reservedSysctl)
	}
	for _, connect := range []bool{true, false} {
		if got := allocate(t, r, dst.Port(), connect); got == "ok" {
			t.Errorf("allocation (connect %v) with IP_LOCAL_PORT_RANGE %d-%d got the reserved port", connect, r, r)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	after := readReserved(t)
	if len(after) != len(before) || after[r] != before[r] {
		t.Fatalf("%s after Close: %v, before Attach: %v", reservedSysctl, formatRanges(after), formatRanges(before))
	}
}

// allocate asks the kernel for a local port of the range lo..lo with
// IP_LOCAL_PORT_RANGE, by connect (to port dst of 127.0.0.1) or bind(0).
func allocate(t *testing.T, lo, dst uint16, connect bool) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE, int(lo)|int(lo)<<16); err != nil {
		if errors.Is(err, unix.ENOPROTOOPT) {
			t.Skip("kernel lacks IP_LOCAL_PORT_RANGE (Linux 6.3)")
		}
		t.Fatal(err)
	}
	if connect {
		err = unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: int(dst)})
	} else {
		err = unix.Bind(fd, &unix.SockaddrInet4{})
	}
	if err != nil {
		return errName(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	if p := sa.(*unix.SockaddrInet4).Port; p != int(lo) {
		return "port " + strconv.Itoa(p)
	}
	return "ok"
}

// freeEphemeralPort is a port of the ephemeral range that is neither
// reserved nor bound right now.
func freeEphemeralPort(t *testing.T) uint16 {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	lo, _ := strconv.Atoi(f[0])
	hi, _ := strconv.Atoi(f[1])
	res := readReserved(t)
	for p := hi - 7; p > lo; p -= 13 {
		if !res[uint16(p)] && portFree(uint16(p), unix.SOCK_STREAM) {
			return uint16(p)
		}
	}
	t.Fatal("no free port in the ephemeral range")
	return 0
}

func readReserved(t *testing.T) map[uint16]bool {
	t.Helper()
	b, err := os.ReadFile(reservedSysctl)
	if err != nil {
		t.Fatal(err)
	}
	set, err := parseRanges(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRanges(t *testing.T) {
	for _, s := range []string{"", "80", "80,443", "1-3,7,9-10", "65535"} {
		set, err := parseRanges(s + "\n")
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := formatRanges(set); got != s {
			t.Errorf("%q round-trips to %q", s, got)
		}
	}
	for _, s := range []string{"x", "5-3", "70000", "1-"} {
		if _, err := parseRanges(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

// The registry keeps the administrator's entries and another owner's.
func TestRegistryRelease(t *testing.T) {
	r := registry{Owners: map[string][]uint16{"a": {80, 443}, "b": {443}}, Before: []uint16{22}}
	set := map[uint16]bool{22: true, 80: true, 443: true, 9000: true}
	r.release("a", set)
	if got := formatRanges(set); got != "22,443,9000" {
		t.Fatalf("after a left: %s", got)
	}
	r.release("b", set)
	if got := formatRanges(set); got != "22,9000" {
		t.Fatalf("after b left: %s", got)
	}
}

// Issue 17, item 4: jails cannot reach the host-private ports at all.
func TestHostPrivatePortsRefused(t *testing.T) {
	deny := "ECONNREFUSED"
	if feat, err := probeFeatures(); err != nil {
		t.Fatal(err)
	} else if !feat.setRetval {
		deny = "EPERM"
	}
	ln := acceptingListener(t)
	p := uint16(ln.Addr().(*net.TCPAddr).Port)
	jail, other := testCgroup(t), testCgroup(t)
	attach(t, jail, nil, Options{AllowUnreserved: true, HostPrivate: []Port{{TCP, p}, {UDP, p}}})
	specs := []string{spec("tcp", "127.0.0.1", p), spec("tcp", "::ffff:127.0.0.1", p), spec("udp", "127.0.0.1", p),
		spec("udp", "::1", p)}
	expectConnect(t, "jail", specs[:3], connectIn(t, jail, specs[:3]...), deny)
	needIPv6(t)
	expectConnect(t, "jail", specs[3:], connectIn(t, jail, specs[3:]...), deny)
	expectConnect(t, "another cgroup", specs[:1], connectIn(t, other, specs[:1]...), "ok")
	expectConnect(t, "host", specs[:1], []string{connectResult(specs[0])}, "ok")
}

func expectConnect(t *testing.T, who string, specs, got []string, want string) {
	t.Helper()
	for i, s := range specs {
		if i >= len(got) || got[i] != want {
			t.Errorf("%s connect %s: got %v, want %s", who, s, got, want)
		}
	}
}

// FuzzRanges: whatever the sysctl holds, a parsed list formats to a form
// that parses to the same set.
func FuzzRanges(f *testing.F) {
	for _, s := range []string{"", "80", "1-3,7", "65535", "5-3", "x", "1,,2", "0-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := parseRanges(s)
		if err != nil {
			return
		}
		again, err := parseRanges(formatRanges(set))
		if err != nil || len(again) != len(set) {
			t.Fatalf("%q: %v, %d numbers then %d", s, err, len(set), len(again))
		}
		for n := range set {
			if !again[n] {
				t.Fatalf("%q: %d lost", s, n)
			}
		}
	})
}

// acceptingListener is a loopback TCP listener that accepts and closes
// every connection until the test ends.
func acceptingListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}
