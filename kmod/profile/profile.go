// Package profile implements the jail security profiles low, medium and high
// (DESIGN.md §5 "Isolation"). They mirror the reference deny tables: low takes
// away kernel-global operations, medium also mount, device nodes, chroot,
// sysctl writes, raw sockets and host network administration, and high (the
// default) leaves a jailed root with no capabilities and no way to regain them.
//
// On Linux a profile is a capability bounding set, locked securebits and
// no_new_privs (high), a seccomp filter (see rules) and a set of masked or
// read-only kernel interfaces (see masks). On NetBSD the same profiles are
// enforced by the secmodel_jail kernel module and this package only names them.
//
// The tables below are the single source of truth: the Linux implementation
// builds its capability sets, seccomp filter and mount table from them, and
// Table renders them for docs/SECURITY.md.
package profile

import (
	"fmt"
	"slices"
	"strings"
)

// Profile names a security profile.
type Profile string

// The profiles, from least to most restrictive.
const (
	Low    Profile = "low"
	Medium Profile = "medium"
	High   Profile = "high"
)

// Default is the profile of a jail that names none.
const Default = High

// Profiles lists every profile from least to most restrictive.
var Profiles = []Profile{Low, Medium, High}

// Parse turns a configured profile name into a Profile; "" means Default.
func Parse(s string) (Profile, error) {
	if s == "" {
		return Default, nil
	}
	p := Profile(s)
	if slices.Contains(Profiles, p) {
		return p, nil
	}
	return "", fmt.Errorf("unknown security profile %q (want low, medium or high)", s)
}

// rank orders profiles; an unknown profile ranks above high so that any
// rule applies to it (fail closed), but Apply refuses it anyway.
func (p Profile) rank() int {
	if i := slices.Index(Profiles, p); i >= 0 {
		return i
	}
	return len(Profiles)
}

// atLeast reports whether p is from or stricter than from.
func (p Profile) atLeast(from Profile) bool { return from != "" && p.rank() >= from.rank() }

// Options tunes Apply.
type Options struct {
	// Supervisor: the caller carries on in this process as the jail's
	// jinit. In high it keeps CAP_SETUID, CAP_SETGID and CAP_KILL
	// (permitted and effective, in no set a child inherits), so that it
	// can start services as other users and signal them; the services
	// still get exactly the profile. Lower profiles keep their own set.
	Supervisor bool
	// UserNS: the jail runs in a user namespace of its own, where
	// capabilities act only on its own uids, gids and processes. high
	// then leaves a jailed root UserNSCaps instead of nothing.
	UserNS bool
}

// SupervisorCaps are the capabilities jinit keeps with Supervisor.
// CAP_CHOWN and CAP_DAC_OVERRIDE are deliberately absent: jinit only opens
// and executes files owned by root (service directories, its own state) and
// hands services pipes, none of which needs them.
var SupervisorCaps = []string{"SETUID", "SETGID", "KILL"}

// UserNSCaps are what a jailed root keeps under high in a user namespace
// (Options.UserNS): change the owners and modes of, and override the
// permissions of, files its range owns (or that its idmapped mounts show
// as owned by its uids), become its own users and signal its own
// processes. To the host it stays an unprivileged uid, so stock daemons
// (a root master that chowns its directories and becomes www-data) run
// under high without any power over the host.
var UserNSCaps = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"}

// Row is one line of the documented profile table.
type Row struct {
	Operation string
	Mechanism string
	Low       string
	Medium    string
	High      string
}

// Result words used in the table.
const (
	allowed   = "allowed"
	deniedErr = "denied (EPERM)"
)

// rule is one kind of operation a profile takes away. A rule denies in its
// profile `from` and every stricter one.
type rule struct {
	op   string
	from Profile // "" for an informational row that never denies
	// caps are capability names (without CAP_) removed from the bounding,
	// permitted, effective, inheritable and ambient sets.
	caps []string
	// syscalls are denied by seccomp: "name" or "name(condition)"; the
	// conditions the Linux filter understands are listed in seccomp_linux.go.
	syscalls []string
	errno    string // seccomp errno, "EPERM" unless set
	note     string // extra words for the mechanism column
	// result is the table text when denied, if not "denied (<errno>)";
	// before is the text below `from`, if not "allowed".
	result, before string
}

