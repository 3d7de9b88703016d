package profile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const jailFlags = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC

// runRole starts the test binary as helper job in new namespaces (flags)
// and returns the report lines by role.
func runRole(t *testing.T, job string, flags uintptr) map[string]string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the profile tests use real namespaces, mounts and capabilities (CI runs them as root)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a safety net, not an assertion
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = []string{helperEnv + "=" + job}
	// Pdeathsig fires when the forking thread exits: keep it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lines := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		role, js, _ := strings.Cut(sc.Text(), " ")
		lines[role] = js
	}
	if err != nil || lines["error"] != "" {
		t.Fatalf("helper %q: %v: %s\nstdout:\n%s\nstderr:\n%s", job, err, lines["error"], out, stderr.String())
	}
	return lines
}

func decode(t *testing.T, lines map[string]string, role string, v any) {
	t.Helper()
	js, ok := lines[role]
	if !ok {
		t.Fatalf("no %s report; got %v", role, lines)
	}
	if err := json.Unmarshal([]byte(js), v); err != nil {
		t.Fatalf("%s report %q: %v", role, js, err)
	}
}

func scratchDir(t *testing.T) string {
	t.Helper()
	// Directly under /tmp and 0755: uid 65534 must reach the setuid copy.
	d, err := os.MkdirTemp("", "jails-profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func capMask(t *testing.T, names ...string) uint64 {
	t.Helper()
	m, err := CapMask(names)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wantStatus(t *testing.T, who string, got, want Status) {
	t.Helper()
	if got != want {
		t.Errorf("%s status:\n got %+v\nwant %+v", who, got, want)
	}
}

// TestProfilesInJail runs the whole stage → jinit → service chain for each
// profile and checks credentials and every escape attempt.
func TestProfilesInJail(t *testing.T) {
	self, err := ReadStatus(0)
	if err != nil {
		t.Fatal(err)
	}
	sup := capMask(t, SupervisorCaps...)
	for _, p := range Profiles {
		t.Run(string(p), func(t *testing.T) {
			lines := runRole(t, "stage "+string(p)+" "+scratchDir(t)+" keep", jailFlags)
			var ji jinitReport
			var svc serviceReport
			var user, suid, fcap Status
			decode(t, lines, "jinit", &ji)
			decode(t, lines, "service", &svc)
			decode(t, lines, "user", &user)
			decode(t, lines, "suid", &suid)
			decode(t, lines, "fcap", &fcap)

			allow := capMask(t, AllowedCaps(p)...) & self.CapBnd
			if p == High {
				wantStatus(t, "jinit", ji.Status, Status{CapPrm: sup, CapEff: sup, NoNewPrivs: true, Seccomp: 2})
				wantStatus(t, "root service", svc.Status, Status{NoNewPrivs: true, Seccomp: 2})
				wantStatus(t, "uid 65534 service", user, Status{Uid: 65534, Euid: 65534, NoNewPrivs: true, Seccomp: 2})
				wantStatus(t, "setuid-root exec by uid 65534", suid, Status{Uid: 65534, Euid: 65534,
					NoNewPrivs: true, Seccomp: 2})
				wantStatus(t, "file-capability exec by uid 65534", fcap, Status{Uid: 65534, Euid: 65534,
					NoNewPrivs: true, Seccomp: 2})
			} else {
				root := Status{CapPrm: allow, CapEff: allow, CapBnd: allow, Seccomp: 2}
				wantStatus(t, "jinit", ji.Status, root)
				wantStatus(t, "root service", svc.Status, root)
				wantStatus(t, "uid 65534 service", user, Status{Uid: 65534, Euid: 65534, CapBnd: allow, Seccomp: 2})
				wantStatus(t, "setuid-root exec by uid 65534", suid, Status{Uid: 65534, Euid: 0,
					CapPrm: allow, CapEff: allow, CapBnd: allow, Seccomp: 2})
				wantStatus(t, "file-capability exec by uid 65534", fcap, Status{Uid: 65534, Euid: 65534,
					CapPrm: allow, CapBnd: allow, Seccomp: 2})
			}
			if ji.Service != "exit 0" || ji.User != "exit 0" || ji.Fcap != "exit 0" {
				t.Errorf("services: root %s, uid 65534 %s, file caps %s; want exit 0", ji.Service, ji.User, ji.Fcap)
			}
			// The kernel refuses to exec a capability-dumb binary (effective
			// bit) that would not get all its permitted capabilities.
			if ji.FcapEff != "start: operation not permitted" {
				t.Errorf("exec of an all=ep binary: %s; want EPERM", ji.FcapEff)
			}
			if ji.Threads < 2 || len(ji.Differ) > 0 {
				t.Errorf("jinit threads after Apply: %d, differing %v", ji.Threads, ji.Differ)
			}
			if ji.Kill != 0 {
				t.Errorf("jinit kill of a uid 65534 service: %v", syscall.Errno(ji.Kill))
			}
			compareChecks(t, p, svc.Checks, nil)
		})
	}
}

// compareChecks compares results with EscapeChecks; skip names checks that
// do not apply to the run.
func compareChecks(t *testing.T, p Profile, got map[string]int, skip []string) {
	t.Helper()
	for _, c := range EscapeChecks {
		e, ok := got[c.Name]
		switch {
		case !ok:
			t.Errorf("check %s did not run", c.Name)
		case contains(skip, c.Name):
		case syscall.Errno(e) == c.Expect[p]:
			t.Logf("%-20s %-48s %v", c.Name, c.Op, errText(syscall.Errno(e)))
		case c.Optional && (syscall.Errno(e) == syscall.ENOENT || syscall.Errno(e) == syscall.ENOSYS):
			t.Logf("%-20s %-48s not applicable here (%v)", c.Name, c.Op, syscall.Errno(e))
		default:
			t.Errorf("%s: %s = %s; want %s", p, c.Op, errText(syscall.Errno(e)), errText(c.Expect[p]))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func errText(e syscall.Errno) string {
	switch e {
	case 0:
		return "succeeded"
	case Masked:
		return "masked"
	}
	return unix.ErrnoName(e) + " (" + e.Error() + ")"
}

// TestHighWithoutSupervisor: Apply(high) without Supervisor leaves
// the exec'd program with no capability in any set.
func TestHighWithoutSupervisor(t *testing.T) {
	lines := runRole(t, "stage high "+scratchDir(t)+" nokeep", jailFlags)
	var svc serviceReport
	decode(t, lines, "service", &svc)
	wantStatus(t, "program exec'd by the stage", svc.Status, Status{NoNewPrivs: true, Seccomp: 2})
	// The program is PID 1 itself here, so the jinit ptrace check does not apply.
	compareChecks(t, High, svc.Checks, []string{"ptrace_pid1"})
}

func TestMaskPathsRefusesOutsideJail(t *testing.T) {
	lines := runRole(t, "nopid1", unix.CLONE_NEWNS)
	var msg string
	decode(t, lines, "nopid1", &msg)
	if !strings.Contains(msg, "not PID 1") {
		t.Errorf("MaskPaths outside a pid namespace: %q; want a refusal", msg)
	}
}

func TestApplyRejectsUnknownProfile(t *testing.T) {
	lines := runRole(t, "badprofile", 0)
	var msg string
	decode(t, lines, "badprofile", &msg)
	if !strings.Contains(msg, `unknown profile "max"`) {
		t.Errorf("Apply(max) = %q", msg)
	}
}
