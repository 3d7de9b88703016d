package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// errnoOf reduces an error to its errno; an error without one (which the
// checks never produce) reports EIO so it cannot pass as success.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

func sys6(nr, a1, a2, a3, a4, a5, a6 uintptr) syscall.Errno {
	_, _, e := unix.Syscall6(nr, a1, a2, a3, a4, a5, a6)
	return e
}

func cstr(s string) uintptr {
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		panic(err) // constant strings without NUL
	}
	return uintptr(unsafe.Pointer(p))
}

func checkFinitModule(string) syscall.Errno {
	f, err := os.Open("/dev/null")
	if err != nil {
		return errnoOf(err)
	}
	defer f.Close()
	return errnoOf(unix.FinitModule(int(f.Fd()), "", 0))
}

func checkInitModule(string) syscall.Errno { return errnoOf(unix.InitModule(nil, "")) }

func checkDeleteModule(string) syscall.Errno {
	return errnoOf(unix.DeleteModule("jails_no_such_module", unix.O_NONBLOCK))
}

// checkReboot uses a wrong magic: past the capability check the kernel
// answers EINVAL and never looks at the command.
func checkReboot(string) syscall.Errno {
	return sys6(unix.SYS_REBOOT, 0x1234, 0x5678, unix.LINUX_REBOOT_CMD_POWER_OFF, 0, 0, 0)
}

// checkKexecLoad passes too many segments and an undefined flag, both
// EINVAL right after the permission check; zero segments would unload the
// host's kexec image instead.
func checkKexecLoad(string) syscall.Errno {
	return sys6(unix.SYS_KEXEC_LOAD, 0, 1<<20, 0, 0x8000, 0, 0)
}

func checkKexecFileLoad(string) syscall.Errno {
	return sys6(unix.SYS_KEXEC_FILE_LOAD, ^uintptr(0), ^uintptr(0), 0, 0, 0x80000000, 0)
}

// checkSettimeofday passes neither time nor zone: with CAP_SYS_TIME it is a
// no-op that returns 0; the clock is never changed.
func checkSettimeofday(string) syscall.Errno {
	return sys6(unix.SYS_SETTIMEOFDAY, 0, 0, 0, 0, 0, 0)
}

// checkClockSettime names a clock that does not exist (EINVAL when allowed).
func checkClockSettime(string) syscall.Errno {
	return sys6(unix.SYS_CLOCK_SETTIME, 1000, 0, 0, 0, 0, 0)
}

func checkSyslog(string) syscall.Errno {
	_, err := unix.Klogctl(unix.SYSLOG_ACTION_SIZE_BUFFER, nil)
	return errnoOf(err)
}

func checkSwapon(string) syscall.Errno {
	return sys6(unix.SYS_SWAPON, cstr("/jails-no-such-swap"), 0, 0, 0, 0, 0)
}

func checkSwapoff(string) syscall.Errno {
	return sys6(unix.SYS_SWAPOFF, cstr("/jails-no-such-swap"), 0, 0, 0, 0, 0)
}

func checkMountTmpfs(dir string) syscall.Errno {
	d := filepath.Join(dir, "mnt")
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return errnoOf(err)
	}
	defer os.Remove(d)
	if err := unix.Mount("jails-check", d, "tmpfs", 0, "size=4k"); err != nil {
		return errnoOf(err)
	}
	_ = unix.Unmount(d, unix.MNT_DETACH)
	return 0
}

func checkUmount(dir string) syscall.Errno {
	d := filepath.Join(dir, "plain")
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return errnoOf(err)
	}
	defer os.Remove(d)
	return errnoOf(unix.Unmount(d, 0))
}

func checkMknodChr(dir string) syscall.Errno {
	p := filepath.Join(dir, "null2")
	err := unix.Mknod(p, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
	if err == nil {
		os.Remove(p)
	}
	return errnoOf(err)
}

func checkMknodFifo(dir string) syscall.Errno {
	p := filepath.Join(dir, "fifo")
	err := unix.Mknod(p, unix.S_IFIFO|0o600, 0)
	if err == nil {
		os.Remove(p)
	}
	return errnoOf(err)
}

// checkChroot re-roots at the current root: harmless when allowed.
func checkChroot(string) syscall.Errno { return errnoOf(unix.Chroot("/")) }

func socketCheck(domain, typ, proto int) syscall.Errno {
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
	if err == nil {
		unix.Close(fd)
	}
	return errnoOf(err)
}

func checkRawSocket(string) syscall.Errno {
	return socketCheck(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
}

func checkPacketSocket(string) syscall.Errno { return socketCheck(unix.AF_PACKET, unix.SOCK_DGRAM, 0) }

// checkVsockSocket and checkAlgSocket: a kernel without the family
// answers EAFNOSUPPORT, reported as "not in this kernel".
func checkVsockSocket(string) syscall.Errno {
	return familyCheck(unix.AF_VSOCK, unix.SOCK_STREAM)
}

func checkAlgSocket(string) syscall.Errno { return familyCheck(unix.AF_ALG, unix.SOCK_SEQPACKET) }

func familyCheck(domain, typ int) syscall.Errno {
	if e := socketCheck(domain, typ, 0); e != syscall.EAFNOSUPPORT {
		return e
	}
	return syscall.ENOSYS
}

func checkNetlinkSocket(string) syscall.Errno {
	return socketCheck(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
}

func checkTCPSocket(string) syscall.Errno { return socketCheck(unix.AF_INET6, unix.SOCK_STREAM, 0) }

// checkUnshareUserns: a Go process has several threads, so an allowed call
// fails with EINVAL; it could only ever affect the calling process.
func checkUnshareUserns(string) syscall.Errno { return errnoOf(unix.Unshare(unix.CLONE_NEWUSER)) }

// checkCloneUserns adds flags the kernel rejects with EINVAL before any
// child exists (CLONE_NEWUSER with CLONE_FS, CLONE_THREAD without
// CLONE_SIGHAND), so a raw clone from Go is safe here.
func checkCloneUserns(string) syscall.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_CLONE,
		unix.CLONE_NEWUSER|unix.CLONE_FS|unix.CLONE_THREAD, 0, 0, 0, 0, 0)
	return e
}

// checkClone3 passes size 0 (EINVAL when allowed, no child).
func checkClone3(string) syscall.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
	return e
}

