package profile

// The seccomp filter is a small classic-BPF program assembled here rather
// than with github.com/elastic/go-seccomp-bpf: the deny list is short and
// fixed, the syscall numbers come from golang.org/x/sys/unix for the build
// architecture (no tables to maintain), and we need exact control of the
// argument checks (masked compares for mknod modes and socket types) and of
// the errno per syscall. The filter is pure data, so filter_linux_test.go
// runs it through a tiny interpreter without installing anything.

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Classic BPF opcodes used by the filter (linux/filter.h).
const (
	bpfLdAbsW = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfAndK   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	bpfJa     = unix.BPF_JMP | unix.BPF_JA
	bpfJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfJsetK  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	bpfRetK   = unix.BPF_RET | unix.BPF_K
)

// Offsets in struct seccomp_data. Arguments are 64-bit; the filter reads
// their low 32 bits (both supported architectures are little-endian), which
// is all the kernel looks at for every argument checked here: clone and
// unshare flags are truncated to 32 bits or rejected above them, and socket
// domain/type and mknod mode are int/umode_t.
const (
	offNr   = 0
	offArch = 4
)

func offArgLow(i int) uint32 { return 16 + 8*uint32(i) }

// errnos names the errors a rule may return.
var errnos = map[string]unix.Errno{"EPERM": unix.EPERM, "ENOSYS": unix.ENOSYS}

// asm assembles a program with symbolic jump targets ("" = next insn).
type asm struct {
	insns  []unix.SockFilter
	fixes  []fix
	labels map[string]int
	n      int
}

type fix struct {
	at     int
	jt, jf string
}

func (a *asm) emit(code uint16, k uint32) {
	a.insns = append(a.insns, unix.SockFilter{Code: code, K: k})
}

func (a *asm) jump(code uint16, k uint32, jt, jf string) {
	a.fixes = append(a.fixes, fix{at: len(a.insns), jt: jt, jf: jf})
	a.emit(code, k)
}

func (a *asm) label(name string) { a.labels[name] = len(a.insns) }

func (a *asm) fresh() string {
	a.n++
	return fmt.Sprintf(".L%d", a.n)
}

func (a *asm) resolve() ([]unix.SockFilter, error) {
	off := func(at int, name string) (int, error) {
		if name == "" {
			return 0, nil
		}
		t, ok := a.labels[name]
		if !ok {
			return 0, fmt.Errorf("undefined label %q", name)
		}
		return t - at - 1, nil
	}
	for _, f := range a.fixes {
		jt, err := off(f.at, f.jt)
		if err != nil {
			return nil, err
		}
		jf, err := off(f.at, f.jf)
		if err != nil {
			return nil, err
		}
		in := &a.insns[f.at]
		if in.Code == bpfJa {
			in.K = uint32(jt)
			continue
		}
		if jt < 0 || jt > 255 || jf < 0 || jf > 255 {
			return nil, fmt.Errorf("jump at %d out of range (%d, %d)", f.at, jt, jf)
		}
		in.Jt, in.Jf = uint8(jt), uint8(jf)
	}
	return a.insns, nil
}

// condGen emits a test that jumps to hit when the call must be denied and
// falls through otherwise.
type condGen func(a *asm, hit string)

// condition returns the argument check for "sys(cond)" entries of the
// rules table.
func condition(sys, cond string) (condGen, error) {
	switch {
	case cond == "CLONE_NEWUSER" && (sys == "clone" || sys == "unshare"):
		return func(a *asm, hit string) {
			a.emit(bpfLdAbsW, offArgLow(0))
			a.jump(bpfJsetK, unix.CLONE_NEWUSER, hit, "")
		}, nil
	case cond == "AF_PACKET" && sys == "socket":
		return func(a *asm, hit string) {
			a.emit(bpfLdAbsW, offArgLow(0))
			a.jump(bpfJeqK, unix.AF_PACKET, hit, "")
		}, nil
	case cond == "AF_INET*,SOCK_RAW|SOCK_PACKET" && sys == "socket":
		return rawInet, nil
	case cond == "not "+confinedFamilies && sys == "socket":
		return unconfinedFamily, nil
	case cond == "S_IFCHR|S_IFBLK" && (sys == "mknod" || sys == "mknodat"):
		arg := 1
		if sys == "mknodat" {
			arg = 2
		}
		return func(a *asm, hit string) {
			a.emit(bpfLdAbsW, offArgLow(arg))
			a.emit(bpfAndK, unix.S_IFMT)
			a.jump(bpfJeqK, unix.S_IFCHR, hit, "")
			a.jump(bpfJeqK, unix.S_IFBLK, hit, "")
		}, nil
	}
	return nil, fmt.Errorf("no seccomp condition %q for %s", cond, sys)
}

// rawInet denies socket(AF_INET or AF_INET6, SOCK_RAW or SOCK_PACKET);
// the type's low 4 bits are the type, the rest SOCK_NONBLOCK/SOCK_CLOEXEC.
func rawInet(a *asm, hit string) {
	inet, out := a.fresh(), a.fresh()
	a.emit(bpfLdAbsW, offArgLow(0))
	a.jump(bpfJeqK, unix.AF_INET, inet, "")
	a.jump(bpfJeqK, unix.AF_INET6, inet, out)
	a.label(inet)
	a.emit(bpfLdAbsW, offArgLow(1))
	a.emit(bpfAndK, 0xf)
	a.jump(bpfJeqK, unix.SOCK_RAW, hit, "")
	a.jump(bpfJeqK, unix.SOCK_PACKET, hit, "")
	a.label(out)
}

