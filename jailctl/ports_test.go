//go:build linux

package main

import (
	"encoding/json"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Port ownership end to end (issue 6): real jails, real eBPF programs, real
// binds from inside jails (the escape helper's bind role) and from this
// test process, which stands for any host process. Host binds only ever
// target ports that this test's own jails reserved; the only other host
// binds are the probes that check a port is free before it is reserved.

// freePorts returns n distinct ports in [lo, hi] that nobody has bound for
// TCP or UDP, over IPv4 or IPv6, right now.
func freePorts(t *testing.T, n, lo, hi int) []int {
	t.Helper()
	seen := map[int]bool{}
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			t.Fatalf("no %d free ports in %d..%d", n, lo, hi)
		}
		p := lo + rand.IntN(hi-lo+1)
		if seen[p] {
			continue
		}
		seen[p] = true
		free := true
		for _, kind := range []string{"tcp4", "tcp6", "udp4", "udp6"} {
			if hostBind(kind+":"+strconv.Itoa(p)) != "ok" {
				free = false
				break
			}
		}
		if free {
			out = append(out, p)
		}
	}
	return out
}

// hostBind binds a fresh socket of this (host) process to the wildcard
// address and closes it; the result word is as the escape helper's.
func hostBind(spec string) string {
	kind, portS, _ := strings.Cut(spec, ":")
	port, _ := strconv.Atoi(portS)
	domain, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: port})
	if strings.HasSuffix(kind, "6") {
		domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: port}
	}
	typ := unix.SOCK_STREAM
	if strings.HasPrefix(kind, "udp") {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "socket: " + err.Error()
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, sa); err != nil {
		return unix.ErrnoName(err.(unix.Errno))
	}
	return "ok"
}

// bindIn runs the escape helper's bind role in jail as user ("" = root)
// and returns spec → result word.
func bindIn(h *host, jail, user string, specs ...string) map[string]string {
	h.t.Helper()
	args := []string{"exec", jail}
	if user != "" {
		args = append(args, "-u", user)
	}
	args = append(append(args, "--", escapeInJail, "bind"), specs...)
	out := h.must(args...)
	res := map[string]string{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		h.t.Fatalf("bind helper in %s said %q: %v", jail, out, err)
	}
	return res
}

// wantBinds checks every spec of got against want.
func wantBinds(t *testing.T, who string, got map[string]string, want string, specs ...string) {
	t.Helper()
	for _, s := range specs {
		if got[s] != want {
			t.Errorf("%s: bind %s = %q; want %s", who, s, got[s], want)
		}
	}
}

func specs(port int, kinds ...string) []string {
	var out []string
	for _, k := range kinds {
		out = append(out, k+":"+strconv.Itoa(port))
	}
	return out
}

var allKinds = []string{"tcp4", "tcp6", "udp4", "udp6"}

// Jails A and B reserve ports; each binds only its own (and port 0), the
// host binds neither, and A's ports are free for the host once A stops.
func TestPortOwnership(t *testing.T) {
	h := newHost(t)
	dir := escapeHelper(t)
	ps := freePorts(t, 3, 20000, 32000)
	pa, pb, free := ps[0], ps[1], ps[2]
	mount := dir + ":" + filepath.Dir(escapeInJail) + ":ro"
	h.jail("a", "--profile", "medium", "--port", strconv.Itoa(pa), "--port", strconv.Itoa(pa)+"/udp", "--mount", mount)
	h.jail("b", "--port", strconv.Itoa(pb), "--mount", mount)

	own := specs(pa, allKinds...)
	zero := specs(0, allKinds...)
	unreserved := specs(free, allKinds...)
	got := bindIn(h, "a", "", append(append(own, zero...), unreserved...)...)
	wantBinds(t, "jail a (root)", got, "ok", own...)
	wantBinds(t, "jail a (root)", got, "ok", zero...)
	wantBinds(t, "jail a (root)", got, "EACCES", unreserved...)
	got = bindIn(h, "a", "nobody", own...)
	wantBinds(t, "jail a (uid 65534)", got, "ok", own...)

	// B owns pb/tcp only: A's ports and its own port's UDP twin are not its.
	got = bindIn(h, "b", "", append(append(own, specs(pb, "tcp4", "tcp6")...), specs(pb, "udp4", "udp6")...)...)
	wantBinds(t, "jail b binding a's ports", got, "EACCES", own...)
	wantBinds(t, "jail b binding its own", got, "ok", specs(pb, "tcp4", "tcp6")...)
	wantBinds(t, "jail b binding the UDP twin of its TCP port", got, "EACCES", specs(pb, "udp4", "udp6")...)

	for _, s := range append(own, specs(pb, "tcp4", "tcp6")...) {
		if r := hostBind(s); r != "EACCES" {
			t.Errorf("host bind of a reserved port %s = %s; want EACCES", s, r)
		}
	}

	h.must("stop", "a")
	// Host binds after the stop target only a's former ports.
	for _, s := range own {
		if r := hostBind(s); r != "ok" {
			t.Errorf("host bind of %s after jail a stopped = %s; want ok", s, r)
		}
	}
	if r := hostBind(specs(pb, "tcp4")[0]); r != "EACCES" {
		t.Errorf("host bind of b's port after a stopped = %s; want EACCES", r)
	}
}

