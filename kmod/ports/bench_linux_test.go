package ports

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// The benchmarks time bind(2) in a helper process placed in a cgroup,
// because the programs only run for sockets of processes in (or below) the
// cgroup they are attached to. The helper reports ns per operation (of the
// median batch), which replaces the benchmark's own ns/op (that would
// include the helper's start-up). Setups:
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

// BenchmarkBindProgRuntime reports the programs' own run time per bind as
// the kernel accounts it (BPF_ENABLE_STATS, on only while the benchmark
// holds its fd). It is immune to the noise of a shared machine but leaves
// out the cost of calling the programs; the wall-clock ns/op is unreliable
// here, since the statistics add two clock reads per program run.
func BenchmarkBindProgRuntime(b *testing.B) {
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		b.Skipf("kernel lacks BPF_ENABLE_STATS (5.8): %v", err)
	}
	defer stats.Close()
	benchSetups(b, "bind", "jail", "host")
}

func benchSetups(b *testing.B, mode string, setups ...string) {
	if len(setups) == 0 {
		setups = []string{"none", "jail", "host"}
	}
	for _, setup := range setups {
		b.Run(setup, func(b *testing.B) {
			var g *Guard
			parent := testCgroup(b)
			jail, other := filepath.Join(parent, "jail"), filepath.Join(parent, "other")
			mkCgroup(b, jail)
			mkCgroup(b, other)
			ps := freePorts(b, 2)
			own, free := ps[0], ps[1]
			dir, port := jail, own
			if setup != "none" {
				var err error
				// As jailctl attaches a jail's guard: with the host-private
				// ports' connect programs and the reservation in
				// ip_local_reserved_ports (issue 17).
				if g, err = Attach(jail, []Port{{TCP, own}}, Options{HostPrivate: DefaultHostPrivate}); err != nil {
					b.Fatal(err)
				}
				defer g.Close()
			}
			if setup == "host" {
				dir, port = other, free
			}
			b.ReportMetric(benchIn(b, dir, mode, spec("tcp", "127.0.0.1", port), b.N), "ns/op")
			if g != nil {
				b.ReportMetric(progRuntime(b, g), "bpf-ns/bind")
			}
		})
	}
}

// progRuntime adds up the mean run time of each of g's programs that ran;
// 0 unless statistics are on. A bind that passes both the jail and the
// host program pays both.
func progRuntime(b *testing.B, g *Guard) float64 {
	var total float64
	for _, a := range g.attached {
		st, err := a.prog.Stats()
		if err != nil {
			b.Fatal(err)
		}
		if st.RunCount > 0 {
			total += float64(st.Runtime.Nanoseconds()) / float64(st.RunCount)
		}
	}
	return total
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
	var times []time.Duration
	switch args[0] {
	case "bind":
		times, err = benchBind(sp, n)
	case "sbc":
		times, err = benchSocketBindClose(sp, n)
	default:
		err = fmt.Errorf("bench: unknown mode %q", args[0])
	}
	if err != nil {
		return err
	}
	slices.Sort(times)
	fmt.Printf("%.1f\n", float64(times[len(times)/2].Nanoseconds())/benchBatch)
	return nil
}

// benchBind and benchSocketBindClose return the time of each batch of
// benchBatch operations; the median batch is robust against the preemptions
// of a shared machine, where a mean would not be.
const benchBatch = 64

func benchBind(sp bindSpec, n int) ([]time.Duration, error) {
	var times []time.Duration
	fds := make([]int, 0, benchBatch)
	sa := sp.sockaddr()
	for done := 0; done < n; done += benchBatch {
		fds = fds[:0]
		for range benchBatch {
			fd, err := sp.socket(true)
			if err != nil {
				return nil, err
			}
			fds = append(fds, fd)
		}
		start := time.Now()
		for _, fd := range fds {
			if err := unix.Bind(fd, sa); err != nil {
				return nil, fmt.Errorf("bind: %w", err)
			}
		}
		times = append(times, time.Since(start))
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	return times, nil
}

func benchSocketBindClose(sp bindSpec, n int) ([]time.Duration, error) {
	var times []time.Duration
	sa := sp.sockaddr()
	for done := 0; done < n; done += benchBatch {
		start := time.Now()
		for range benchBatch {
			fd, err := sp.socket(true)
			if err != nil {
				return nil, err
			}
			err = unix.Bind(fd, sa)
			unix.Close(fd)
			if err != nil {
				return nil, fmt.Errorf("bind: %w", err)
			}
		}
		times = append(times, time.Since(start))
	}
	return times, nil
}
