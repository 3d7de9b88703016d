package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// 20,000 idle connections to the collector's HTTP port, from a host
// client, do not stop it from finding a jail started meanwhile and
// storing every line of it: connections beyond the cap wait in the
// kernel's listen queue (or are refused there), the accepted ones are cut
// after the header timeout, and the collector's descriptors stay bounded.
func TestCollectorWithstandsIdleConnections(t *testing.T) {
	h := newHost(t)
	col := h.startCollector()
	// The clients are helper processes (this test binary) of 5,000
	// connections each: one process may not hold 20,000 here.
	const idle, per = 20000, 5000
	established := 0
	var outs []io.Reader
	for i := 0; i < idle/per; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientHelper$")
		cmd.Env = append(os.Environ(), "JAILS_IDLE_CLIENT="+col.addr, fmt.Sprintf("JAILS_IDLE_CONNS=%d", per))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); cmd.Wait() })
		outs = append(outs, stdout)
	}
	for _, out := range outs {
		var n int
		if _, err := fmt.Fscan(out, &n); err != nil {
			t.Fatalf("idle client: %v", err)
		}
		established += n
	}
	t.Logf("%d of %d idle connections established (the rest timed out in the listen queue)", established, idle)
	// While they are held (the header timeout has not cut any yet), the
	// collector has accepted at most its cap.
	if n := openFDs(t, col.cmd.Process.Pid); n > 1000 {
		t.Errorf("the collector holds %d descriptors with %d idle clients", n, established)
	}

	svc := t.TempDir()
	service(t, svc, "writer", `i=0; while [ $i -lt 5000 ]; do i=$((i+1)); echo "line $i"; done; exec sleep 100000`, "")
	h.must("create", "busy", "--services", svc)
	h.must("start", "busy")
	waitUntil(t, 60*time.Second, "every line of the new jail stored", func() bool {
		out := h.run("logs", "busy", "writer", "-n", "10000").stdout
		return strings.Count(out, "\n") >= 5000 && strings.Contains(out, "line 5000\n")
	})
	out := h.must("logs", "busy", "writer", "-n", "10000")
	for i := 1; i <= 5000; i++ {
		if strings.Count(out, fmt.Sprintf("line %d\n", i)) != 1 {
			t.Fatalf("line %d stored %d times", i, strings.Count(out, fmt.Sprintf("line %d\n", i)))
		}
	}
}

func openFDs(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// TestIdleClientHelper is not a test: run by the test above, it opens
// $JAILS_IDLE_CONNS connections to $JAILS_IDLE_CLIENT, prints how many it
// established, and holds them until its stdin closes.
func TestIdleClientHelper(t *testing.T) {
	addr := os.Getenv("JAILS_IDLE_CLIENT")
	if addr == "" {
		t.Skip("a helper process of TestCollectorWithstandsIdleConnections")
	}
	var n int
	fmt.Sscan(os.Getenv("JAILS_IDLE_CONNS"), &n)
	var open atomic.Int64
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := net.DialTimeout("tcp", addr, 3*time.Second)
			if err != nil {
				return
			}
			open.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Println(open.Load())
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
