//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/jinit/control"
)

// vmKB reads a VmXXX field of /proc/PID/status in KiB.
func vmKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatalf("no %s in status", field)
	return 0
}

// Oversized, huge-but-slow and malformed frames on the control socket do
// not make jinit (PID 1, inside the jail's memory limit) allocate without
// bound, and it still answers afterwards.
func TestControlInputBounded(t *testing.T) {
	s := startSupervisor(t, t.TempDir(), true)
	pid := s.cmd.Process.Pid
	base := vmKB(t, pid, "VmRSS")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	hello := func() net.Conn {
		c, err := net.Dial("unix", s.sock)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		control.WriteJSON(c, control.TypeHello, control.Hello{Proto: control.Version})
		return c
	}
	frameHdr := func(n uint32) []byte {
		var h [5]byte
		binary.BigEndian.PutUint32(h[:], n)
		h[4] = control.TypeRequest
		return h[:]
	}
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = 'x'
	}
	// 200 clients each announce the largest frame the protocol has and
	// send a megabyte of it: each is refused at its header, or (beyond
	// the connection limit) at once.
	for range 200 {
		c := hello()
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		c.Write(frameHdr(control.MaxFrame))
		c.Write(junk)
	}
	// Clients that send frames just under the limit, and hold them open.
	for range 80 {
		c := hello()
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		c.Write(frameHdr(control.MaxClientFrame))
		c.Write(junk[:control.MaxClientFrame-2])
	}
	time.Sleep(500 * time.Millisecond)
	peak := vmKB(t, pid, "VmHWM")
	// MaxConns × MaxClientFrame is 16 MiB.
	if grew := peak - base; grew > 32<<10 {
		t.Fatalf("jinit's peak RSS grew by %d KiB under hostile frames (from %d KiB)", grew, base)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c *control.Client
	var err error
	for {
		if c, err = control.Dial(ctx, s.sock); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("jinit does not answer after the attack: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.Close()
	if _, err := c.Do(ctx, control.Request{Verb: "status"}); err != nil {
		t.Fatalf("status after the attack: %v", err)
	}
	t.Logf("jinit RSS %d KiB before, peak %d KiB", base, peak)
}
