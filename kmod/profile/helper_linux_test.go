package profile

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary re-execs itself in helper roles that mirror a real jail:
//
//	stage  PID 1 of new pid/mount/uts/ipc namespaces: makes / private,
//	       mounts /proc and a scratch tmpfs, MaskPaths, Apply, then
//	       carries on as jinit (keep) or execs a service (nokeep)
//	jinit  (in the stage's process) starts a root service, a uid 65534
//	       service and a uid 65534 sleeper it kills (CAP_KILL)
//	service  runs EscapeChecks as root under the profile
//	user   uid 65534: reports, then execs a setuid-root copy (suid)
//	fcap   copies with every file capability (setcap all=p, all=ep),
//	       run as uid 65534 by jinit
//
// Every role writes one line "ROLE JSON" to stdout, which the test reads.
const helperEnv = "JAILS_PROFILE_HELPER"

func TestMain(m *testing.M) {
	if job := os.Getenv(helperEnv); job != "" {
		if err := runHelper(strings.Fields(job)); err != nil {
			emit("error", err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// emit writes one report line with a single write (lines from several
// processes share the pipe).
func emit(role string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(err.Error())
	}
	os.Stdout.Write(append([]byte(role+" "+string(b)), '\n'))
}

func runHelper(args []string) error {
	if len(args) == 0 {
		return errors.New("empty job")
	}
	switch args[0] {
	case "stage":
		return runStage(args[1:])
	case "service":
		return runService(args[1:])
	case "user":
		return runUser(args[1:])
	case "suid", "fcap":
		return reportStatus(args[0])
	case "sleep":
		time.Sleep(time.Hour) // killed by jinit
		return nil
	case "nopid1":
		return runNoPID1()
	case "badprofile":
		emit("badprofile", fmt.Sprint(Apply("max", Options{})))
		return nil
	}
	return fmt.Errorf("unknown job %q", args[0])
}

func reportStatus(role string) error {
	st, err := ReadStatus(0)
	if err != nil {
		return err
	}
	emit(role, st)
	return nil
}

// runStage: stage PROFILE SCRATCH keep|nokeep.
func runStage(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("stage wants PROFILE SCRATCH keep|nokeep, got %q", args)
	}
	p, scratch, keep := Profile(args[0]), args[1], args[2] == "keep"
	if os.Getpid() != 1 {
		return errors.New("stage is not PID 1")
	}
	// Before any mount: nothing may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount proc: %w", err)
	}
	if err := prepareScratch(scratch); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte("jail-test")); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	if err := MaskPaths(p); err != nil {
		return err
	}
	if err := Apply(p, Options{Supervisor: keep}); err != nil {
		return err
	}
	if keep {
		return runJinit(string(p), scratch)
	}
	self := filepath.Join(scratch, "plain")
	return unix.Exec(self, []string{self}, []string{helperEnv + "=service " + string(p) + " " + scratch})
}

