package profile

// Capabilities, securebits and no_new_privs are per-thread state in Linux,
// while a Go program runs on several threads. Every change here therefore
// goes through syscall.AllThreadsSyscall, which applies it to all threads of
// the process (it needs a CGO_ENABLED=0 build; with cgo it fails with
// ENOTSUP and we refuse rather than leave other threads privileged). Reads
// use the calling thread: all threads hold the same state.

import (
	"fmt"
	"math/bits"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Securebits (linux/securebits.h; not in x/sys/unix).
const (
	secbitNoRoot                 = 1 << 0
	secbitNoRootLocked           = 1 << 1
	secbitNoSetuidFixupLocked    = 1 << 3
	secbitKeepCapsLocked         = 1 << 5
	secbitNoCapAmbientRaise      = 1 << 6
	secbitNoCapAmbientRaiseLockd = 1 << 7
)

// highSecurebits makes root an ordinary user for capabilities (NOROOT: a
// root exec or setuid-root exec gains nothing) and locks it together with
// the bits a later CAP_SETPCAP holder could use to keep or re-raise
// capabilities: KEEP_CAPS and NO_SETUID_FIXUP locked off, ambient raising
// locked off. Ambient capabilities already set still pass through exec.
const highSecurebits = secbitNoRoot | secbitNoRootLocked | secbitNoSetuidFixupLocked |
	secbitKeepCapsLocked | secbitNoCapAmbientRaise | secbitNoCapAmbientRaiseLockd

// highUserNSSecurebits are high's in a user namespace: root's exec keeps
// what its bounding set (UserNSCaps) allows, so NOROOT is locked off;
// the rest as highSecurebits.
const highUserNSSecurebits = secbitNoRootLocked | secbitNoSetuidFixupLocked |
	secbitKeepCapsLocked | secbitNoCapAmbientRaise | secbitNoCapAmbientRaiseLockd

// capSet is one thread's permitted, effective and inheritable sets.
type capSet struct{ eff, prm, inh uint64 }

func capBit(c int) uint64 { return 1 << uint(c) }

func getCaps() (capSet, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var d [2]unix.CapUserData
	if err := unix.Capget(&hdr, &d[0]); err != nil {
		return capSet{}, fmt.Errorf("capget: %w", err)
	}
	join := func(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }
	return capSet{
		eff: join(d[0].Effective, d[1].Effective),
		prm: join(d[0].Permitted, d[1].Permitted),
		inh: join(d[0].Inheritable, d[1].Inheritable),
	}, nil
}

// setCaps sets c on every thread. All threads start from the same sets, so
// the call succeeds or fails alike everywhere (AllThreadsSyscall panics if
// threads disagree).
func setCaps(c capSet) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	d := [2]unix.CapUserData{
		{Effective: uint32(c.eff), Permitted: uint32(c.prm), Inheritable: uint32(c.inh)},
		{Effective: uint32(c.eff >> 32), Permitted: uint32(c.prm >> 32), Inheritable: uint32(c.inh >> 32)},
	}
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_CAPSET,
		uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&d[0])), 0)
	runtime.KeepAlive(&hdr)
	runtime.KeepAlive(&d)
	if e != 0 {
		return fmt.Errorf("capset eff=%#x prm=%#x inh=%#x: %w", c.eff, c.prm, c.inh, allThreadsErr(e))
	}
	return nil
}

// prctlAll runs prctl(op, a2, a3, 0, 0) on every thread.
func prctlAll(what string, op, a2, a3 uintptr) error {
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_PRCTL, op, a2, a3)
	if e != 0 {
		return fmt.Errorf("%s: %w", what, allThreadsErr(e))
	}
	return nil
}

func allThreadsErr(e syscall.Errno) error {
	if e == syscall.ENOTSUP {
		return fmt.Errorf("%w (per-thread credentials need a CGO_ENABLED=0 build)", e)
	}
	return e
}

// lastCap is the highest capability the kernel knows; read from the
// bounding set so that it works before /proc is mounted.
func lastCap() (int, error) {
	c := 0
	for ; c < 64; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err == unix.EINVAL {
			break
		} else if err != nil {
			return 0, fmt.Errorf("read bounding set: %w", err)
		}
	}
	if c == 0 {
		return 0, fmt.Errorf("read bounding set: no capabilities known")
	}
	return c - 1, nil
}

// dropBounding removes from the bounding set every capability up to last
// that is not in keep. CAP_SETPCAP, which the drop itself needs in the
// effective set, goes last. Capabilities already out of this thread's set
// (see NarrowStageBounding) cost no all-threads call.
func dropBounding(keep uint64, last int) error {
	drop := func(c int) error {
		return prctlAll(fmt.Sprintf("drop %s from the bounding set", capName(c)),
			unix.PR_CAPBSET_DROP, uintptr(c), 0)
	}
	have := func(c int) bool {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		return err != nil || in == 1 // unreadable: drop it to be sure
	}
	for c := 0; c <= last; c++ {
		if c != unix.CAP_SETPCAP && keep&capBit(c) == 0 && have(c) {
			if err := drop(c); err != nil {
				return err
			}
		}
	}
	if keep&capBit(unix.CAP_SETPCAP) == 0 && have(unix.CAP_SETPCAP) {
		return drop(unix.CAP_SETPCAP)
	}
	return nil
}

