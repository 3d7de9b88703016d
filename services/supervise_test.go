package services

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The status records are what sv and s6-svstat read: their layout is
// checked byte by byte (the tools themselves are run in jailctl's
// workload tests).
func TestRunitStatusLayout(t *testing.T) {
	at := time.Unix(1_700_000_000, 123)
	st := State{Phase: PhaseRunning, Want: WantUp, Pid: 0x01020304, StartedAt: at, Since: at.Add(time.Hour)}
	b := runitStatus(st, true, true)
	if len(b) != 20 {
		t.Fatalf("runit status is %d bytes, want 20", len(b))
	}
	if got := binary.BigEndian.Uint64(b[0:8]); got != 1<<62+10+1_700_000_000 {
		t.Errorf("TAI64 seconds %#x: want the start time, not the last change", got)
	}
	if got := binary.BigEndian.Uint32(b[8:12]); got != 123 {
		t.Errorf("nanoseconds %d", got)
	}
	if !bytes.Equal(b[12:20], []byte{4, 3, 2, 1, 1, 'u', 1, runitRun}) {
		t.Errorf("pid (little-endian), paused, want, term, state: % x", b[12:20])
	}
	down := runitStatus(State{Phase: PhaseFinishing, Want: WantDown, Since: at}, false, false)
	if !bytes.Equal(down[12:20], []byte{0, 0, 0, 0, 0, 'd', 0, runitFinish}) {
		t.Errorf("finishing, want down: % x", down[12:20])
	}
	if got := runitStat(State{Phase: PhaseBackoff, Want: WantUp}, false, false); got != "down, want up" {
		t.Errorf("stat %q", got)
	}
}

func TestS6StatusLayout(t *testing.T) {
	at := time.Unix(1_700_000_000, 5)
	st := State{Phase: PhaseRunning, Want: WantUp, Pid: 77, Ready: true, StartedAt: at, Since: at.Add(time.Second)}
	b := s6Status(st, false)
	if len(b) != 35 {
		t.Fatalf("s6 status is %d bytes, want 35", len(b))
	}
	if got := binary.BigEndian.Uint64(b[0:8]); got != 1<<62+37+1_700_000_000 {
		t.Errorf("stamp %#x", got)
	}
	if got := binary.BigEndian.Uint64(b[12:20]); got != 1<<62+37+1_700_000_001 {
		t.Errorf("ready stamp %#x", got)
	}
	if got := binary.BigEndian.Uint64(b[24:32]); got != 77 {
		t.Errorf("pid %d", got)
	}
	if b[34] != 4|8 {
		t.Errorf("flags %#x, want want-up|ready", b[34])
	}
	last := ExitStatus{Signal: syscall.SIGTERM}
	d := s6Status(State{Phase: PhaseFinishing, Want: WantUp, LastExit: &last, Since: at}, true)
	if got := binary.BigEndian.Uint16(d[32:34]); got != uint16(syscall.SIGTERM) {
		t.Errorf("wait status %#x, want the signal", got)
	}
	if d[34] != 1|2|4 {
		t.Errorf("flags %#x, want paused|finishing|want-up", d[34])
	}
	if gone := s6Status(State{Phase: PhaseDown, Since: at}, false); gone[34] != 8 {
		t.Errorf("down, finish done: flags %#x, want ready (s6's really down)", gone[34])
	}
}

func TestS6Events(t *testing.T) {
	down, up := State{Phase: PhaseWaiting}, State{Phase: PhaseStarting, Pid: 9}
	ready := State{Phase: PhaseRunning, Pid: 9, Ready: true}
	finishing, gone := State{Phase: PhaseFinishing}, State{Phase: PhaseBackoff}
	cases := []struct {
		before, after State
		want          string
	}{
		{down, up, "su"}, {up, ready, "U"}, {down, ready, "suU"},
		{ready, finishing, "d"}, {finishing, gone, "D"}, {ready, gone, "dD"}, {ready, ready, ""},
	}
	for _, c := range cases {
		if got := string(s6Events(c.before, c.after)); got != c.want {
			t.Errorf("%s → %s: events %q, want %q", c.before.Phase, c.after.Phase, got, c.want)
		}
	}
}

// s6-rc source definitions: a longrun with dependencies.d, a oneshot run
// through execlineb, a bundle that depends on its contents.
func TestLoadS6RC(t *testing.T) {
	root := t.TempDir()
	mkService(t, root, "app", map[string]string{"type": "longrun\n", "dependencies.d/setup": ""})
	mkService(t, root, "setup", map[string]string{"type": "oneshot\n", "up": "touch /tmp/x\n", "run": "-"})
	mkService(t, root, "all", map[string]string{"type": "bundle\n", "contents": "app\nsetup\n", "run": "-"})
	mkService(t, root, "odd", map[string]string{"type": "sometimes\n", "run": "-"})
	svcs, errs := Scan(root)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `odd: type: unknown type "sometimes"`) {
		t.Fatalf("errors %v, want only odd's type named", errs)
	}
	by := map[string]*Service{}
	for _, s := range svcs {
		by[s.Name] = s
	}
	if app := by["app"]; app == nil || !slices.Equal(app.Depends, []string{"setup"}) || app.Policy.Oneshot {
		t.Errorf("longrun: %+v", app)
	}
	if s := by["setup"]; s == nil || !s.Policy.Oneshot || !slices.Equal(s.RunArgs, []string{"execlineb", "-P", "./up"}) {
		t.Errorf("oneshot: %+v", s)
	}
	if b := by["all"]; b == nil || !b.Policy.Oneshot || !slices.Equal(b.Depends, []string{"app", "setup"}) {
		t.Errorf("bundle: %+v", b)
	}
	if err := CheckGraph(svcs); err != nil {
		t.Errorf("graph: %v", err)
	}
}
