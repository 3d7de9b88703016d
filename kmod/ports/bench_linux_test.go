package ports

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The benchmarks time bind(2) in a helper process placed in a cgroup,
// because the programs only run for sockets of processes in (or below) the
// cgroup they are attached to. The helper reports ns per operation, which
// replaces the benchmark's own ns/op (that would include the helper's
// start-up). Setups:
//
//	none  no guard anywhere; the helper binds the port in a bare cgroup
//	jail  guard attached; the helper in the jail binds an own port: the jail
//	      program and the host program (map hit + cgroup check) both run
//	host  guard attached; the helper in a sibling cgroup binds an
//	      unreserved port: only the host program runs (map miss)
//
// Run: go test -run '^$' -bench 'Bind' -benchtime 100000x -count 5 ./kmod/ports/

func BenchmarkBind(b *testing.B) {
	benchSetups(b, "bind")
}

func BenchmarkBindSocketClose(b *testing.B) {
	benchSetups(b, "sbc")
}

func benchSetups(b *testing.B, mode string) {
	for _, setup := range []string{"none", "jail", "host"} {
		b.Run(setup, func(b *testing.B) {
			parent := testCgroup(b)
			jail, other := filepath.Join(parent, "jail"), filepath.Join(parent, "other")
			mkCgroup(b, jail)
			mkCgroup(b, other)
			ps := benchPorts(b)
			own, free := ps[0], ps[1]
			dir, port := jail, own
			if setup != "none" {
				g, err := Attach(jail, []Port{{TCP, own}}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer g.Close()
			}
			if setup == "host" {
				dir, port = other, free
			}
			b.ReportMetric(benchIn(b, dir, mode, spec("tcp", "127.0.0.1", port), b.N), "ns/op")
		})
	}
}

// benchPorts picks two free ports without *testing.T helpers.
func benchPorts(b *testing.B) []uint16 {
	var out []uint16
	for len(out) < 2 {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
			b.Fatal(err)
		}
		sa, err := unix.Getsockname(fd)
		unix.Close(fd)
		if err != nil {
			b.Fatal(err)
		}
		if p := uint16(sa.(*unix.SockaddrInet4).Port); len(out) == 0 || out[0] != p {
			out = append(out, p)
		}
	}
	return out
}

// benchIn runs n operations in a helper in dir and returns ns per op.
func benchIn(b *testing.B, dir, mode, spec string, n int) float64 {
	cmd, done := helperCmd(b, dir, fmt.Sprintf("bench %s %s %d", mode, spec, n))
	defer done()
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("bench helper: %v", err)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("bench helper said %q", out)
	}
	return ns
}

// runBench is the helper side: "bind" times bind(2) alone on sockets made
// beforehand in batches; "sbc" times socket+bind+close. SO_REUSEADDR lets
// every socket of a batch bind the same port.
func runBench(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("bench: want MODE SPEC N, got %q", args)
	}
	sp, err := parseSpec(args[1])
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	var d time.Duration
	switch args[0] {
	case "bind":
		d, err = benchBind(sp, n)
	case "sbc":
		d, err = benchSocketBindClose(sp, n)
	default:
		err = fmt.Errorf("bench: unknown mode %q", args[0])
	}
	if err != nil {
		return err
	}
	fmt.Printf("%.1f\n", float64(d.Nanoseconds())/float64(n))
	return nil
}

func benchBind(sp bindSpec, n int) (time.Duration, error) {
	const batch = 64
	var total time.Duration
	fds := make([]int, 0, batch)
	sa := sp.sockaddr()
	for done := 0; done < n; done += len(fds) {
		fds = fds[:0]
		for range min(batch, n-done) {
			fd, err := sp.socket(true)
			if err != nil {
				return 0, err
			}
			fds = append(fds, fd)
		}
		start := time.Now()
		for _, fd := range fds {
			if err := unix.Bind(fd, sa); err != nil {
				return 0, fmt.Errorf("bind: %w", err)
			}
		}
		total += time.Since(start)
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	return total, nil
}

func benchSocketBindClose(sp bindSpec, n int) (time.Duration, error) {
	sa := sp.sockaddr()
	start := time.Now()
	for range n {
		fd, err := sp.socket(true)
		if err != nil {
			return 0, err
		}
		err = unix.Bind(fd, sa)
		unix.Close(fd)
		if err != nil {
			return 0, fmt.Errorf("bind: %w", err)
		}
	}
	return time.Since(start), nil
}