// Issue 17: a high jail that owns port 80 serves on it — root and any
// other user of the jail, without CAP_NET_BIND_SERVICE (the bind program
// grants exactly that) — while another jail and the host cannot bind it;
// the port is in ip_local_reserved_ports while the jail runs, and only then.
func TestPrivilegedPortGrantedToOwner(t *testing.T) {
	for _, s := range specs(80, allKinds...) {
		if r := hostBind(s); r != "ok" {
			t.Skipf("port 80 is in use on this machine (bind %s: %s); the test needs it free", s, r)
		}
	}
	if reservedPorts(t)["80"] {
		t.Skip("port 80 is in ip_local_reserved_ports already; the test needs to see it added")
	}
	h := newHost(t)
	dir := escapeHelper(t)
	mnt := dir + ":" + filepath.Dir(escapeInJail) + ":ro"
	h.jail("web", "--profile", "high", "--port", "80", "--port", "80/udp", "--mount", mnt)
	h.jail("other", "--profile", "low", "--allow-unreserved-ports", "--mount", mnt)
	p80 := specs(80, allKinds...)
	wantBinds(t, "uid 65534 in the high jail owning port 80", bindIn(h, "web", "nobody", p80...), "ok", p80...)
	wantBinds(t, "root in the high jail owning port 80", bindIn(h, "web", "", p80...), "ok", p80...)
	wantBinds(t, "root in another jail", bindIn(h, "other", "", p80...), "EACCES", p80...)
	if r := hostBind("tcp4:80"); r != "EACCES" {
		t.Errorf("host bind of the jail's port 80 = %s; want EACCES", r)
	}
	if !reservedPorts(t)["80"] {
		t.Errorf("port 80 is not in ip_local_reserved_ports while the jail runs")
	}
	h.must("stop", "web")
	if reservedPorts(t)["80"] {
		t.Errorf("port 80 is still in ip_local_reserved_ports after the jail stopped")
	}
}

// reservedPorts is net.ipv4.ip_local_reserved_ports as a set of numbers
// (ranges expanded).
func reservedPorts(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_reserved_ports")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, f := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(f, "-")
		if !isRange {
			hi = lo
		}
		a, _ := strconv.Atoi(lo)
		z, _ := strconv.Atoi(hi)
		for n := a; n <= z && f != ""; n++ {
			set[strconv.Itoa(n)] = true
		}
	}
	return set
}

// Issue 17, item 4: no jail reaches a host-private port (the collector's
// by default, here a listed one), whatever its profile; the host does.
func TestHostPrivatePortRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	h := newHost(t)
	h.env = []string{"JAILS_HOST_PRIVATE_PORTS=" + strconv.Itoa(port) + ",9750"}
	dir := escapeHelper(t)
	h.jail("c", "--profile", "low", "--allow-unreserved-ports", "--mount", dir+":"+filepath.Dir(escapeInJail)+":ro")
	spec := "tcp4:" + strconv.Itoa(port)
	out := h.must("exec", "c", "-u", "nobody", "--", escapeInJail, "connect", spec)
	if !strings.Contains(out, `"ECONNREFUSED"`) {
		t.Errorf("a jail's connect to the host-private port %d: %s; want ECONNREFUSED", port, out)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err != nil {
		t.Errorf("the host's own connect: %v", err)
	} else {
		c.Close()
	}
	// A jail may not reserve a host-private port.
	r := h.run("create", "d", "--port", "9750")
	if r.code == 0 || !strings.Contains(r.stderr, "port 9750/tcp is host-private") {
		t.Errorf("create reserving the collector's port: exit %d, %q", r.code, r.stderr)
	}
}

// create warns, naming the port and why, of reservations that may not work.
func TestCreateWarnsOfReservations(t *testing.T) {
	h := newHost(t)
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	used := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	r := h.run("create", "w", "--net", "none", "--port", used)
	if r.code != 0 {
		t.Fatalf("create: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"port " + used + "/tcp is in use on the host", "--net none",
		"port " + used + "/tcp is inside the ephemeral range"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("create's warnings %q lack %q", r.stderr, want)
		}
	}
}

// Two jails reserving the same port: the second create fails naming the
// first, and so does start of a definition hand-edited into conflict. The
// protocols are separate port spaces.
func TestPortConflicts(t *testing.T) {
	h := newHost(t)
	ps := freePorts(t, 2, 20000, 32000)
	p, q := strconv.Itoa(ps[0]), strconv.Itoa(ps[1])
	h.must("create", "first", "--port", p, "--port", q+"/udp")
	msg := `port ` + p + `/tcp is reserved by jail "first"`
	if r := h.run("create", "second", "--port", "8/tcp", "--port", p+"/tcp"); r.code != 1 || !strings.Contains(r.stderr, msg) {
		t.Fatalf("create of a conflicting jail: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, msg)
	}
	if _, err := os.Stat(filepath.Join(h.state, "lib", "second")); !os.IsNotExist(err) {
		t.Fatalf("a refused create left its definition: %v", err)
	}
	h.must("create", "second", "--port", p+"/udp", "--port", q+"/tcp")

	def := filepath.Join(h.state, "lib", "second", "jail.toml")
	b, err := os.ReadFile(def)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), "'"+p+"/udp'", "'"+p+"'", 1)
	if edited == string(b) {
		t.Fatalf("no port %s/udp to edit in %s:\n%s", p, def, b)
	}
	if err := os.WriteFile(def, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := h.run("start", "second"); r.code != 1 || !strings.Contains(r.stderr, msg) {
		t.Fatalf("start of a hand-edited conflicting jail: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, msg)
	}
	if strings.Contains(h.must("list"), "running") {
		t.Fatal("a jail runs after a refused start")
	}
	// With the conflict gone the owner starts, and enforcement ends with it.
	h.must("destroy", "second")
	h.must("start", "first")
	if r := hostBind("tcp4:" + p); r != "EACCES" {
		t.Errorf("host bind of first's port = %s; want EACCES", r)
	}
	h.must("stop", "first")
	waitUntil(t, 5*time.Second, "first's port to be free again", func() bool { return hostBind("tcp4:"+p) == "ok" })
}
