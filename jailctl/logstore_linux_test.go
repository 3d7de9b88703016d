package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/logs"
)

// A full log disk: the collector's log directory is a 1 MiB tmpfs in a
// mount namespace of its own (made private first), and a service writes
// 2 MB. `status` and `list` say the store is full, the metric is set, and
// once the tmpfs is made larger every line is stored exactly once.
func TestLogsFullDisk(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	pad := strings.Repeat("x", 90)
	service(t, svc, "fill", fmt.Sprintf("seq -f '%%06g %s' 1 20000\nexec sleep 100000", pad), "")
	h.must("create", "fs", "--services", svc)
	col, addr, logDir := h.smallDiskCollector()
	h.must("start", "fs")

	waitUntil(t, 30*time.Second, "status to say the log store is full", func() bool {
		return strings.Contains(h.run("status", "fs").stdout, "logs: log store full since")
	})
	if l := h.must("list"); !strings.Contains(l, "running (log store full)") {
		t.Errorf("list:\n%s", l)
	}
	waitUntil(t, 10*time.Second, "the store-full metric", func() bool {
		return strings.Contains(scrape(addr), `jails_collector_store_full{jail="fs"} 1`)
	})

	freeSpace(t, col, logDir)
	count := storedNumbers(col, filepath.Join(logDir, "fs", "fill", "current"))
	waitUntil(t, 60*time.Second, "every line stored once space is freed", func() bool { return len(count()) == 20000 })
	for n, c := range count() {
		if c != 1 {
			t.Errorf("line %s stored %d times", n, c)
		}
	}
	waitUntil(t, 10*time.Second, "status to stop saying it", func() bool {
		return !strings.Contains(h.run("status", "fs").stdout, "log store full")
	})
	if !strings.Contains(scrape(addr), `jails_collector_store_full{jail="fs"} 0`) {
		t.Error("the store-full metric is still set")
	}
}

// A jail stopped while its log disk is full: jinit spills what the
// collector could not store, and once space is freed the collector stores
// every line exactly once.
func TestLogsStopOnFullDisk(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "fill", fmt.Sprintf("seq -f '%%06g %s' 1 20000\nexec sleep 100000", strings.Repeat("x", 90)), "")
	h.must("create", "sf", "--services", svc)
	col, _, logDir := h.smallDiskCollector()
	h.must("start", "sf")
	waitUntil(t, 30*time.Second, "the log store to be full", func() bool {
		return strings.Contains(h.run("status", "sf").stdout, "logs: log store full since")
	})
	h.must("stop", "sf")
	spills, _ := filepath.Glob(h.rw("sf", logs.SpillDir+"/*"+logs.SpillSuffix))
	if len(spills) != 1 {
		t.Fatalf("spills after a stop on a full disk: %v", spills)
	}
	freeSpace(t, col, logDir)
	count := storedNumbers(col, filepath.Join(logDir, "sf", "fill", "current"))
	defer func() {
		if t.Failed() {
			c := count()
			var missing []string
			for i := 1; i <= 20000; i++ {
				if c[fmt.Sprintf("%06d", i)] == 0 {
					missing = append(missing, fmt.Sprint(i))
				}
			}
			cp, _ := os.ReadFile(fmt.Sprintf("/proc/%d/root%s", col.Process.Pid, filepath.Join(logDir, "sf", ".collector.json")))
			t.Logf("stored %d distinct; missing %d: %.300s\ncheckpoint %s", len(c), len(missing), strings.Join(missing, ","), cp)
		}
	}()
	waitUntil(t, 60*time.Second, "every line stored once space is freed", func() bool { return len(count()) == 20000 })
	for n, c := range count() {
		if c != 1 {
			t.Errorf("line %s stored %d times", n, c)
		}
	}
	waitUntil(t, 10*time.Second, "the spill removed", func() bool {
		_, err := os.Stat(spills[0])
		return os.IsNotExist(err)
	})
}

// smallDiskCollector runs the host's collector with its log directory on a
// 1 MiB tmpfs, in a mount namespace of its own made private first (the
// host's mounts are not touched). It returns the collector, its HTTP
// address and the log directory.
func (h *host) smallDiskCollector() (*exec.Cmd, string, string) {
	t := h.t
	t.Helper()
	logDir := filepath.Join(h.state, "log")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var out bytes.Buffer
	col := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs -o size=1m jails-test-log "$1" && exec "$2" --state-dir "$3" collector --listen "$4" --poll 50ms`,
		"sh", logDir, jailctlBin, h.state, addr)
	col.Stdout, col.Stderr = &out, &out
	col.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		kill(col, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("collector output:\n%s", out.String())
		}
	})
	return col, addr, logDir
}

// freeSpace enlarges the collector's tmpfs, seen only in its namespace.
func freeSpace(t *testing.T, col *exec.Cmd, logDir string) {
	t.Helper()
	if o, err := exec.Command("nsenter", "-t", fmt.Sprint(col.Process.Pid), "-m", "mount", "-o", "remount,size=64m", logDir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v\n%s", err, o)
	}
}

// storedNumbers counts the numbered lines of a stored file, read through
// the collector's mount namespace.
func storedNumbers(col *exec.Cmd, path string) func() map[string]int {
	cur := fmt.Sprintf("/proc/%d/root%s", col.Process.Pid, path)
	return func() map[string]int {
		b, _ := os.ReadFile(cur)
		seen := map[string]int{}
		for _, l := range bytes.Split(b, []byte("\n")) {
			if p, err := logs.ParseLine(l); err == nil && p.Stream == logs.Stdout && len(p.Text) >= 6 {
				seen[string(p.Text[:6])]++
			}
		}
		return seen
	}
}

// scrape gets the collector's /metrics ("" if it does not answer).
func scrape(addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
