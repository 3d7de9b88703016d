package kmod

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// testCgroup makes a jail-like cgroup (below this process's own, as
// CreateCgroup always does) holding one process that burns some CPU and
// then sleeps; it is destroyed at the end of the test.
func testCgroup(t testing.TB) *Cgroup {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroup tests make real cgroups (CI runs them as root)")
	}
	cg, err := CreateCgroup(fmt.Sprintf("kmod-telemetry-test-%d", os.Getpid()), "j", Limits{MemoryBytes: 256 << 20, Pids: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cg.Destroy(); err != nil {
			t.Errorf("destroy test cgroup: %v", err)
		}
	})
	cmd := exec.Command("sh", "-c", "read x; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000")
	gate, err := cmd.StdinPipe() // it burns once it is in the cgroup
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// v1 through AddProc; v2 by hand (jails join it at clone time).
	if err := cg.AddProc(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(cg.V2+"/cgroup.procs", fmt.Sprint(cmd.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	gate.Write([]byte("go\n"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)); string(b) == "sleep\n" {
			return cg
		}
		if time.Now().After(deadline) {
			t.Fatal("the test process never reached sleep")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Sample reads a live cgroup: CPU, one process, memory, the limits only
// when asked, OOM and throttling counters and pressure on this kind of
// host (hybrid, PSI on); a missing cgroup is not ok.
func TestSample(t *testing.T) {
	cg := testCgroup(t)
	s, ok := cg.Sample(true)
	if !ok {
		t.Fatal("Sample of a live cgroup not ok")
	}
	if s.CPU <= 0 || s.Procs != 1 || s.Tasks != 1 || s.MemBytes <= 0 || s.MemLimit != 256<<20 || s.PidsLimit != 64 {
		t.Errorf("Sample: %+v", s)
	}
	if !s.OOMKnown || !s.ThrottleKnown || s.OOMKills != 0 {
		t.Errorf("OOM and throttling: %+v", s)
	}
	if s.Pressure == nil || s.Pressure.CPU < 0 {
		t.Errorf("no pressure figures (kernel without PSI?): %+v", s.Pressure)
	}
	if n, _ := cg.Sample(false); n.MemLimit != 0 || n.PidsLimit != 0 || n.Procs != 1 {
		t.Errorf("Sample without limits: %+v", n)
	}
	if c, ok := cg.CPUTime(); !ok || c < s.CPU {
		t.Errorf("CPUTime %v %v, want >= %v", c, ok, s.CPU)
	}
	if u := cg.Usage(); u.MemLimit != s.MemLimit || u.Procs != 1 {
		t.Errorf("Usage %+v", u)
	}
	gone := &Cgroup{V2: cg.V2 + "-gone", V1: map[string]string{}}
	if _, ok := gone.Sample(true); ok {
		t.Error("Sample of a missing cgroup is ok")
	}
}

// runIn runs a command in a new cgroup with lim and returns the cgroup
// once the command has ended.
func runIn(t *testing.T, lim Limits, name string, args ...string) *Cgroup {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: cgroup tests make real cgroups (CI runs them as root)")
	}
	cg, err := CreateCgroup(fmt.Sprintf("kmod-limits-test-%d", os.Getpid()), name, lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cg.Destroy(); err != nil {
			t.Errorf("destroy test cgroup: %v", err)
		}
	})
	cmd := exec.Command(args[0], args[1:]...)
	gate, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cg.AddProc(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(cg.V2+"/cgroup.procs", fmt.Sprint(cmd.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	gate.Write([]byte("go\n"))
	gate.Close()
	cmd.Wait()
	return cg
}

// A process that allocates beyond the memory limit is OOM-killed, and the
// counter says so; a CPU burner under a 0.2 CPU limit is throttled.
func TestLimitCounters(t *testing.T) {
	cg := runIn(t, Limits{MemoryBytes: 32 << 20}, "oom", "/usr/bin/python3", "-c", "import sys; sys.stdin.read(); x = bytearray(200 << 20); x[::4096] = b'x' * len(x[::4096])")
	if u, ok := cg.Sample(true); !ok || !u.OOMKnown || u.OOMKills < 1 {
		t.Errorf("after an allocation beyond the limit: %+v", u)
	}
	cg = runIn(t, Limits{CPUs: 0.2}, "burn", "sh", "-c", "read x; end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do :; done")
	if u, ok := cg.Sample(true); !ok || !u.ThrottleKnown || u.CPUPeriods < 1 || u.CPUThrottled < 1 || u.ThrottledTime <= 0 {
		t.Errorf("after a burner under 0.2 CPUs: %+v", u)
	}
}

func TestParsePressure(t *testing.T) {
	some, full, ok := parsePressure([]byte("some avg10=1.00 avg60=0.00 avg300=0.00 total=1500\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=20\n"))
	if !ok || some != 1500*time.Microsecond || full != 20*time.Microsecond {
		t.Errorf("%v %v %v", some, full, ok)
	}
	for _, bad := range []string{"", "some avg10=1.00 total=x\n", "full total=3\n"} {
		if _, _, ok := parsePressure([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// BenchmarkSample: the kernel reads of one jail per scrape.
func BenchmarkSample(b *testing.B) {
	cg := testCgroup(b)
	for b.Loop() {
		cg.Sample(true)
	}
}
