package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jailsproject/jails/logs"
)

// A kept jail's keeper (`jailctl run`) bounds its console.log by the
// jail's [logs] settings while it runs.
func TestConsoleLogBounded(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100000", "")
	h.must("create", "con", "--services", svc)
	h.addLogs("con", "rotate_size = '4K'\nkeep = 2")
	h.runKept("con")
	console := filepath.Join(h.state, "log", "con", "console.log")
	w, err := os.OpenFile(console, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for range 5 {
		w.Write(bytes.Repeat([]byte("what jinit says of a crashing service\n"), 500))
		waitUntil(t, 10*time.Second, "console.log to be rotated", func() bool {
			fi, err := os.Stat(console)
			return err == nil && fi.Size() <= 8192
		})
	}
	// The last rotation prunes right after it cuts.
	waitUntil(t, 5*time.Second, "two console archives (keep)", func() bool {
		return len(consoleArchives(t, filepath.Dir(console))) == 2
	})
}

// A jail that runs on its own has its console rotated at every start (and
// jinit stops writing there past one rotation's worth: jinit's
// TestConsoleCap).
func TestConsoleLogBoundedWithoutKeeper(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	// Crashes at once, again and again: jinit says so each time.
	service(t, svc, "crash", "exit 3", "")
	h.must("create", "cn", "--services", svc)
	h.addLogs("cn", "rotate_size = '4K'\nkeep = 2")
	console := filepath.Join(h.state, "log", "cn", "console.log")
	os.MkdirAll(filepath.Dir(console), 0o700)
	os.WriteFile(console, bytes.Repeat([]byte("an earlier start said this\n"), 400), 0o640)
	h.run("start", "--timeout", "2s", "cn") // fails: the service never stays up
	if n := len(consoleArchives(t, filepath.Dir(console))); n != 1 {
		t.Fatalf("console archives after a start: %d, want 1", n)
	}
}

// The collector bounds the console of a started jail, which has no
// keeper: in a low jail, root can write to jinit's console behind jinit's
// cap (/proc/1/fd/2), and the file must not grow until the next start.
func TestConsoleLogBoundedByCollector(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100000", "")
	h.must("create", "lc", "--services", svc, "--profile", "low")
	h.addLogs("lc", "rotate_size = '4K'\nkeep = 2")
	h.collector()
	h.must("start", "lc")
	console := filepath.Join(h.state, "log", "lc", "console.log")
	for range 3 {
		h.must("exec", "lc", "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x >> /proc/1/fd/2")
		waitUntil(t, 10*time.Second, "the collector to rotate console.log", func() bool {
			fi, err := os.Stat(console)
			return err == nil && fi.Size() <= 4096
		})
	}
	waitUntil(t, 5*time.Second, "two console archives (keep)", func() bool {
		return len(consoleArchives(t, filepath.Dir(console))) == 2
	})
	h.must("stop", "lc")
	h.mustLeaveNothing()
}

func consoleArchives(t *testing.T, dir string) []string {
	t.Helper()
	m, err := logs.ConsoleArchives(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
