package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jailsproject/jails/logs"
)

// The real logrotate, both ways, with a SIGHUP to the collector in
// postrotate: `create` (current moved to current.1, a new current made)
// and then `copytruncate` (current copied to current.1 and cut). The
// service writes numbered lines in three bursts, waiting for the test
// between them, so no line is written during logrotate's copy (the
// window copytruncate always loses). Every line is stored exactly once
// across the files, and the collector lives through the SIGHUPs.
func TestLogsLogrotate(t *testing.T) {
	lr, err := exec.LookPath("logrotate")
	if err != nil {
		t.Fatal("logrotate not installed (apt-get install -y logrotate; .ci/run installs it)")
	}
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "web", `seq 1 2000
while [ ! -e /tmp/go2 ]; do sleep 0.05; done
seq 2001 4000
while [ ! -e /tmp/go3 ]; do sleep 0.05; done
seq 4001 6000
exec sleep 100000`, "")
	h.must("create", "lr", "--services", svc)
	col := h.collector()
	h.must("start", "lr")
	cur := filepath.Join(h.logDir("lr"), "web", "current")
	stored := func() map[int]int {
		seen := map[int]int{}
		for _, p := range []string{cur, cur + ".1", cur + ".2"} {
			b, _ := os.ReadFile(p)
			for _, l := range bytes.Split(b, []byte("\n")) {
				if pl, err := logs.ParseLine(l); err == nil && pl.Stream == logs.Stdout {
					if n, err := strconv.Atoi(string(pl.Text)); err == nil {
						seen[n]++
					}
				}
			}
		}
		return seen
	}
	rotate := func(mode string) {
		t.Helper()
		conf := filepath.Join(t.TempDir(), "jails")
		stanza := fmt.Sprintf("%s {\n  rotate 5\n  %s\n  nocompress\n  postrotate\n    kill -HUP %d\n  endscript\n}\n", cur, mode, col.Process.Pid)
		if err := os.WriteFile(conf, []byte(stanza), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(lr, "-f", "-s", conf+".state", conf).CombinedOutput(); err != nil {
			t.Fatalf("logrotate (%s): %v\n%s", mode, err, out)
		}
	}
	for step, mode := range []string{"create 0640", "copytruncate"} {
		want := 2000 * (step + 1)
		waitUntil(t, 30*time.Second, fmt.Sprintf("%d lines stored", want), func() bool { return len(stored()) == want })
		rotate(mode)
		if err := os.WriteFile(h.rw("lr", fmt.Sprintf("tmp/go%d", step+2)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 30*time.Second, "6000 lines stored", func() bool { return len(stored()) == 6000 })
	for n, c := range stored() {
		if c != 1 || n < 1 || n > 6000 {
			t.Errorf("line %d stored %d times", n, c)
		}
	}
	if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", col.Process.Pid)); err != nil || bytes.Contains(st, []byte(") Z ")) {
		t.Fatalf("the collector did not live through SIGHUP: %s %v", st, err)
	}
	for _, p := range []string{cur, cur + ".1", cur + ".2"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