// stageCaps are what a jail's stage uses before it applies the profile:
// mounts, pivot_root and sethostname (SYS_ADMIN), /dev's nodes (MKNOD),
// reading a prepared root whatever its modes (DAC_OVERRIDE,
// DAC_READ_SEARCH, FOWNER), and the profile's own changes (SETPCAP).
var stageCaps = []string{"SYS_ADMIN", "MKNOD", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "SETPCAP"}

// NarrowStageBounding drops from the calling thread's bounding set every
// capability that neither the stage (stageCaps) nor the jail under p,
// jinit included, will hold. The keeper calls it on the locked thread
// that forks the stage: the bounding set is per thread and a child
// inherits its forking thread's, so the stage starts with a few
// capabilities to give up rather than forty, each of which costs Apply a
// stop of every thread. The thread keeps its effective set, and nothing
// execs from it again. Best effort: whatever is left, Apply drops.
func NarrowStageBounding(p Profile) {
	last, err := lastCap()
	if err != nil {
		return
	}
	allow, err := allowedMask(p, last)
	if err != nil {
		return
	}
	stage, _ := CapMask(stageCaps)
	keep := allow | stage | supervisorMask()
	for c := 0; c <= last; c++ {
		if keep&capBit(c) == 0 {
			if unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0) != nil {
				return
			}
		}
	}
}

// raiseAmbient clears the ambient set and raises the caps in set (they
// must be permitted and inheritable already).
func raiseAmbient(set uint64) error {
	if err := prctlAll("clear ambient capabilities", unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); err != nil {
		return err
	}
	for set != 0 {
		c := bits.TrailingZeros64(set)
		set &^= capBit(c)
		if err := prctlAll("raise ambient "+capName(c), unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c)); err != nil {
			return err
		}
	}
	return nil
}

// capByName maps the table's names to numbers (CAP_ prefix stripped).
var capByName = map[string]int{
	"CHOWN": unix.CAP_CHOWN, "DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE,
	"DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH, "FOWNER": unix.CAP_FOWNER,
	"FSETID": unix.CAP_FSETID, "KILL": unix.CAP_KILL, "SETGID": unix.CAP_SETGID,
	"SETUID": unix.CAP_SETUID, "SETPCAP": unix.CAP_SETPCAP,
	"LINUX_IMMUTABLE": unix.CAP_LINUX_IMMUTABLE, "NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE,
	"NET_BROADCAST": unix.CAP_NET_BROADCAST, "NET_ADMIN": unix.CAP_NET_ADMIN,
	"NET_RAW": unix.CAP_NET_RAW, "IPC_LOCK": unix.CAP_IPC_LOCK, "IPC_OWNER": unix.CAP_IPC_OWNER,
	"SYS_MODULE": unix.CAP_SYS_MODULE, "SYS_RAWIO": unix.CAP_SYS_RAWIO,
	"SYS_CHROOT": unix.CAP_SYS_CHROOT, "SYS_PTRACE": unix.CAP_SYS_PTRACE,
	"SYS_PACCT": unix.CAP_SYS_PACCT, "SYS_ADMIN": unix.CAP_SYS_ADMIN, "SYS_BOOT": unix.CAP_SYS_BOOT,
	"SYS_NICE": unix.CAP_SYS_NICE, "SYS_RESOURCE": unix.CAP_SYS_RESOURCE,
	"SYS_TIME": unix.CAP_SYS_TIME, "SYS_TTY_CONFIG": unix.CAP_SYS_TTY_CONFIG,
	"MKNOD": unix.CAP_MKNOD, "LEASE": unix.CAP_LEASE, "AUDIT_WRITE": unix.CAP_AUDIT_WRITE,
	"AUDIT_CONTROL": unix.CAP_AUDIT_CONTROL, "SETFCAP": unix.CAP_SETFCAP,
	"MAC_OVERRIDE": unix.CAP_MAC_OVERRIDE, "MAC_ADMIN": unix.CAP_MAC_ADMIN,
	"SYSLOG": unix.CAP_SYSLOG, "WAKE_ALARM": unix.CAP_WAKE_ALARM,
	"BLOCK_SUSPEND": unix.CAP_BLOCK_SUSPEND, "AUDIT_READ": unix.CAP_AUDIT_READ,
	"PERFMON": unix.CAP_PERFMON, "BPF": unix.CAP_BPF, "CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

func capName(c int) string {
	for n, v := range capByName {
		if v == c {
			return "CAP_" + n
		}
	}
	return fmt.Sprintf("cap %d", c)
}

// CapMask turns capability names (without CAP_) into a bit mask as shown
// in /proc/PID/status; unknown names are an error.
func CapMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		c, ok := capByName[n]
		if !ok {
			return 0, fmt.Errorf("unknown capability %q", n)
		}
		m |= capBit(c)
	}
	return m, nil
}

// allowedMask is the bounding set of p for a kernel whose last capability
// is last: the table's allowed names, plus (in low only) capabilities
// newer than the table.
func allowedMask(p Profile, last int) (uint64, error) {
	m, err := CapMask(AllowedCaps(p))
	if err != nil {
		return 0, err
	}
	if p == Low {
		for c := len(knownCaps); c <= last; c++ {
			m |= capBit(c)
		}
	}
	return m & (capBit(last+1) - 1), nil
}