// confinedFamilies are the address families whose sockets a network
// namespace confines (or that never leave the host's kernel: unix sockets
// live in the file system or the network namespace's abstract space).
const confinedFamilies = "AF_UNIX|AF_INET|AF_INET6|AF_NETLINK"

// unconfinedFamily denies socket() of every other family: AF_VSOCK shares
// the host's port space with the hypervisor whatever the namespace, and
// Bluetooth, X.25, AX.25, IEEE 802.15.4, AF_ALG and the rest are either
// bound to the host's network namespace or are host kernel surface no
// service of a jail needs. An allow list, so a family added to a future
// kernel is denied until it is looked at.
func unconfinedFamily(a *asm, hit string) {
	ok := a.fresh()
	a.emit(bpfLdAbsW, offArgLow(0))
	a.jump(bpfJeqK, unix.AF_UNIX, ok, "")
	a.jump(bpfJeqK, unix.AF_INET, ok, "")
	a.jump(bpfJeqK, unix.AF_INET6, ok, "")
	a.jump(bpfJeqK, unix.AF_NETLINK, ok, hit)
	a.label(ok)
}

// entry is one denied syscall of a profile.
type entry struct {
	name  string
	nr    uint32
	errno string
	conds []condGen // checked only when !plain
	plain bool      // deny whatever the arguments
}

// profileEntries resolves the rules of p to syscall numbers, sorted by
// number for a deterministic program.
func profileEntries(p Profile) ([]entry, error) {
	byName := map[string]*entry{}
	for e, list := range deniedSyscalls(p) {
		if _, ok := errnos[e]; !ok {
			return nil, fmt.Errorf("unknown errno %s in rules", e)
		}
		for _, s := range list {
			name, cond, _ := strings.Cut(strings.TrimSuffix(s, ")"), "(")
			nr, ok := sysnums[name]
			if !ok {
				if isAbsent(name) {
					continue
				}
				return nil, fmt.Errorf("no syscall number for %s on %s", name, runtime.GOARCH)
			}
			en := byName[name]
			if en == nil {
				en = &entry{name: name, nr: nr, errno: e}
				byName[name] = en
			}
			if cond == "" {
				en.plain, en.conds, en.errno = true, nil, e
				continue
			}
			if en.plain {
				continue
			}
			g, err := condition(name, cond)
			if err != nil {
				return nil, err
			}
			en.conds = append(en.conds, g)
		}
	}
	out := make([]entry, 0, len(byName))
	for _, en := range byName {
		out = append(out, *en)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].nr < out[j].nr })
	return out, nil
}

func isAbsent(name string) bool {
	for _, a := range absentSyscalls {
		if a == name {
			return true
		}
	}
	return false
}

func retLabel(errno string) string { return "ret_" + errno }

// buildFilter assembles the seccomp program of p.
func buildFilter(p Profile) ([]unix.SockFilter, error) {
	if nativeArch == 0 {
		return nil, fmt.Errorf("no seccomp syscall table for %s", runtime.GOARCH)
	}
	entries, err := profileEntries(p)
	if err != nil {
		return nil, err
	}
	a := &asm{labels: map[string]int{}}
	a.emit(bpfLdAbsW, offArch)
	a.jump(bpfJeqK, nativeArch, "", retLabel("ENOSYS"))
	a.emit(bpfLdAbsW, offNr)
	if x32Bit != 0 {
		a.jump(bpfJgeK, x32Bit, retLabel("ENOSYS"), "")
	}
	for _, en := range entries {
		target := retLabel(en.errno)
		if !en.plain {
			target = "sys_" + en.name
		}
		a.jump(bpfJeqK, en.nr, target, "")
	}
	a.emit(bpfRetK, unix.SECCOMP_RET_ALLOW)
	for _, en := range entries {
		if en.plain {
			continue
		}
		a.label("sys_" + en.name)
		for _, g := range en.conds {
			g(a, retLabel(en.errno))
		}
		a.emit(bpfRetK, unix.SECCOMP_RET_ALLOW)
	}
	names := make([]string, 0, len(errnos))
	for e := range errnos {
		names = append(names, e)
	}
	sort.Strings(names)
	for _, e := range names {
		a.label(retLabel(e))
		a.emit(bpfRetK, unix.SECCOMP_RET_ERRNO|uint32(errnos[e])&unix.SECCOMP_RET_DATA)
	}
	return a.resolve()
}

// installFilter loads prog on every thread of the process (TSYNC). The
// caller must have set no_new_privs or hold CAP_SYS_ADMIN.
func installFilter(prog []unix.SockFilter) error {
	if len(prog) == 0 {
		return errors.New("install seccomp filter: empty program")
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return fmt.Errorf("install seccomp filter: %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("install seccomp filter: thread %d could not be synchronised", r)
	}
	return nil
}
