package profile

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Check is one escape attempt with the result each profile must give. The
// profile tests run them in a throw-away namespace; the jail-level escape
// suite runs the same checks inside a real jail, and the doc generator
// lists them. Run performs exactly one attempt and returns its errno (0 when
// the attempt succeeded). Every attempt is built so that an unexpected
// success cannot affect the host: invalid magic or flags that fail right
// after the permission check, paths that do not exist, mounts and nodes
// only in dir (which lives in the jail's private mount namespace) and
// removed again, values written back unchanged into the jail's own UTS
// namespace, and interfaces that are opened or probed but never read or
// written.
type Check struct {
	Name string // stable identifier
	Op   string // what is attempted, for people
	// Expect is the errno per profile; Masked for a hidden path.
	Expect map[Profile]syscall.Errno
	// Optional checks need a kernel feature that may be absent; a result of
	// ENOENT or ENOSYS then means "not applicable" rather than a failure.
	Optional bool
	// Run makes the attempt as the current process. dir is an empty
	// directory owned by the caller, writable by it, in the jail's mount
	// namespace.
	Run func(dir string) syscall.Errno
}

// Masked is what a check returns when the path it probes is masked
// (/dev/null or an empty read-only tmpfs in its place).
const Masked = syscall.ENODATA

func all(e syscall.Errno) map[Profile]syscall.Errno {
	return map[Profile]syscall.Errno{Low: e, Medium: e, High: e}
}

func lmh(l, m, h syscall.Errno) map[Profile]syscall.Errno {
	return map[Profile]syscall.Errno{Low: l, Medium: m, High: h}
}

const (
	eperm  = syscall.EPERM
	enosys = syscall.ENOSYS
	erofs  = syscall.EROFS
)

