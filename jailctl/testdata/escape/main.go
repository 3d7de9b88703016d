//go:build linux

// Command escape makes escape attempts from inside a jail and prints what the
// kernel answered, as JSON on stdout. The jailctl integration tests build it,
// bind it read-only into jails (with a setuid-root copy beside it) and run it
// with `jailctl exec`; they judge the results, this program only reports them.
//
// A result is a word: "ok" (the attempt succeeded), "masked", an errno name
// ("EPERM"), or a word of the jail-specific checks ("contained", "no gain").
//
//	escape root  -host-pid N -own P -priv Q -other R -other-jail J -free F   as root
//	escape user  -own P -priv Q                                as a non-root user
//	escape bind  SPEC...       SPEC = tcp4|tcp6|udp4|udp6 ":" PORT
//	escape status              this process's credentials (for the setuid copy)
//	escape cgmove [-join J] -port P   child: leave the jail's cgroup, then bind P
//	escape chroot DIR          child: the classic chroot escape
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/jailsproject/jails/kmod/profile"
	"golang.org/x/sys/unix"
)

// Report is what the root and user roles print.
type Report struct {
	Status  profile.Status
	Results map[string]string
	// Details explain some results (the effect of an attempt that
	// succeeded); they are shown on failure, not tabled.
	Details map[string]string
}

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: escape root|user|bind|connect|status|cgmove|chroot ..."))
	}
	var err error
	switch os.Args[1] {
	case "root", "user":
		err = runChecks(os.Args[1], os.Args[2:])
	case "bind":
		res := map[string]string{}
		for _, spec := range os.Args[2:] {
			res[spec] = bindSpec(spec)
		}
		err = emit(res)
	case "connect":
		res := map[string]string{}
		for _, spec := range os.Args[2:] {
			res[spec] = connectSpec(spec)
		}
		err = emit(res)
	case "inotify-hold":
		err = inotifyHold()
	case "inotify-one":
		fd, ierr := unix.InotifyInit1(unix.IN_CLOEXEC)
		if ierr == nil {
			unix.Close(fd)
		}
		fmt.Println(errWord(ierr))
	case "status":
		var st profile.Status
		if st, err = profile.ReadStatus(0); err == nil {
			err = emit(st)
		}
	case "cgmove":
		err = runCgroupMove(os.Args[2:])
	case "chroot":
		err = emit(chrootEscape(os.Args[2]))
	default:
		err = fmt.Errorf("unknown role %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "escape:", err)
	os.Exit(1)
}

func emit(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}

// word turns an errno into a result word.
func word(e syscall.Errno) string {
	switch e {
	case 0:
		return "ok"
	case profile.Masked:
		return "masked"
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

func errWord(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return word(e)
	}
	return "error: " + err.Error()
}

type ports struct {
	hostPid, own, priv, other, free int
	otherJail                       string
	otherEph, private               int    // another jail's port in the ephemeral range; a host-private port
	strays                          string // DEV:INO,... of descriptors the jail's starter leaked
	abstract                        string // a host abstract unix socket that records SO_PEERCRED
}

func runChecks(role string, args []string) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	var p ports
	fs.IntVar(&p.hostPid, "host-pid", 0, "a host process")
	fs.IntVar(&p.own, "own", 0, "a TCP port the jail reserved")
	fs.IntVar(&p.priv, "priv", 0, "a privileged TCP port the jail reserved")
	fs.IntVar(&p.other, "other", 0, "a TCP port another jail reserved")
	fs.IntVar(&p.free, "free", 0, "a TCP port nobody reserved")
	fs.StringVar(&p.otherJail, "other-jail", "", "the jail that reserved -other")
	fs.IntVar(&p.otherEph, "other-eph", 0, "a port of the ephemeral range another jail reserved")
	fs.IntVar(&p.private, "private", 0, "a host-private TCP port, listening on 127.0.0.1")
	fs.StringVar(&p.strays, "strays", "", "DEV:INO,... of the starter's leaked descriptors")
	fs.StringVar(&p.abstract, "abstract", "", "a host abstract socket to connect to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := profile.ReadStatus(0)
	if err != nil {
		return err
	}
	r := Report{Status: st, Results: map[string]string{}, Details: map[string]string{}}
	if role == "root" {
		if err := rootChecks(&r, p); err != nil {
			return err
		}
	} else {
		userChecks(&r, p)
	}
	return emit(r)
}

func rootChecks(r *Report, p ports) error {
	dir, err := os.MkdirTemp("/tmp", "escape-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, c := range profile.EscapeChecks {
		r.Results[c.Name] = word(c.Run(dir))
	}
	r.Results["pivot_root"] = errWord(unix.PivotRoot("/jails-no-such-root", "/jails-no-such-root"))
	r.Results["chroot_escape"] = child(r, "chroot_escape", "chroot", dir)
	r.Results["userns_regain"] = usernsRegain(r)
	r.Results["kill_host"] = errWord(unix.Kill(p.hostPid, 0))
	r.Results["ptrace_host"] = ptraceSeize(p.hostPid)
	r.Results["pid1_exe_write"] = openWrite("/proc/1/exe")
	r.Results["pid1_exe_chmod"] = chmodSame("/proc/1/exe")
	r.Results["setuid_base"] = nosuid("/usr/bin")
	r.Results["setuid_plant"] = plantSetuid(dir)
	r.Results["cgroup_v1_writable"] = cgroupV1Writable()
	r.Results["io_uring"] = ioUringSetup()
	r.Results["cgroup_move"] = child(r, "cgroup_move", "cgmove", "-port", strconv.Itoa(p.free))
	r.Results["cgroup_join_other"] = child(r, "cgroup_join_other", "cgmove", "-join", p.otherJail,
		"-port", strconv.Itoa(p.other))
	r.Results["bind_own"] = bindSpec("tcp4:" + strconv.Itoa(p.own))
	r.Results["bind_zero"] = bindSpec("tcp4:0")
	r.Results["bind_other"] = bindSpec("tcp4:" + strconv.Itoa(p.other))
	r.Results["bind_unreserved"] = bindSpec("tcp4:" + strconv.Itoa(p.free))
	r.Results["bind_priv_root"] = bindSpec("tcp4:" + strconv.Itoa(p.priv))
	r.Results["autobind_other"] = autobindIn(p.otherEph)
	r.Results["connect_private"] = connectSpec("tcp4:" + strconv.Itoa(p.private))
	r.Results["stray_fds"] = strayFDs(r, "stray_fds", p.strays)
	r.Results["host_tty"] = hostTerminal(r)
	r.Results["uid_map"] = uidMap()
	r.Results["abstract_root"] = connectAbstract(p.abstract)
	return nil
}

func userChecks(r *Report, p ports) {
	r.Results["bind_own_user"] = bindSpec("tcp4:" + strconv.Itoa(p.own))
	r.Results["bind_priv_user"] = bindSpec("tcp4:" + strconv.Itoa(p.priv))
	r.Results["setuid_exec"] = execCopy(r, "setuid_exec", "escape-suid")
	r.Results["fcap_exec"] = execCopy(r, "fcap_exec", "escape-fcap")
	r.Results["stray_fds_user"] = strayFDs(r, "stray_fds_user", p.strays)
	r.Results["abstract_user"] = connectAbstract(p.abstract)
}

// execCopy runs a privileged copy of this program beside it (setuid-root,
// or with file capability cap_net_raw+ep) in the status role and says
// what it got: "root (bounded)" (euid 0, the bounding set's capabilities),
// "cap_net_raw", "no gain", or the errno of a refused exec.
func execCopy(r *Report, name, file string) string {
	self, err := os.Executable()
	if err != nil {
		return errWord(err)
	}
	out, err := exec.Command(filepath.Join(filepath.Dir(self), file), "status").Output()
	if err != nil {
		return errWord(err)
	}
	var st profile.Status
	if err := json.Unmarshal(out, &st); err != nil {
		return "status: " + err.Error()
	}
	r.Details[name] = fmt.Sprintf("%+v", st)
	switch {
	case st.Euid == 0 && st.CapEff == st.CapBnd:
		return "root (bounded)"
	case st.Euid == 0:
		return fmt.Sprintf("root (caps %#x)", st.CapEff)
	case st.CapEff == 0 && st.CapPrm == 0:
		return "no gain"
	case st.CapEff == 1<<unix.CAP_NET_RAW:
		return "cap_net_raw"
	}
	return fmt.Sprintf("caps %#x", st.CapEff)
}

// child runs this program in role args (a fresh process: chroot and cgroup
// moves must not touch the reporting process) and returns its result
// word; its details go to r.
func child(r *Report, name string, args ...string) string {
	self, err := os.Executable()
	if err != nil {
		return errWord(err)
	}
	out, err := exec.Command(self, args...).Output()
	if err != nil {
		return "child: " + err.Error()
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return "child said " + strings.TrimSpace(string(out))
	}
	if res.Detail != "" {
		r.Details[name] = res.Detail
	}
	return res.Result
}

type childResult struct{ Result, Detail string }

// chrootEscape: chroot into a subdirectory while the working directory
// stays outside it, climb with "..", and chroot there. Behind pivot_root
// with the old root detached, the climb ends at the jail's own root.
func chrootEscape(dir string) childResult {
	var before, after unix.Stat_t
	if err := unix.Stat("/", &before); err != nil {
		return childResult{Result: errWord(err)}
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		return childResult{Result: errWord(err)}
	}
	if err := unix.Chdir(dir); err != nil {
		return childResult{Result: errWord(err)}
	}
	if err := unix.Chroot(sub); err != nil {
		return childResult{Result: errWord(err)}
	}
	for range 64 {
		if err := unix.Chdir(".."); err != nil {
			return childResult{Result: errWord(err)}
		}
	}
	if err := unix.Chroot("."); err != nil {
		return childResult{Result: errWord(err)}
	}
	if err := unix.Stat("/", &after); err != nil {
		return childResult{Result: errWord(err)}
	}
	if after.Dev == before.Dev && after.Ino == before.Ino {
		return childResult{Result: "contained"}
	}
	ents, _ := os.ReadDir("/")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return childResult{Result: "escaped", Detail: "root after the climb: " + strings.Join(names, " ")}
}

// usernsRegain clones a child into a new user namespace with root mapped,
// which would hold every capability there.
func usernsRegain(r *Report) string {
	self, err := os.Executable()
	if err != nil {
		return errWord(err)
	}
	cmd := exec.Command(self, "status")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
	}
	out, err := cmd.Output()
	if err != nil {
		return errWord(err)
	}
	var st profile.Status
	if err := json.Unmarshal(out, &st); err != nil {
		return "status: " + err.Error()
	}
	r.Details["userns_regain"] = fmt.Sprintf("child in the new user namespace: %+v", st)
	if st.CapEff == 0 {
		return "no caps"
	}
	return "ok"
}

// ioUringSetup creates (and closes) a one-entry io_uring: its operations
// run without passing through the seccomp filter.
func ioUringSetup() string {
	var params [120]byte // struct io_uring_params, zeroed
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])), 0)
	if e == 0 {
		unix.Close(int(fd))
	}
	return word(e)
}

