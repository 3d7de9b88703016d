package profile

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// runFilter interprets the classic-BPF subset buildFilter emits over a
// seccomp_data built from nr, arch and args; it returns the action.
func runFilter(t *testing.T, prog []unix.SockFilter, nr, arch uint32, args [6]uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[0:], nr)
	binary.LittleEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[16+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case bpfLdAbsW:
			if in.K%4 != 0 || in.K+4 > uint32(len(data)) {
				t.Fatalf("pc %d: bad load offset %d", pc, in.K)
			}
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case bpfAndK:
			acc &= in.K
		case bpfJa:
			pc += int(in.K)
		case bpfJeqK, bpfJgeK, bpfJsetK:
			hit := map[uint16]bool{bpfJeqK: acc == in.K, bpfJgeK: acc >= in.K, bpfJsetK: acc&in.K != 0}[in.Code]
			if hit {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfRetK:
			return in.K
		default:
			t.Fatalf("pc %d: unexpected opcode %#x", pc, in.Code)
		}
	}
	t.Fatal("program fell off the end")
	return 0
}

const (
	actAllow  = unix.SECCOMP_RET_ALLOW
	actEPERM  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	actENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

type call struct {
	name string
	args [6]uint64
}

func c(name string, args ...uint64) call {
	var a [6]uint64
	copy(a[:], args)
	return call{name, a}
}

// filterCases: the action per profile (low, medium, high).
var filterCases = []struct {
	call call
	want [3]uint32
}{
	{c("finit_module"), [3]uint32{actEPERM, actEPERM, actEPERM}},
	{c("reboot"), [3]uint32{actEPERM, actEPERM, actEPERM}},
	{c("clock_settime"), [3]uint32{actEPERM, actEPERM, actEPERM}},
	{c("syslog"), [3]uint32{actEPERM, actEPERM, actEPERM}},
	{c("swapon"), [3]uint32{actEPERM, actEPERM, actEPERM}},
	{c("ioperm"), [3]uint32{actEPERM, actEPERM, actEPERM}},
	{c("mount"), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("open_tree"), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("chroot"), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("bpf"), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("keyctl"), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("setns"), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("clone3"), [3]uint32{actAllow, actENOSYS, actENOSYS}},
	{c("clone", unix.CLONE_VM|unix.CLONE_FS|unix.CLONE_THREAD), [3]uint32{actAllow, actAllow, actAllow}},
	{c("clone", unix.CLONE_NEWUSER|uint64(unix.SIGCHLD)), [3]uint32{actAllow, actEPERM, actEPERM}},
	// The kernel ignores the upper 32 bits of clone flags; so does the filter.
	{c("clone", uint64(0xffffffff00000000)|uint64(unix.SIGCHLD)), [3]uint32{actAllow, actAllow, actAllow}},
	{c("unshare", unix.CLONE_NEWNS|unix.CLONE_NEWUSER), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("unshare", unix.CLONE_NEWNS), [3]uint32{actAllow, actAllow, actAllow}},
	{c("socket", unix.AF_PACKET, unix.SOCK_RAW), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_INET6, unix.SOCK_RAW), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_INET, unix.SOCK_PACKET), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK), [3]uint32{actAllow, actAllow, actAllow}},
	{c("socket", unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP), [3]uint32{actAllow, actAllow, actAllow}},
	{c("socket", unix.AF_NETLINK, unix.SOCK_RAW), [3]uint32{actAllow, actAllow, actAllow}},
	{c("socket", unix.AF_UNIX, unix.SOCK_STREAM), [3]uint32{actAllow, actAllow, actAllow}},
	{c("socket", unix.AF_INET6, unix.SOCK_DGRAM), [3]uint32{actAllow, actAllow, actAllow}},
	// Families a network namespace does not confine (issue 17).
	{c("socket", unix.AF_VSOCK, unix.SOCK_STREAM), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_ALG, unix.SOCK_SEQPACKET), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_BLUETOOTH, unix.SOCK_RAW), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("socket", unix.AF_MAX+1, unix.SOCK_STREAM), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("mknodat", 0, 0, unix.S_IFCHR|0o600), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("mknodat", 0, 0, unix.S_IFBLK|0o600), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("mknodat", 0, 0, unix.S_IFIFO|0o600), [3]uint32{actAllow, actAllow, actAllow}},
	{c("mknodat", 0, 0, unix.S_IFSOCK|0o600), [3]uint32{actAllow, actAllow, actAllow}},
	{c("mknodat", 0, 0, unix.S_IFREG|0o600), [3]uint32{actAllow, actAllow, actAllow}},
	{c("mknod", 0, unix.S_IFCHR|0o600), [3]uint32{actAllow, actEPERM, actEPERM}},
	{c("mknod", 0, unix.S_IFIFO|0o600), [3]uint32{actAllow, actAllow, actAllow}},
}

func TestFilterDecisions(t *testing.T) {
	for pi, p := range Profiles {
		prog, err := buildFilter(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, tc := range filterCases {
			nr, ok := sysnums[tc.call.name]
			if !ok {
				continue // absent on this architecture
			}
			got := runFilter(t, prog, nr, nativeArch, tc.call.args)
			if got != tc.want[pi] {
				t.Errorf("%s: %s%v = %#x; want %#x", p, tc.call.name, tc.call.args, got, tc.want[pi])
			}
		}
	}
}

// Syscalls not in any rule pass; every other architecture, and x32, gets
// ENOSYS whatever the number.
func TestFilterArch(t *testing.T) {
	prog, err := buildFilter(High)
	if err != nil {
		t.Fatal(err)
	}
	for _, nr := range []uint32{unix.SYS_READ, unix.SYS_EXECVE, unix.SYS_PTRACE, unix.SYS_CLOCK_ADJTIME} {
		if got := runFilter(t, prog, nr, nativeArch, [6]uint64{}); got != actAllow {
			t.Errorf("nr %d = %#x; want allow", nr, got)
		}
	}
	for _, arch := range []uint32{unix.AUDIT_ARCH_I386, unix.AUDIT_ARCH_ARM, unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_AARCH64} {
		if arch == nativeArch {
			continue
		}
		if got := runFilter(t, prog, unix.SYS_READ, arch, [6]uint64{}); got != actENOSYS {
			t.Errorf("arch %#x = %#x; want ENOSYS", arch, got)
		}
	}
	if x32Bit != 0 {
		if got := runFilter(t, prog, x32Bit|unix.SYS_READ, nativeArch, [6]uint64{}); got != actENOSYS {
			t.Errorf("x32 read = %#x; want ENOSYS", got)
		}
	}
}

// Every syscall a rule names resolves on this architecture or is listed
// as absent, and the program stays within classic-BPF jump range.
func TestFilterBuilds(t *testing.T) {
	for _, p := range Profiles {
		prog, err := buildFilter(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(prog) > 4096 {
			t.Errorf("%s: %d instructions", p, len(prog))
		}
		t.Logf("%s: %d instructions", p, len(prog))
	}
}
