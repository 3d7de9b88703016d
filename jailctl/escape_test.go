//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/kmod/profile"
	"golang.org/x/sys/unix"
)

// The escape suite (issue 6): every attempt of kmod/profile's EscapeChecks
// plus the jail-level ones of testdata/escape, run as root (and some as
// uid 65534) inside one real jail per profile, started once. The observed
// results are compared with what each profile must give, and rendered into
// the generated table of docs/SECURITY.md, which must match this run (see
// securitydoc_test.go).

// escapeInJail is where the helper is mounted in the test jails.
const escapeInJail = "/opt/escape/escape"

var (
	escapeOnce sync.Once
	escapeDir  string
	escapeErr  error
)

// escapeHelper builds testdata/escape once, into a 0755 directory (inside
// TestMain's temporary directory, removed at exit) holding the program and
// a setuid-root copy and a copy with file capability cap_net_raw+ep (what
// ping has on many distributions), for --mount DIR:/opt/escape:ro.
func escapeHelper(t *testing.T) string {
	t.Helper()
	escapeOnce.Do(func() {
		dir := filepath.Join(filepath.Dir(jailctlBin), "escape")
		if escapeErr = os.Mkdir(dir, 0o755); escapeErr != nil {
			return
		}
		if escapeErr = os.Chmod(dir, 0o755); escapeErr != nil {
			return
		}
		prog := filepath.Join(dir, "escape")
		b := exec.Command("go", "build", "-o", prog, "./testdata/escape")
		b.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := b.CombinedOutput(); err != nil {
			escapeErr = fmt.Errorf("build testdata/escape: %v\n%s", err, out)
			return
		}
		if escapeErr = copyMode(prog, filepath.Join(dir, "escape-suid"), 0o755|os.ModeSetuid); escapeErr != nil {
			return
		}
		fcap := filepath.Join(dir, "escape-fcap")
		if escapeErr = copyMode(prog, fcap, 0o755); escapeErr != nil {
			return
		}
		if err := unix.Setxattr(fcap, "security.capability", netRawFileCap(), 0); err != nil {
			escapeErr = fmt.Errorf("set file capabilities on %s: %w", fcap, err)
			return
		}
		escapeDir = dir
	})
	if escapeErr != nil {
		t.Fatal(escapeErr)
	}
	return escapeDir
}

// netRawFileCap is the vfs_cap_data (revision 2) `setcap cap_net_raw=ep`
// writes.
func netRawFileCap() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000000|0x1) // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
	binary.LittleEndian.PutUint32(b[4:], 1<<unix.CAP_NET_RAW)
	return b
}

