package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/jail"
)

// A running jail's keeper bounds its console.log by the jail's [logs]
// settings.
func TestConsoleLogBounded(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "idle", "exec sleep 100000", "")
	h.must("create", "con", "--services", svc)
	def := filepath.Join(h.state, "lib", "con", "jail.toml")
	f, err := os.OpenFile(def, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[logs]\nrotate_size = '4K'\nkeep = 2\n")
	f.Close()
	h.must("start", "con")
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

func consoleArchives(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, jail.ConsoleArchive+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