// EscapeChecks lists the attempts, kernel-global operations first. The
// allowed results are what the kernel says after the permission check,
// e.g. EINVAL for the invalid reboot magic.
var EscapeChecks = []Check{
	{Name: "finit_module", Op: "finit_module(/dev/null)", Expect: all(eperm), Run: checkFinitModule},
	{Name: "init_module", Op: "init_module(empty image)", Expect: all(eperm), Run: checkInitModule},
	{Name: "delete_module", Op: "delete_module(no such module)", Expect: all(eperm), Run: checkDeleteModule},
	{Name: "reboot", Op: "reboot(invalid magic)", Expect: all(eperm), Run: checkReboot},
	{Name: "kexec_load", Op: "kexec_load(invalid flags)", Expect: all(eperm), Run: checkKexecLoad},
	{Name: "kexec_file_load", Op: "kexec_file_load(invalid flags)", Expect: all(eperm), Run: checkKexecFileLoad},
	{Name: "settimeofday", Op: "settimeofday(NULL, NULL)", Expect: all(eperm), Run: checkSettimeofday},
	{Name: "clock_settime", Op: "clock_settime(invalid clock)", Expect: all(eperm), Run: checkClockSettime},
	{Name: "syslog", Op: "syslog(SIZE_BUFFER)", Expect: all(eperm), Run: checkSyslog},
	{Name: "ioperm", Op: "ioperm(0, 0, off)", Expect: all(eperm), Optional: true, Run: checkIoperm},
	{Name: "swapon", Op: "swapon(no such file)", Expect: all(eperm), Run: checkSwapon},
	{Name: "swapoff", Op: "swapoff(no such file)", Expect: all(eperm), Run: checkSwapoff},
	{Name: "proc_kcore", Op: "open /proc/kcore", Expect: all(Masked), Optional: true, Run: probePath("/proc/kcore")},
	{Name: "proc_kmsg", Op: "open /proc/kmsg", Expect: all(Masked), Optional: true, Run: probePath("/proc/kmsg")},
	{Name: "proc_sysrq_trigger", Op: "stat /proc/sysrq-trigger", Expect: all(Masked), Optional: true,
		Run: probePath("/proc/sysrq-trigger")},
	{Name: "sysctl_modprobe", Op: "access(/proc/sys/kernel/modprobe, W_OK)", Expect: all(erofs), Optional: true,
		Run: probeWritable("/proc/sys/kernel/modprobe")},
	{Name: "sysctl_core_pattern", Op: "access(/proc/sys/kernel/core_pattern, W_OK)", Expect: all(erofs),
		Optional: true, Run: probeWritable("/proc/sys/kernel/core_pattern")},

	{Name: "mount_tmpfs", Op: "mount tmpfs", Expect: lmh(0, eperm, eperm), Run: checkMountTmpfs},
	{Name: "umount", Op: "umount2(not a mount point)", Expect: lmh(syscall.EINVAL, eperm, eperm), Run: checkUmount},
	{Name: "mknod_chr", Op: "mknod char device 1:3", Expect: lmh(0, eperm, eperm), Run: checkMknodChr},
	{Name: "mknod_fifo", Op: "mknod FIFO", Expect: all(0), Run: checkMknodFifo},
	{Name: "chroot", Op: "chroot(/)", Expect: lmh(0, eperm, eperm), Run: checkChroot},
	{Name: "raw_socket", Op: "socket(AF_INET, SOCK_RAW)", Expect: lmh(0, eperm, eperm), Run: checkRawSocket},
	{Name: "packet_socket", Op: "socket(AF_PACKET)", Expect: lmh(0, eperm, eperm), Run: checkPacketSocket},
	{Name: "vsock_socket", Op: "socket(AF_VSOCK, SOCK_STREAM)", Expect: lmh(0, eperm, eperm), Optional: true,
		Run: checkVsockSocket},
	{Name: "alg_socket", Op: "socket(AF_ALG, SOCK_SEQPACKET)", Expect: lmh(0, eperm, eperm), Optional: true,
		Run: checkAlgSocket},
	{Name: "netlink_socket", Op: "socket(AF_NETLINK, SOCK_RAW)", Expect: all(0), Run: checkNetlinkSocket},
	{Name: "tcp_socket", Op: "socket(AF_INET6, SOCK_STREAM)", Expect: all(0), Run: checkTCPSocket},
	{Name: "unshare_userns", Op: "unshare(CLONE_NEWUSER)", Expect: lmh(syscall.EINVAL, eperm, eperm),
		Run: checkUnshareUserns},
	{Name: "clone_userns", Op: "clone(CLONE_NEWUSER|invalid)", Expect: lmh(syscall.EINVAL, eperm, eperm),
		Run: checkCloneUserns},
	{Name: "clone3", Op: "clone3(size 0)", Expect: lmh(syscall.EINVAL, enosys, enosys), Run: checkClone3},
	{Name: "setns", Op: "setns(-1)", Expect: lmh(syscall.EBADF, eperm, eperm), Run: checkSetns},
	{Name: "bpf", Op: "bpf(BPF_PROG_LOAD, invalid)", Expect: lmh(syscall.E2BIG, eperm, eperm), Run: checkBPF},
	{Name: "perf_event_open", Op: "perf_event_open(invalid flags)", Expect: lmh(syscall.EINVAL, eperm, eperm),
		Run: checkPerfEventOpen},
	{Name: "keyctl", Op: "keyctl(invalid command)", Expect: lmh(syscall.EOPNOTSUPP, eperm, eperm), Run: checkKeyctl},
	{Name: "add_key", Op: "add_key(empty type)", Expect: lmh(syscall.EINVAL, eperm, eperm), Run: checkAddKey},
	{Name: "request_key", Op: "request_key(empty type)", Expect: lmh(syscall.EINVAL, eperm, eperm),
		Run: checkRequestKey},
	{Name: "open_by_handle_at", Op: "open_by_handle_at(empty handle)", Expect: lmh(syscall.EINVAL, eperm, eperm),
		Run: checkOpenByHandle},
	{Name: "acct", Op: "acct(no such file)", Expect: lmh(syscall.ENOENT, eperm, eperm), Run: checkAcct},
	{Name: "ptrace_pid1", Op: "open /proc/1/mem (ptrace attach check on jinit)",
		Expect: lmh(0, 0, syscall.EACCES), Run: checkPtracePid1},
	{Name: "sysctl_hostname", Op: "write /proc/sys/kernel/hostname (same value)", Expect: lmh(0, erofs, erofs),
		Run: checkSysctlHostname},
	{Name: "sys_writable", Op: "access(a /sys file, W_OK)", Expect: lmh(0, erofs, erofs), Optional: true,
		Run: checkSysWritable},
	{Name: "proc_keys", Op: "open /proc/keys", Expect: lmh(0, Masked, Masked), Optional: true,
		Run: probePath("/proc/keys")},
	{Name: "proc_timer_list", Op: "open /proc/timer_list", Expect: lmh(0, Masked, Masked), Optional: true,
		Run: probePath("/proc/timer_list")},
	{Name: "proc_acpi", Op: "open /proc/acpi", Expect: lmh(0, Masked, Masked), Optional: true,
		Run: probePath("/proc/acpi")},
	{Name: "sys_firmware", Op: "open /sys/firmware", Expect: lmh(0, Masked, Masked), Optional: true,
		Run: probePath("/sys/firmware")},

	{Name: "chown_other", Op: "chown a file to uid 65534", Expect: lmh(0, 0, eperm), Run: checkChownOther},
}

// Status is the credential part of /proc/PID/status.
type Status struct {
	Uid, Euid                              int
	CapInh, CapPrm, CapEff, CapBnd, CapAmb uint64
	NoNewPrivs                             bool
	Seccomp                                int // 0 none, 1 strict, 2 filter
}

// ParseStatus reads the fields of Status from the text of /proc/PID/status.
func ParseStatus(text string) (Status, error) {
	var s Status
	seen := 0
	for _, line := range strings.Split(text, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "Uid":
			f := strings.Fields(val)
			if len(f) < 2 {
				return Status{}, fmt.Errorf("parse status: bad Uid line %q", line)
			}
			if s.Uid, err = strconv.Atoi(f[0]); err == nil {
				s.Euid, err = strconv.Atoi(f[1])
			}
		case "CapInh":
			s.CapInh, err = strconv.ParseUint(val, 16, 64)
		case "CapPrm":
			s.CapPrm, err = strconv.ParseUint(val, 16, 64)
		case "CapEff":
			s.CapEff, err = strconv.ParseUint(val, 16, 64)
		case "CapBnd":
			s.CapBnd, err = strconv.ParseUint(val, 16, 64)
		case "CapAmb":
			s.CapAmb, err = strconv.ParseUint(val, 16, 64)
		case "NoNewPrivs":
			s.NoNewPrivs = val == "1"
		case "Seccomp":
			s.Seccomp, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return Status{}, fmt.Errorf("parse status: %s: %w", key, err)
		}
		seen++
	}
	if seen < 8 {
		return Status{}, fmt.Errorf("parse status: only %d of 8 fields present", seen)
	}
	return s, nil
}