// ptraceSeize attaches without stopping the target; it can only ever
// reach a process the jail can see.
// openWrite opens path for writing without truncating or writing a byte.
func openWrite(path string) string {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return errWord(err)
}

// chmodSame sets path's mode to what it already is: harmless if it
// succeeds, and it succeeds only on a writable mount.
func chmodSame(path string) string {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return errWord(err)
	}
	return errWord(unix.Chmod(path, st.Mode&0o7777))
}

func ptraceSeize(pid int) string {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, 0, 0, 0)
	return word(e)
}

// nosuid reports whether path's mount ignores setuid bits and file
// capabilities.
func nosuid(path string) string {
	var sfs unix.Statfs_t
	if err := unix.Statfs(path, &sfs); err != nil {
		return errWord(err)
	}
	if sfs.Flags&unix.ST_NOSUID != 0 {
		return "nosuid"
	}
	return "suid"
}

// plantSetuid makes a root-owned file setuid in a writable directory of
// the jail: the bit is stored on the host's filesystem.
func plantSetuid(dir string) string {
	p := filepath.Join(dir, "planted")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		return errWord(err)
	}
	defer os.Remove(p)
	if err := unix.Chmod(p, unix.S_ISUID|0o755); err != nil {
		return errWord(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return errWord(err)
	}
	if st.Mode&unix.S_ISUID == 0 {
		return "bit cleared"
	}
	return "ok"
}

