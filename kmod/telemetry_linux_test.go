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

// Sample reads what Usage reads.
func TestSampleMatchesUsage(t *testing.T) {
	cg := testCgroup(t)
	u := cg.Usage()
	s, ok := cg.Sample(true)
	if !ok {
		t.Fatal("Sample of a live cgroup not ok")
	}
	if n, _ := cg.Sample(false); n.MemLimit != 0 || n.PidsLimit != 0 || n.Procs != 1 {
		t.Errorf("Sample without limits: %+v", n)
	}
	if s.CPU <= 0 || s.CPU < u.CPU || s.CPU-u.CPU > 50*time.Millisecond {
		t.Errorf("CPU: Sample %v, Usage %v", s.CPU, u.CPU)
	}
	if s.Procs != 1 || u.Procs != 1 || s.Tasks != u.Tasks || s.MemLimit != u.MemLimit || s.PidsLimit != u.PidsLimit {
		t.Errorf("Sample %+v, Usage %+v", s, u)
	}
	if d := s.MemBytes - u.MemBytes; s.MemBytes <= 0 || d > 1<<20 || d < -1<<20 {
		t.Errorf("memory: Sample %d, Usage %d", s.MemBytes, u.MemBytes)
	}
	if c, ok := cg.CPUTime(); !ok || c < s.CPU {
		t.Errorf("CPUTime %v %v, want >= %v", c, ok, s.CPU)
	}
	gone := &Cgroup{V2: cg.V2 + "-gone", V1: map[string]string{}}
	if _, ok := gone.Sample(true); ok {
		t.Error("Sample of a missing cgroup is ok")
	}
}

// BenchmarkUsage and BenchmarkSample: the kernel reads of one jail per
// scrape, with Usage's and Sample's file handling.
func BenchmarkUsage(b *testing.B) {
	cg := testCgroup(b)
	for b.Loop() {
		cg.Usage()
	}
}

func BenchmarkSample(b *testing.B) {
	cg := testCgroup(b)
	for b.Loop() {
		cg.Sample(true)
	}
}
