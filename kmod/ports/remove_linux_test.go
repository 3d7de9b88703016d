package ports

import (
	"testing"

	"golang.org/x/sys/unix"
)

// A guard left in force (a started jail's) keeps enforcing with no
// descriptor held anywhere; Remove takes the jail's host programs off the
// root, and the jail's own go with its cgroup.
func TestLeftGuardEnforcesUntilRemoved(t *testing.T) {
	deny := denied(t)
	jail := testCgroup(t)
	own := freePorts(t, 1)[0]
	g := attach(t, jail, []Port{{TCP, own}}, Options{})
	id := mustID(t, jail)
	g.Leave()
	t.Cleanup(func() { Remove(id); unreserve(jail) })
	reserved := allForms("tcp", own)
	expect(t, "host, guard left", reserved, hostBinds(reserved), deny)
	if got, err := Attached(id); err != nil || len(got) != len(bindHooks) {
		t.Fatalf("Attached(%d) = %q, %v; want %d programs", id, got, err, len(bindHooks))
	}
	if err := Remove(id); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	expect(t, "host after Remove", reserved, hostBinds(reserved), "ok")
	if got, _ := Attached(id); len(got) != 0 {
		t.Fatalf("after Remove: %q still attached", got)
	}
}

// Sweep removes the host programs of a jail whose cgroup is gone, and
// leaves those of a live jail alone.
func TestSweepRemovesOnlyOrphans(t *testing.T) {
	deny := denied(t)
	parent := testCgroup(t)
	gone, live := parent+"/gone", parent+"/live"
	mkCgroup(t, gone)
	mkCgroup(t, live)
	ps := freePorts(t, 2)
	ga := attach(t, gone, []Port{{TCP, ps[0]}}, Options{})
	gb := attach(t, live, []Port{{TCP, ps[1]}}, Options{})
	goneID, liveID := mustID(t, gone), mustID(t, live)
	ga.Leave()
	gb.Leave()
	t.Cleanup(func() { Remove(goneID); Remove(liveID); unreserve(gone); unreserve(live) })
	if err := unix.Rmdir(gone); err != nil {
		t.Fatal(err)
	}
	if err := Sweep(); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if got, _ := Attached(goneID); len(got) != 0 {
		t.Fatalf("after Sweep: %q of a removed cgroup still attached", got)
	}
	if got, _ := Attached(liveID); len(got) != len(bindHooks) {
		t.Fatalf("after Sweep: live jail's host programs %q, want %d", got, len(bindHooks))
	}
	liveForms := allForms("tcp", ps[1])
	expect(t, "host, live jail", liveForms, hostBinds(liveForms), deny)
	goneForms := allForms("tcp", ps[0])
	expect(t, "host, removed jail", goneForms, hostBinds(goneForms), "ok")
}

func TestHostName(t *testing.T) {
	for _, id := range []uint64{1, 0x3ad44, 1<<52 - 1} {
		n := hostName(id)
		if len(n) > 15 {
			t.Errorf("hostName(%#x) = %q: longer than a program name may be", id, n)
		}
		if got, ok := hostID(n); !ok || got != id {
			t.Errorf("hostID(%q) = %d, %v; want %d", n, got, ok, id)
		}
	}
	for _, n := range []string{"jh", "jails_host_bind", "jhxyz", "jh01", "jh+1", "xjh1"} {
		if id, ok := hostID(n); ok {
			t.Errorf("hostID(%q) = %d, want not ours", n, id)
		}
	}
}

func mustID(t *testing.T, dir string) uint64 {
	t.Helper()
	cg, err := resolveCgroup(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cg.id
}
