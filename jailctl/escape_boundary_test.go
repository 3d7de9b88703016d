//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"golang.org/x/sys/unix"
)

// Helpers of the escape suite's issue-17 rows: the terminal exec runs on,
// the host-private listener, the abstract-socket server that records
// SO_PEERCRED, and the jail's uid range.

// idleServices is a service directory with one idle service.
func idleServices(t *testing.T) string {
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100000", "")
	return svc
}

// runEscapeOnTTY runs the helper's root role with a terminal of the
// host's devpts as jailctl's stdin, as an operator's shell would have it.
func runEscapeOnTTY(h *host, jail string, args ...string) report {
	h.t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := h.command(ctx, append([]string{"exec", jail, "--", escapeInJail, "root"}, args...)...)
	var out, errb strings.Builder
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, &errb
	if err := cmd.Run(); err != nil {
		h.t.Fatalf("escape helper in %s: %v\n%s", jail, err, errb.String())
	}
	var r report
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		h.t.Fatalf("escape helper in %s said %q: %v", jail, out.String(), err)
	}
	return r
}

// flag is the strays' identities for the helper's -strays.
func (s *strays) flag() string {
	var out []string
	for id := range s.ids {
		out = append(out, fmt.Sprintf("%d:%d", id[0], id[1]))
	}
	return strings.Join(out, ",")
}

// listenLoopback listens on a free TCP port of 127.0.0.1 until the test
// ends, accepting and closing, and returns the port.
func listenLoopback(t *testing.T) int {
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
	return ln.Addr().(*net.TCPAddr).Port
}

// peerServer is a host abstract unix socket that records the SO_PEERCRED
// uid of each connection, in order.
type peerServer struct {
	name string
	uids chan int
}

func abstractServer(t *testing.T) *peerServer {
	s := &peerServer{name: fmt.Sprintf("jails-escape-%d", os.Getpid()), uids: make(chan int, 16)}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: "@" + s.name, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			uid := -1
			if raw, err := c.SyscallConn(); err == nil {
				raw.Control(func(fd uintptr) {
					if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
						uid = int(cred.Uid)
					}
				})
			}
			c.Close()
			s.uids <- uid
		}
	}()
	return s
}

// next is the uid of the next connection.
func (s *peerServer) next(t *testing.T) int {
	select {
	case uid := <-s.uids:
		return uid
	case <-time.After(10 * time.Second):
		t.Fatal("no connection to the abstract socket")
	}
	return -1
}

// jailRange is the jail's uid range, or nil.
func jailRange(h *host, jail string) *kmod.IDRange {
	r, err := store.LoadDef(store.NewStore(h.state).DefPath(jail))
	if err != nil {
		h.t.Fatal(err)
	}
	return r.UserNS()
}

// peerWord says whose uid a peer's is.
func peerWord(uid int, rg *kmod.IDRange) string {
	switch {
	case rg != nil && uid >= 0 && rg.Contains(uint32(uid)):
		return "jail's own uid"
	case uid == 0:
		return "host root"
	case uid == 65534:
		return "host nobody"
	}
	return "uid " + strconv.Itoa(uid)
}
