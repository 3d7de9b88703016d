package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs"
)

// The keeper (`jailctl run`) killed (SIGKILL) while no collector has ever
// run and a service has written 100,000 numbered lines: jinit spills them
// into the jail's writable layer as it ends, and a collector started
// afterwards stores every one exactly once, then removes the spill.
func TestLogsSpillAfterKeeperKilled(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "num", "seq 1 100000\nexec sleep 100000", "")
	h.must("create", "sp", "--services", svc)
	h.addLogs("sp", `buffer = "16M"`)
	keeper := h.runKept("sp")
	waitUntil(t, 60*time.Second, "jinit to hold the 100,000 lines", func() bool {
		return strings.HasSuffix(h.run("logs", "-n", "1", "sp", "num").stdout, " num stdout 100000\n")
	})
	rt, err := store.NewStore(h.state).ReadRuntime("sp")
	if err != nil {
		t.Fatal(err)
	}
	keeper.Process.Kill()
	keeper.Wait()
	waitUntil(t, 30*time.Second, "jinit to end with its keeper", func() bool { return !processAlive(rt.JinitPid) })
	if out := h.must("list"); !strings.Contains(out, "keeper process died") {
		t.Fatalf("list after the keeper's death:\n%s", out)
	}
	spills, _ := filepath.Glob(h.rw("sp", logs.SpillDir+"/*"+logs.SpillSuffix))
	if len(spills) != 1 {
		t.Fatalf("spills in the jail's writable layer: %v", spills)
	}

	h.collector()
	waitUntil(t, 60*time.Second, "the spill stored and removed", func() bool {
		_, err := os.Stat(spills[0])
		return os.IsNotExist(err)
	})
	checkNumbered(t, "num", h.storeLines("sp", "num"), 100000)
	audit, _ := os.ReadFile(filepath.Join(h.logDir("sp"), logs.AuditName))
	if !strings.Contains(string(audit), " start boot=") || !strings.Contains(string(audit), "keeper process died") {
		t.Errorf("audit log:\n%s", audit)
	}
}