// prepareScratch mounts a tmpfs (suid allowed) over scratch with copies of
// the test binary (plain, setuid-root, with file capabilities) and a
// checks directory.
func prepareScratch(scratch string) error {
	if err := unix.Mount("scratch", scratch, "tmpfs", 0, "mode=0755,size=256m"); err != nil {
		return fmt.Errorf("mount scratch: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	for name, mode := range map[string]os.FileMode{"plain": 0o755, "suid": 0o755 | os.ModeSetuid} {
		if err := copyFile(exe, filepath.Join(scratch, name), mode); err != nil {
			return err
		}
	}
	for name, effective := range map[string]bool{"fcap": false, "fcapeff": true} {
		f := filepath.Join(scratch, name)
		if err := copyFile(exe, f, 0o755); err != nil {
			return err
		}
		if err := unix.Setxattr(f, "security.capability", allFileCaps(effective), 0); err != nil {
			return fmt.Errorf("set file capabilities: %w", err)
		}
	}
	return os.Mkdir(filepath.Join(scratch, "checks"), 0o755)
}

// allFileCaps is a vfs_cap_data (revision 2) granting every capability as
// permitted, with or without the effective bit: what `setcap all=p` or
// `setcap all=ep` writes.
func allFileCaps(effective bool) []byte {
	b := make([]byte, 20)
	magic := uint32(0x02000000) // VFS_CAP_REVISION_2
	if effective {
		magic |= 0x1 // VFS_CAP_FLAGS_EFFECTIVE
	}
	binary.LittleEndian.PutUint32(b[0:], magic)
	binary.LittleEndian.PutUint32(b[4:], 0xffffffff)  // permitted, caps 0-31
	binary.LittleEndian.PutUint32(b[12:], 0xffffffff) // permitted, caps 32-63
	return b
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // after writing: a write clears the setuid bit
}

type jinitReport struct {
	Status  Status // jinit's own, after Apply
	Service string // wait status of the root service
	User    string
	// Fcap and FcapEff: a file-capability binary (all=p, all=ep) run as
	// uid 65534.
	Fcap, FcapEff string
	Kill          int // errno of kill(SIGKILL) on a uid 65534 process
	// Threads is how many threads jinit had after Apply, and Differ
	// lists those whose credentials differ from the caller's.
	Threads int
	Differ  []string
}

// runJinit plays jinit in the stage's process, after Apply.
func runJinit(p, scratch string) error {
	var r jinitReport
	var err error
	if r.Status, err = ReadStatus(0); err != nil {
		return err
	}
	if r.Threads, r.Differ, err = threadsDiffer(r.Status); err != nil {
		return err
	}
	plain := filepath.Join(scratch, "plain")
	user := &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
	r.Service = spawnWait(plain, "service "+p+" "+scratch, nil)
	r.User = spawnWait(plain, "user "+p+" "+scratch, user)
	r.Fcap = spawnWait(filepath.Join(scratch, "fcap"), "fcap", user)
	r.FcapEff = spawnWait(filepath.Join(scratch, "fcapeff"), "fcap", user)
	r.Kill = killSleeper(plain, user)
	emit("jinit", r)
	return nil
}

// threadsDiffer compares every thread's credentials with want: they are
// per-thread in the kernel, and Go runs on several threads.
func threadsDiffer(want Status) (int, []string, error) {
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, nil, err
	}
	var differ []string
	for _, tid := range tids {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", tid.Name(), "status"))
		if err != nil {
			return 0, nil, err
		}
		st, err := ParseStatus(string(b))
		if err != nil {
			return 0, nil, err
		}
		if st != want {
			differ = append(differ, fmt.Sprintf("%s: %+v", tid.Name(), st))
		}
	}
	return len(tids), differ, nil
}

func spawn(exe, job string, cred *syscall.Credential) (int, error) {
	return syscall.ForkExec(exe, []string{exe}, &syscall.ProcAttr{
		Env:   []string{helperEnv + "=" + job},
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Credential: cred},
	})
}

func spawnWait(exe, job string, cred *syscall.Credential) string {
	pid, err := spawn(exe, job, cred)
	if err != nil {
		return "start: " + err.Error()
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return "wait: " + err.Error()
	}
	return fmt.Sprintf("exit %d", ws.ExitStatus())
}

func killSleeper(exe string, cred *syscall.Credential) int {
	pid, err := spawn(exe, "sleep", cred)
	if err != nil {
		return -1
	}
	// If the kill fails, the sleeper dies with the pid namespace when
	// this PID 1 exits.
	kerr := syscall.Kill(pid, syscall.SIGKILL)
	if kerr == nil {
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
	}
	return int(errnoOf(kerr))
}

type serviceReport struct {
	Status Status
	Checks map[string]int
}

// runService: service PROFILE SCRATCH.
func runService(args []string) error {
	st, err := ReadStatus(0)
	if err != nil {
		return err
	}
	r := serviceReport{Status: st, Checks: map[string]int{}}
	dir := filepath.Join(args[1], "checks")
	for _, c := range EscapeChecks {
		r.Checks[c.Name] = int(c.Run(dir))
	}
	emit("service", r)
	return nil
}

// runUser reports as uid 65534, then execs the setuid-root copy.
func runUser(args []string) error {
	if err := reportStatus("user"); err != nil {
		return err
	}
	suid := filepath.Join(args[1], "suid")
	return unix.Exec(suid, []string{suid}, []string{helperEnv + "=suid"})
}

// runNoPID1 runs in a private mount namespace but not as PID 1: MaskPaths
// must refuse before touching anything.
func runNoPID1() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	emit("nopid1", fmt.Sprint(MaskPaths(High)))
	return nil
}