func copyMode(src, dst string, mode os.FileMode) error {
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

// report is the escape helper's output for the root and user roles.
type report struct {
	Status  profile.Status
	Results map[string]string
	Details map[string]string
}

// row is one line of the table: an attempt and the result word each
// profile must give ("a|b" accepts either; the first is the intended one).
type row struct {
	name, op, how string
	optional      bool // ENOENT or ENOSYS means "not in this kernel"
	want          map[profile.Profile]string
}

func lmh(l, m, h string) map[profile.Profile]string {
	return map[profile.Profile]string{profile.Low: l, profile.Medium: m, profile.High: h}
}

func same(w string) map[profile.Profile]string { return lmh(w, w, w) }

// errWord is the helper's result word for an errno.
func errWord(e syscall.Errno) string {
	switch e {
	case 0:
		return "ok"
	case profile.Masked:
		return "masked"
	}
	return unix.ErrnoName(e)
}

// mechanisms says what enforces each EscapeChecks entry; a new check needs
// an entry here before it can be tabled.
var mechanisms = map[string]string{
	"finit_module": "seccomp; CAP_SYS_MODULE dropped", "init_module": "seccomp; CAP_SYS_MODULE dropped",
	"delete_module": "seccomp; CAP_SYS_MODULE dropped", "reboot": "seccomp; CAP_SYS_BOOT dropped",
	"kexec_load": "seccomp; CAP_SYS_BOOT dropped", "kexec_file_load": "seccomp; CAP_SYS_BOOT dropped",
	"settimeofday": "seccomp; CAP_SYS_TIME dropped", "clock_settime": "seccomp; CAP_SYS_TIME dropped",
	"syslog": "seccomp; CAP_SYSLOG dropped", "ioperm": "seccomp; CAP_SYS_RAWIO dropped",
	"swapon": "seccomp (low keeps CAP_SYS_ADMIN)", "swapoff": "seccomp (low keeps CAP_SYS_ADMIN)",
	"proc_kcore": "/dev/null bound over it", "proc_kmsg": "/dev/null bound over it",
	"proc_sysrq_trigger":  "/dev/null bound over it",
	"sysctl_modprobe":     "read-only bind mount",
	"sysctl_core_pattern": "read-only bind mount; in a user namespace also owned by a uid the jail does not map",
	"mount_tmpfs":         "seccomp; CAP_SYS_ADMIN dropped", "umount": "seccomp; CAP_SYS_ADMIN dropped",
	"mknod_chr":      "seccomp (S_IFCHR, S_IFBLK); CAP_MKNOD dropped",
	"mknod_fifo":     "not restricted",
	"chroot":         "seccomp; CAP_SYS_CHROOT dropped",
	"raw_socket":     "seccomp; CAP_NET_RAW dropped",
	"packet_socket":  "seccomp; CAP_NET_RAW dropped",
	"vsock_socket":   "seccomp: only unix, inet, inet6 and netlink sockets",
	"alg_socket":     "seccomp: only unix, inet, inet6 and netlink sockets",
	"netlink_socket": "not restricted (CAP_NET_ADMIN dropped in medium and high)",
	"tcp_socket":     "not restricted",
	"unshare_userns": "seccomp", "clone_userns": "seccomp",
	"clone3":            "seccomp (ENOSYS: libc falls back to clone, whose flags seccomp can see)",
	"setns":             "seccomp",
	"bpf":               "seccomp; CAP_BPF dropped",
	"perf_event_open":   "seccomp; CAP_PERFMON dropped",
	"keyctl":            "seccomp",
	"add_key":           "seccomp",
	"request_key":       "seccomp",
	"open_by_handle_at": "seccomp; CAP_DAC_READ_SEARCH dropped",
	"acct":              "seccomp; CAP_SYS_PACCT dropped",
	"ptrace_pid1":       "ptrace access check; jinit and a root service hold the same capabilities (high: over the jail's user namespace only)",
	"sysctl_hostname":   "/proc/sys read-only bind mount; in a user namespace also owned by a uid the jail does not map",
	"sys_writable":      "a fresh read-only sysfs (made by jailctl for a user namespace sharing the host's network); in a user namespace also owned by uids the jail does not map",
	"proc_keys":         "/dev/null bound over it", "proc_timer_list": "/dev/null bound over it",
	"proc_acpi": "empty read-only tmpfs", "sys_firmware": "empty read-only tmpfs",
	"chown_other": "low: host root; medium, high: CAP_CHOWN over the jail's own user namespace only",
}

// jailOverrides are results that differ in a real jail from the profile's
// own expectation, and why.
var jailOverrides = map[string]map[profile.Profile]string{
	// The stage mounts a fresh sysfs read-only in every profile; in a user
	// namespace the owner check (host root is not the jail's) comes first.
	"sys_writable":        {profile.Low: "EROFS", profile.Medium: "EACCES", profile.High: "EACCES"},
	"sysctl_core_pattern": {profile.Medium: "EACCES", profile.High: "EACCES"},
	"sysctl_hostname":     {profile.Medium: "EACCES", profile.High: "EACCES"},
	// In its user namespace a high jail's root keeps CAP_CHOWN over its
	// own uids, and holds what jinit holds.
	"chown_other": {profile.High: "ok"},
	"ptrace_pid1": {profile.High: "ok"},
}

// lowCgroup: low keeps CAP_SYS_ADMIN, so it could remount a read-only
// cgroupfs or mount its own; the cgroup rows are no boundary there and
// accept either result.
const lowCgroup = "EROFS|ok|no cgroupfs"

// jailRows are the attempts that only make sense in a real jail; they are
// placed after the EscapeChecks entry named by after ("" = at the end).
var jailRows = []struct {
	after string
	row
}{
	{"umount", row{name: "pivot_root", op: "pivot_root(no such dir)", how: "seccomp; CAP_SYS_ADMIN dropped",
		want: lmh("ENOENT", "EPERM", "EPERM")}},
	{"chroot", row{name: "chroot_escape", op: "chroot escape: chroot(subdir), chdir(\"..\") × 64, chroot(\".\")",
		how:  "pivot_root with the old root detached: nothing above the jail's root; chroot as above",
		want: lmh("contained", "EPERM", "EPERM")}},
	{"clone_userns", row{name: "userns_regain", op: "clone a child into a new user namespace (root mapped) to regain capabilities",
		how: "seccomp", want: lmh("ok", "EPERM", "EPERM")}},
	{"ptrace_pid1", row{name: "ptrace_host", op: "ptrace(PTRACE_SEIZE) of a host process", how: "pid namespace",
		want: same("ESRCH")}},
	{"ptrace_pid1", row{name: "kill_host", op: "kill(host process, 0)", how: "pid namespace", want: same("ESRCH")}},
	{"ptrace_pid1", row{name: "pid1_exe_write", op: "open jinit's binary for writing through /proc/1/exe",
		how:  "the kernel refuses writes to a running program; in a user namespace the binary's owner (host root) is not the jail's",
		want: lmh("ETXTBSY", "EACCES", "EACCES")}},
	{"ptrace_pid1", row{name: "pid1_exe_chmod", op: "chmod jinit's binary (to its own mode) through /proc/1/exe",
		how:  "jinit runs from a read-only copy of its binary; in a user namespace its owner is not the jail's",
		want: lmh("EROFS", "EPERM|EROFS", "EPERM|EROFS")}},
	{"", row{name: "setuid_exec", op: "uid 65534 execs a setuid-root binary (from a --mount)",
		how:  "every mount of a jail is nosuid; under high also no_new_privs and locked securebits",
		want: same("no gain")}},
	{"", row{name: "fcap_exec", op: "uid 65534 execs a binary with file capability cap_net_raw+ep (from a --mount)",
		how:  "every mount of a jail is nosuid, which also ignores file capabilities",
		want: same("no gain")}},
	{"", row{name: "setuid_base", op: "setuid and file-capability binaries of the base (/usr)",
		how:  "base mounted nosuid: they run, without privileges",
		want: same("nosuid")}},
	{"", row{name: "setuid_plant", op: "make a root-owned file setuid in a writable directory",
		how: "not restricted (see the threat model)", want: same("ok")}},
	{"", row{name: "io_uring", op: "io_uring_setup", how: "seccomp in medium and high; not restricted in low (see the threat model)",
		want: lmh("ok", "EPERM", "EPERM")}},
	{"", row{name: "cgroup_move", op: "leave the jail's cgroup (write the parent's cgroup.procs; in low after mounting cgroup2), then bind a port no jail reserved",
		how:  "a cgroup namespace rooted at the jail's cgroup: no parent to leave for; medium, high: no cgroupfs, and no mount",
		want: lmh("contained", "no cgroupfs|contained", "no cgroupfs|contained")}},
	{"", row{name: "cgroup_join_other", op: "join another jail's cgroup (in low after mounting cgroup2), then bind that jail's reserved port",
		how:  "a cgroup namespace rooted at the jail's cgroup: no other jail's cgroup exists in it; medium, high: no cgroupfs",
		want: lmh("contained", "no cgroupfs|contained", "no cgroupfs|contained")}},
	{"", row{name: "cgroup_v1_writable", op: "access(W_OK) of a cgroup v1 hierarchy's cgroup.procs",
		how:  "a fresh read-only sysfs: no cgroup hierarchy is mounted in a jail",
		want: lmh(lowCgroup, "no cgroupfs|EROFS", "no cgroupfs|EROFS")}},
	{"", row{name: "bind_own", op: "bind the jail's own reserved TCP port", how: "eBPF bind4/bind6 on the jail's cgroup",
		want: same("ok")}},
	{"", row{name: "bind_zero", op: "bind port 0 (ephemeral)", how: "eBPF bind4/bind6 on the jail's cgroup",
		want: same("ok")}},
	{"", row{name: "bind_other", op: "bind another jail's reserved port", how: "eBPF: the other jail's program on the cgroup2 root",
		want: same("EACCES")}},
	{"", row{name: "bind_unreserved", op: "bind a port no jail reserved", how: "eBPF bind4/bind6 on the jail's cgroup",
		want: same("EACCES")}},
	{"", row{name: "bind_priv_root", op: "root binds the jail's own reserved privileged port (< 1024)",
		how:  "eBPF bind grant: the owning jail binds its own privileged ports without CAP_NET_BIND_SERVICE",
		want: same("ok")}},
	{"", row{name: "bind_own_user", op: "uid 65534 binds the jail's own reserved port (≥ 1024)",
		how: "eBPF: ownership is per jail, not per user", want: same("ok")}},
	{"", row{name: "bind_priv_user", op: "uid 65534 binds the jail's own reserved privileged port",
		how: "eBPF bind grant, per jail; other privileged ports keep the kernel's check", want: same("ok")}},
	{"", row{name: "autobind_other", op: "bind(0) with IP_LOCAL_PORT_RANGE set to just another jail's reserved port (in the ephemeral range)",
		how: "net.ipv4.ip_local_reserved_ports holds every reserved port while its jail runs", want: same("EADDRINUSE")}},
	{"", row{name: "connect_private", op: "connect to a host-private port (the collector's) on 127.0.0.1",
		how: "eBPF connect4/connect6 and sendmsg programs on the jail's cgroup", want: same("ECONNREFUSED")}},
	{"", row{name: "stray_fds", op: "find, as root, a descriptor the jail's starter leaked (a directory and a pipe, not close-on-exec) in any process of the jail",
		how: "the stage closes every inherited descriptor; exec, apply and attach pass only stdio", want: same("none")}},
	{"", row{name: "stray_fds_user", op: "the same, as uid 65534",
		how: "the same", want: same("none")}},
	{"", row{name: "host_tty", op: "find a terminal of the host's devpts in any process of the jail while jailctl exec (no -t) runs on one",
		how: "without -t, jailctl relays stdio through pipes it owns", want: same("none")}},
	{"", row{name: "uid_map", op: "whose uids and gids the jail's are (/proc/self/uid_map)",
		how: "a user namespace per jail on a private range of host ids (medium, high)", want: lmh("host ids", "private range", "private range")}},
	{"", row{name: "abstract_root", op: "what a host abstract-socket server learns of the jail's root (SO_PEERCRED)",
		how: "user namespace: the jail's root is an unprivileged host uid", want: lmh("host root", "jail's own uid", "jail's own uid")}},
	{"", row{name: "abstract_user", op: "what it learns of the jail's uid 65534",
		how: "user namespace: the jail's uids are its own", want: lmh("host nobody", "jail's own uid", "jail's own uid")}},
	{"", row{name: "host_bind", op: "a host process (root) binds the jail's reserved port, IPv4",
		how: "eBPF bind4 on the cgroup2 root", want: same("EACCES")}},
	{"", row{name: "host_bind6", op: "a host process (root) binds the jail's reserved port, IPv6",
		how: "eBPF bind6 on the cgroup2 root", want: same("EACCES")}},
}

// tableRows assembles the table: root's capabilities, EscapeChecks in order
// with the jail rows after their anchors, then the other jail rows.
func tableRows(t *testing.T, hostBnd uint64) []row {
	t.Helper()
	capsWant := map[profile.Profile]string{}
	for _, p := range profile.Profiles {
		m, err := profile.CapMask(profile.AllowedCaps(p))
		if err != nil {
			t.Fatal(err)
		}
		if p == profile.High {
			// In its user namespace (profile.Options.UserNS).
			if m, err = profile.CapMask(profile.UserNSCaps); err != nil {
				t.Fatal(err)
			}
		}
		capsWant[p] = capsWord(m & hostBnd)
	}
	rows := []row{{name: "caps", want: capsWant,
		op:  fmt.Sprintf("effective capabilities of a jailed root (the host has %d)", bits.OnesCount64(hostBnd)),
		how: "bounding, permitted, effective, inheritable and ambient sets"}}
	for _, c := range profile.EscapeChecks {
		how, ok := mechanisms[c.Name]
		if !ok {
			t.Errorf("EscapeChecks entry %q has no mechanism text in escape_test.go", c.Name)
		}
		r := row{name: c.Name, op: c.Op, how: how, optional: c.Optional, want: map[profile.Profile]string{}}
		for _, p := range profile.Profiles {
			r.want[p] = errWord(c.Expect[p])
			if o, ok := jailOverrides[c.Name][p]; ok {
				r.want[p] = o
			}
		}
		rows = append(rows, r)
		for _, j := range jailRows {
			if j.after == c.Name {
				rows = append(rows, j.row)
			}
		}
	}
	for _, j := range jailRows {
		if j.after == "" {
			rows = append(rows, j.row)
		}
	}
	return rows
}

func capsWord(m uint64) string { return strconv.Itoa(bits.OnesCount64(m)) + " caps" }

// runEscape runs the helper role in jail as user ("" = root).
func runEscape(h *host, jail, user string, args ...string) report {
	h.t.Helper()
	cmd := []string{"exec", jail}
	if user != "" {
		cmd = append(cmd, "-u", user)
	}
	out := h.must(append(append(cmd, "--", escapeInJail), args...)...)
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		h.t.Fatalf("escape helper in %s said %q: %v", jail, out, err)
	}
	return r
}