// cgroupMount returns the mount point of the first mount of fstype
// (cgroup2, or cgroup for v1) in this mount namespace.
func cgroupMount(fstype string) (string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		_, post, ok := strings.Cut(line, " - ")
		f := strings.Fields(line)
		if ok && len(f) > 4 && strings.HasPrefix(post, fstype+" ") {
			return f[4], nil
		}
	}
	return "", syscall.ENOENT
}

// cgroupV1Writable probes (never writes) the top cgroup.procs of the first
// v1 hierarchy visible in the jail.
func cgroupV1Writable() string {
	mnt, err := cgroupMount("cgroup")
	if err != nil {
		return "no cgroupfs"
	}
	return errWord(unix.Faccessat(unix.AT_FDCWD, filepath.Join(mnt, "cgroup.procs"), unix.W_OK, 0))
}

// runCgroupMove moves this (child) process out of the jail's cgroup2
// directory, staying inside jailctl's own group: into the parent, or with
// -join into a sibling (another jail's cgroup). If the move works it binds
// -port: outside its cgroup the jail's port program no longer applies, and
// inside another jail's the host program takes it for that jail. The
// result is the move's error, else the bind's.
func runCgroupMove(args []string) error {
	fs := flag.NewFlagSet("cgmove", flag.ContinueOnError)
	port := fs.Int("port", 0, "a TCP port to bind after the move")
	join := fs.String("join", "", "a sibling cgroup to join instead of the parent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res := childResult{}
	mnt, err := cgroupMount("cgroup2")
	if err != nil {
		// Where the jail may mount (low keeps CAP_SYS_ADMIN), mount one.
		dir, derr := os.MkdirTemp("/tmp", "cg2-")
		if derr != nil {
			return derr
		}
		if unix.Mount("none", dir, "cgroup2", 0, "") != nil {
			res.Result = "no cgroupfs"
			return emit(res)
		}
		defer unix.Unmount(dir, unix.MNT_DETACH)
		mnt = dir
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err
	}
	var own string
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			own = p
		}
	}
	if own == "/" {
		// A cgroup namespace rooted at the jail's cgroup: nothing above
		// or beside it exists for the jail.
		res.Result = "contained"
		res.Detail = "cgroup namespace: the jail's cgroup is its /"
		return emit(res)
	}
	if own == "" {
		res.Result = "no cgroup2 path"
		return emit(res)
	}
	dest := filepath.Join(filepath.Dir(own), *join)
	f, err := os.OpenFile(filepath.Join(mnt, dest, "cgroup.procs"), os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte("0"))
		f.Close()
	}
	if err != nil {
		res.Result = errWord(err)
		return emit(res)
	}
	res.Result = bindSpec("tcp4:" + strconv.Itoa(*port))
	res.Detail = fmt.Sprintf("moved from cgroup %s to %s, then bound port %d: %s", own, dest, *port, res.Result)
	return emit(res)
}

// bindSpec binds a fresh socket to the wildcard address and closes it.
func bindSpec(spec string) string {
	kind, portS, ok := strings.Cut(spec, ":")
	port, err := strconv.Atoi(portS)
	if !ok || err != nil || port < 0 || port > 65535 {
		return "bad spec " + spec
	}
	var domain, typ int
	var sa unix.Sockaddr
	switch kind {
	case "tcp4", "udp4":
		domain, sa = unix.AF_INET, &unix.SockaddrInet4{Port: port}
	case "tcp6", "udp6":
		domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: port}
	default:
		return "bad spec " + spec
	}
	typ = unix.SOCK_STREAM
	if strings.HasPrefix(kind, "udp") {
		typ = unix.SOCK_DGRAM
	}
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "socket: " + errWord(err)
	}
	defer unix.Close(fd)
	return errWord(unix.Bind(fd, sa))
}
