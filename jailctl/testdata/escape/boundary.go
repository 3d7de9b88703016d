package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The attempts of issue 17: automatic allocation of another jail's port,
// host-private ports, leaked descriptors and terminals, uid maps and what
// a host abstract-socket server learns of the jail's users.

// autobindIn asks the kernel for a local port in port..port only
// (IP_LOCAL_PORT_RANGE), by bind(0): "ok" if it hands out port.
func autobindIn(port int) string {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "socket: " + errWord(err)
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE, port|port<<16); err != nil {
		return "setsockopt: " + errWord(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
		return errWord(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return errWord(err)
	}
	if got := sa.(*unix.SockaddrInet4).Port; got != port {
		return "port " + strconv.Itoa(got)
	}
	return "ok"
}

// strayFDs looks through every descriptor of every process it can see
// for the starter's leaked ones (given as DEV:INO): "none", or "found".
func strayFDs(r *Report, name, strays string) string {
	want := map[string]bool{}
	for _, s := range strings.Split(strays, ",") {
		want[s] = s != ""
	}
	var found []string
	eachFD(func(path string, st *unix.Stat_t) {
		if want[fmt.Sprintf("%d:%d", st.Dev, st.Ino)] {
			found = append(found, path)
		}
	})
	if len(found) > 0 {
		r.Details[name] = "the starter's descriptors: " + strings.Join(found, " ")
		return "found"
	}
	return "none"
}

// hostTerminal looks for a terminal of a devpts other than the jail's
// among every descriptor it can see: "none", or "found".
func hostTerminal(r *Report) string {
	var own unix.Stat_t
	if err := unix.Stat("/dev/pts/ptmx", &own); err != nil {
		return "stat /dev/pts/ptmx: " + errWord(err)
	}
	var found []string
	eachFD(func(path string, st *unix.Stat_t) {
		major := unix.Major(uint64(st.Rdev))
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && major >= 136 && major <= 143 && st.Dev != own.Dev {
			found = append(found, path)
		}
	})
	if len(found) > 0 {
		r.Details["host_tty"] = "terminals of the host: " + strings.Join(found, " ")
		return "found"
	}
	return "none"
}

// eachFD calls f for every descriptor of /proc/*/fd that it may stat.
func eachFD(f func(string, *unix.Stat_t)) {
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, p := range fds {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil {
			f(p, &st)
		}
	}
}

// uidMap says whose uids the jail's are: "host ids" (the identity map)
// or "private range".
func uidMap() string {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return errWord(err)
	}
	f := strings.Fields(string(b))
	if len(f) == 3 && f[0] == "0" && f[1] == "0" {
		return "host ids"
	}
	if len(f) == 3 && f[0] == "0" && f[1] != "0" {
		return "private range"
	}
	return "map " + strings.Join(f, " ")
}

// connectAbstract connects to the host's abstract socket @name, whose
// server records what SO_PEERCRED shows it; the result is the connect's.
func connectAbstract(name string) string {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return errWord(err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		return errWord(err)
	}
	var b [1]byte
	unix.Read(fd, b[:]) // the server closes once it has recorded us
	return "ok"
}

// connectSpec connects a fresh TCP socket to the loopback address (tcp4,
// tcp6), or sends a datagram there (udp4, udp6), and closes it.
func connectSpec(spec string) string {
	kind, portS, ok := strings.Cut(spec, ":")
	port, err := strconv.Atoi(portS)
	if !ok || err != nil || port < 1 || port > 65535 {
		return "bad spec " + spec
	}
	domain, sa := unix.AF_INET, unix.Sockaddr(&unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
	if strings.HasSuffix(kind, "6") {
		domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}}
	}
	typ := unix.SOCK_STREAM
	if strings.HasPrefix(kind, "udp") {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "socket: " + errWord(err)
	}
	defer unix.Close(fd)
	if typ == unix.SOCK_DGRAM {
		return errWord(unix.Sendto(fd, []byte("x"), 0, sa))
	}
	return errWord(unix.Connect(fd, sa))
}

// inotifyHold makes inotify instances until the kernel refuses (at most
// 100000), prints how many, and holds them until its stdin ends.
func inotifyHold() error {
	n := 0
	for ; n < 100000; n++ {
		if _, err := unix.InotifyInit1(unix.IN_CLOEXEC); err != nil {
			break
		}
	}
	fmt.Println(n)
	io.Copy(io.Discard, os.Stdin)
	return nil
}