func checkSetns(string) syscall.Errno { return errnoOf(unix.Setns(-1, 0)) }

// checkBPF loads a program with no instructions (E2BIG once permitted).
func checkBPF(string) syscall.Errno {
	var attr [128]byte
	return sys6(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr[0])), uintptr(len(attr)), 0, 0, 0)
}

func checkPerfEventOpen(string) syscall.Errno {
	var attr [128]byte
	return sys6(unix.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(&attr[0])), 0, ^uintptr(0), ^uintptr(0), 0xffffffff, 0)
}

func checkKeyctl(string) syscall.Errno { return sys6(unix.SYS_KEYCTL, 9999, 0, 0, 0, 0, 0) }

func checkAddKey(string) syscall.Errno {
	ring := unix.KEY_SPEC_PROCESS_KEYRING // negative: convert at run time
	return sys6(unix.SYS_ADD_KEY, cstr(""), cstr("jails"), 0, 0, uintptr(ring), 0)
}

func checkRequestKey(string) syscall.Errno {
	return sys6(unix.SYS_REQUEST_KEY, cstr(""), cstr("jails"), 0, 0, 0, 0)
}

// checkOpenByHandle passes an empty handle (EINVAL once permitted).
func checkOpenByHandle(string) syscall.Errno {
	var h struct {
		bytes uint32
		typ   int32
		data  [8]byte
	}
	cwd := unix.AT_FDCWD
	return sys6(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(cwd), uintptr(unsafe.Pointer(&h)), unix.O_RDONLY, 0, 0, 0)
}

func checkAcct(string) syscall.Errno { return errnoOf(unix.Acct("/jails-no-such-acct")) }

// checkPtracePid1 opens PID 1's memory, which takes the same permission
// check as PTRACE_ATTACH, without stopping or reading anything.
func checkPtracePid1(string) syscall.Errno {
	fd, err := unix.Open("/proc/1/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return errnoOf(err)
}

// checkSysctlHostname writes the current hostname back: it belongs to the
// jail's UTS namespace and does not change.
func checkSysctlHostname(string) syscall.Errno {
	const p = "/proc/sys/kernel/hostname"
	cur, err := os.ReadFile(p)
	if err != nil {
		return errnoOf(err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return errnoOf(err)
	}
	defer f.Close()
	_, err = f.Write(cur)
	return errnoOf(err)
}

// checkSysWritable probes (never writes) the first root-writable sysfs
// file that exists.
func checkSysWritable(string) syscall.Errno {
	for _, p := range []string{"/sys/kernel/profiling", "/sys/kernel/mm/transparent_hugepage/enabled",
		"/sys/power/state"} {
		if e := probeWritable(p)(""); e != syscall.ENOENT {
			return e
		}
	}
	return syscall.ENOENT
}

// probeWritable asks access(W_OK): EROFS on a read-only mount; nothing is
// opened or written.
func probeWritable(path string) func(string) syscall.Errno {
	return func(string) syscall.Errno { return errnoOf(unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, 0)) }
}

// probePath reports Masked when path is /dev/null or an empty tmpfs, else
// the result of opening it read-only (without reading: /proc/kmsg would
// consume the host's kernel log).
func probePath(path string) func(string) syscall.Errno {
	return func(string) syscall.Errno {
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return errnoOf(err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFCHR:
			if st.Rdev == unix.Mkdev(1, 3) {
				return Masked
			}
		case unix.S_IFDIR:
			if emptyTmpfs(path) {
				return Masked
			}
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err == nil {
			unix.Close(fd)
		}
		return errnoOf(err)
	}
}

func emptyTmpfs(dir string) bool {
	var sfs unix.Statfs_t
	if unix.Statfs(dir, &sfs) != nil || sfs.Type != unix.TMPFS_MAGIC {
		return false
	}
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) == 0
}

func checkChownOther(dir string) syscall.Errno {
	p := filepath.Join(dir, "owned")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		return errnoOf(err)
	}
	defer os.Remove(p)
	return errnoOf(unix.Chown(p, 65534, 65534))
}

// ReadStatus returns the credentials of process pid (0: the caller).
func ReadStatus(pid int) (Status, error) {
	p := "/proc/self/status"
	if pid != 0 {
		p = filepath.Join("/proc", strconv.Itoa(pid), "status")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Status{}, err
	}
	return ParseStatus(string(b))
}