// rules is the deny table. Keep it in the order of the reference table
// (netbsd-jails.md §2.3): kernel-global first, then the medium additions,
// then what only high takes away.
var rules = []rule{
	{op: "load or unload kernel modules", from: Low, caps: []string{"SYS_MODULE"},
		syscalls: []string{"init_module", "finit_module", "delete_module"}},
	{op: "reboot, power off, kexec", from: Low, caps: []string{"SYS_BOOT"},
		syscalls: []string{"reboot", "kexec_load", "kexec_file_load"}},
	{op: "set the system clock", from: Low, caps: []string{"SYS_TIME"},
		syscalls: []string{"settimeofday", "clock_settime"},
		note:     "adjtimex/clock_adjtime: capability only, so read-only queries keep working"},
	{op: "read or clear the kernel log (syslog, dmesg, /proc/kmsg)", from: Low, caps: []string{"SYSLOG"},
		syscalls: []string{"syslog"}, note: "/proc/kmsg masked"},
	{op: "raw I/O (iopl, ioperm, /dev/mem, /proc/kcore)", from: Low, caps: []string{"SYS_RAWIO"},
		syscalls: []string{"iopl", "ioperm"}, note: "/proc/kcore masked"},
	{op: "swap on/off", from: Low, syscalls: []string{"swapon", "swapoff"},
		note: "low keeps CAP_SYS_ADMIN, so seccomp is the barrier there"},
	{op: "mount, unmount, pivot_root (also the fsopen/open_tree mount API)", from: Medium,
		caps: []string{"SYS_ADMIN"},
		syscalls: []string{"mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount",
			"fspick", "open_tree", "open_tree_attr", "move_mount", "mount_setattr"}},
	{op: "create device nodes (mknod of char/block devices; FIFOs and sockets stay allowed)",
		from: Medium, caps: []string{"MKNOD"},
		syscalls: []string{"mknod(S_IFCHR|S_IFBLK)", "mknodat(S_IFCHR|S_IFBLK)"}},
	{op: "chroot", from: Medium, caps: []string{"SYS_CHROOT"}, syscalls: []string{"chroot"}},
	{op: "raw and packet sockets (netlink stays allowed)", from: Medium, caps: []string{"NET_RAW"},
		syscalls: []string{"socket(AF_PACKET)", "socket(AF_INET*,SOCK_RAW|SOCK_PACKET)"}},
	{op: "sockets of families a network namespace does not confine (AF_VSOCK shares the host's " +
		"port space; Bluetooth, AF_ALG, ...): only unix, inet, inet6 and netlink", from: Medium,
		syscalls: []string{"socket(not AF_UNIX|AF_INET|AF_INET6|AF_NETLINK)"}},
	{op: "host network configuration (interfaces, routes, firewall; the jail shares the host netns)",
		from: Medium, caps: []string{"NET_ADMIN"}, note: "no syscall to filter: netlink/ioctl check the capability"},
	{op: "eBPF programs and maps", from: Medium, caps: []string{"BPF"}, syscalls: []string{"bpf"}},
	{op: "perf events", from: Medium, caps: []string{"PERFMON"}, syscalls: []string{"perf_event_open"}},
	{op: "io_uring (operations submitted to a ring do not pass through seccomp)", from: Medium,
		syscalls: []string{"io_uring_setup", "io_uring_enter", "io_uring_register"}},
	{op: "kernel keyrings (keyctl, add_key, request_key)", from: Medium,
		syscalls: []string{"keyctl", "add_key", "request_key"}},
	{op: "create user namespaces (regain capabilities)", from: Medium,
		syscalls: []string{"unshare(CLONE_NEWUSER)", "clone(CLONE_NEWUSER)"}},
	{op: "clone3 (its flags are out of seccomp's reach; libc falls back to clone)", from: Medium,
		syscalls: []string{"clone3"}, errno: "ENOSYS"},
	{op: "join other namespaces (setns)", from: Medium, syscalls: []string{"setns"}},
	{op: "open files by handle (open_by_handle_at, the \"shocker\" escape)", from: Medium,
		caps: []string{"DAC_READ_SEARCH"}, syscalls: []string{"open_by_handle_at"}},
	{op: "process accounting (acct)", from: Medium, caps: []string{"SYS_PACCT"}, syscalls: []string{"acct"}},
	{op: "ptrace, process_vm_*, /proc/PID/mem of a process with more capabilities (in high: jinit) or another uid",
		from: Medium, caps: []string{"SYS_PTRACE"}, result: "denied (EPERM; EACCES for /proc/PID/mem)",
		note: "ptrace itself stays allowed for debugging: same uid, capability subset, inside the jail's pid namespace"},
	{op: "ptrace of processes outside the jail", result: "impossible (pid namespace)",
		before: "impossible (pid namespace)", note: "they are not visible in the jail's pid namespace"},
	{op: "sysctl writes (/proc/sys)", from: Medium, result: "denied (EROFS)",
		note: "/proc/sys bind-mounted read-only; modprobe, core_pattern, sysrq, printk read-only in low"},
	{op: "other host-global administration (scheduler priority, rlimit override, tty config, " +
		"immutable files, mlock, alarms, suspend, audit, MAC policy, checkpoint/restore)", from: Medium,
		caps: []string{"SYS_NICE", "SYS_RESOURCE", "SYS_TTY_CONFIG", "LINUX_IMMUTABLE", "IPC_LOCK",
			"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_CONTROL", "AUDIT_READ", "MAC_ADMIN", "MAC_OVERRIDE",
			"CHECKPOINT_RESTORE"}},
	{op: "any remaining capability for a jailed root", from: High,
		caps: []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
			"SETPCAP", "SETFCAP", "NET_BIND_SERVICE", "NET_BROADCAST", "IPC_OWNER", "LEASE", "AUDIT_WRITE"},
		note: "CapEff=CapPrm=CapInh=CapAmb=CapBnd=0 for services"},
	{op: "gain privileges on exec (setuid-root binaries, file capabilities, root exec)", from: High,
		result: "denied (no gain)", before: "allowed (bounded by the profile's capabilities)",
		note: "no_new_privs; SECBIT_NOROOT, NO_CAP_AMBIENT_RAISE, KEEP_CAPS and NO_SETUID_FIXUP locked"},
}