func TestEscapeSuite(t *testing.T) {
	h := newHost(t)
	dir := escapeHelper(t)
	self, err := profile.ReadStatus(0)
	if err != nil {
		t.Fatal(err)
	}
	// own ports of the low, medium and high jails, then one nobody reserves
	ps := freePorts(t, 4, 20000, 32000)
	priv := freePorts(t, 3, 900, 1000)
	lo, hi := ephemeralRange()
	eph := freePorts(t, 3, lo, hi)
	free := ps[3]
	private := listenLoopback(t)
	h.env = []string{"JAILS_HOST_PRIVATE_PORTS=" + strconv.Itoa(private) + ",9750"}
	strays := newStrays(t)
	peers := abstractServer(t)
	for i, p := range profile.Profiles {
		name := "esc-" + string(p)
		h.must("create", name, "--services", idleServices(t), "--profile", string(p), "--port", strconv.Itoa(ps[i]),
			"--port", strconv.Itoa(priv[i]), "--port", strconv.Itoa(eph[i]), "--mount", dir+":"+filepath.Dir(escapeInJail)+":ro")
		// Started by a caller holding a directory and a pipe without
		// close-on-exec (stray_fds).
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := h.runHolding(ctx, strays, "start", name).Wait(); err != nil {
			t.Fatalf("start %s: %v\n%s", name, err, h.console([]string{name}))
		}
		cancel()
	}
	got := map[profile.Profile]map[string]string{}
	details := map[profile.Profile]map[string]string{}
	for i, p := range profile.Profiles {
		jail := "esc-" + string(p)
		own, other := strconv.Itoa(ps[i]), strconv.Itoa(ps[(i+1)%3])
		otherJail := "esc-" + string(profile.Profiles[(i+1)%3])
		common := []string{"-strays", strays.flag(), "-abstract", peers.name}
		root := runEscapeOnTTY(h, jail, append(common, "-host-pid", strconv.Itoa(os.Getpid()), "-own", own,
			"-priv", strconv.Itoa(priv[i]), "-other", other, "-other-jail", otherJail, "-free", strconv.Itoa(free),
			"-other-eph", strconv.Itoa(eph[(i+1)%3]), "-private", strconv.Itoa(private))...)
		rootPeer := peers.next(t)
		user := runEscape(h, jail, "nobody", append([]string{"user", "-own", own, "-priv", strconv.Itoa(priv[i])}, common...)...)
		userPeer := peers.next(t)
		res := root.Results
		for k, v := range user.Results {
			res[k] = v
		}
		res["caps"] = capsWord(root.Status.CapEff)
		res["host_bind"] = hostBind("tcp4:" + own)
		res["host_bind6"] = hostBind("tcp6:" + own)
		rg := jailRange(h, jail)
		res["abstract_root"] = peerWord(rootPeer, rg)
		res["abstract_user"] = peerWord(userPeer, rg)
		got[p] = res
		details[p] = root.Details
		for k, v := range user.Details {
			details[p][k] = v
		}
	}
	rows := tableRows(t, self.CapBnd)
	checkRows(t, rows, got, details)
	checkDoc(t, renderTable(rows, got))
}

// checkRows compares every observed result with its row's expectation.
func checkRows(t *testing.T, rows []row, got, details map[profile.Profile]map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.name] = true
		for _, p := range profile.Profiles {
			w, ok := got[p][r.name]
			switch {
			case !ok:
				t.Errorf("%s: %s (%s) did not run", p, r.name, r.op)
			case matches(r, p, w):
			case !denied(r, w) && denied(r, wantFirst(r, p)):
				t.Errorf("SECURITY BUG: %s jail: %s (%s) = %q; want %s. %s", p, r.name, r.op, w, r.want[p],
					details[p][r.name])
			default:
				t.Errorf("%s jail: %s (%s) = %q; want %s. %s", p, r.name, r.op, w, r.want[p], details[p][r.name])
			}
		}
	}
	for _, p := range profile.Profiles {
		for name := range got[p] {
			if !seen[name] {
				t.Errorf("result %s of the %s jail has no row in the table", name, p)
			}
		}
	}
}