// knownCaps are the Linux capability names this table accounts for (up to
// CAP_CHECKPOINT_RESTORE, 40). A capability the kernel has beyond these is
// dropped in medium and high (fail closed) and kept in low.
var knownCaps = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// AllowedCaps lists the capabilities (names without CAP_, in kernel order)
// a root service keeps under p: for low and medium, root's exec gets exactly
// these (bounded further by what the host grants); high keeps none.
func AllowedCaps(p Profile) []string {
	var out []string
	for _, c := range knownCaps {
		if !deniedCap(p, c) {
			out = append(out, c)
		}
	}
	return out
}

func deniedCap(p Profile, name string) bool {
	for _, r := range rules {
		if p.atLeast(r.from) && slices.Contains(r.caps, name) {
			return true
		}
	}
	return false
}

// deniedSyscalls returns the seccomp entries for p, grouped by errno name.
func deniedSyscalls(p Profile) map[string][]string {
	out := map[string][]string{}
	for _, r := range rules {
		if !p.atLeast(r.from) || len(r.syscalls) == 0 {
			continue
		}
		e := r.errno
		if e == "" {
			e = "EPERM"
		}
		out[e] = append(out[e], r.syscalls...)
	}
	return out
}

// Table returns the documented profile table: the rules, then the masked
// and read-only kernel interfaces.
func Table() []Row {
	var rows []Row
	for _, r := range rules {
		rows = append(rows, r.row())
	}
	for _, m := range masks {
		rows = append(rows, m.row())
	}
	return rows
}

func (r rule) row() Row {
	var mech []string
	if len(r.caps) > 0 {
		mech = append(mech, "drop CAP_"+strings.Join(r.caps, ", CAP_"))
	}
	if len(r.syscalls) > 0 {
		e := r.errno
		if e == "" {
			e = "EPERM"
		}
		mech = append(mech, "seccomp "+strings.Join(r.syscalls, ", ")+" → "+e)
	}
	if r.note != "" {
		mech = append(mech, r.note)
	}
	denied, before := r.result, r.before
	if denied == "" {
		denied = deniedErr
		if r.errno != "" {
			denied = "denied (" + r.errno + ")"
		}
	}
	if before == "" {
		before = allowed
	}
	cell := func(p Profile) string {
		if p.atLeast(r.from) || (r.from == "" && r.result != "") {
			return denied
		}
		return before
	}
	return Row{Operation: r.op, Mechanism: strings.Join(mech, "; "),
		Low: cell(Low), Medium: cell(Medium), High: cell(High)}
}
