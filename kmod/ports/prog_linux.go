package ports

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// Offsets of the fields of struct bpf_sock_addr (uapi linux/bpf.h) we read.
const (
	offUserPort = 24 // __u32 user_port, network byte order in the low 16 bits
	offType     = 32 // __u32 type: SOCK_STREAM, SOCK_DGRAM, ...
	offProtocol = 36 // __u32 protocol: IPPROTO_UDP, ...
)

// Program verdicts for cgroup sock_addr programs. verdictGrant (bind hooks
// only: allow, and bit 1 = BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE) is what
// the jail program answers for the jail's own ports, and only there: a
// jail that reserved port 80 binds it without CAP_NET_BIND_SERVICE, and no
// other port gains anything.
const (
	verdictDeny  = 0
	verdictAllow = 1
	verdictGrant = 3
)

// license must be GPL-compatible only for gpl_only helpers; ours are not,
// but a compatible string keeps future helpers available.
const license = "Dual BSD/GPL"

// progKind selects which of the two programs to build.
type progKind int

const (
	// jailProg sits on the jail cgroup: jail sockets may bind own ports
	// (with the privileged-port check waived) and, unless allowOther, only
	// those.
	jailProg progKind = iota
	// hostProg sits on the cgroup2 root: only the jail may bind its ports.
	hostProg
	// privateProg sits on the jail cgroup's connect and sendmsg hooks: jail
	// sockets may not reach the host-private ports (the collector's).
	privateProg
)

func (k progKind) String() string {
	switch k {
	case jailProg:
		return "jail"
	case hostProg:
		return "host"
	}
	return "private"
}

// kernelFeatures are the optional helpers the programs use when present.
type kernelFeatures struct {
	setRetval   bool // bpf_set_retval (5.18): deny with EACCES, else EPERM
	netnsCookie bool // bpf_get_netns_cookie in sock_addr (5.7)
}

func probeFeatures() (kernelFeatures, error) {
	if err := features.HaveProgramType(ebpf.CGroupSockAddr); err != nil {
		return kernelFeatures{}, fmt.Errorf("probe cgroup sock_addr programs: %w", err)
	}
	if err := features.HaveProgramHelper(ebpf.CGroupSockAddr, asm.FnGetCurrentAncestorCgroupId); err != nil {
		return kernelFeatures{}, fmt.Errorf("probe bpf_get_current_ancestor_cgroup_id: %w", err)
	}
	var f kernelFeatures
	var err error
	if f.setRetval, err = haveHelper(asm.FnSetRetval); err != nil {
		return kernelFeatures{}, err
	}
	if f.netnsCookie, err = haveHelper(asm.FnGetNetnsCookie); err != nil {
		return kernelFeatures{}, err
	}
	return f, nil
}

// haveHelper turns a probe result into yes/no, failing on inconclusive ones.
func haveHelper(fn asm.BuiltinFunc) (bool, error) {
	err := features.HaveProgramHelper(ebpf.CGroupSockAddr, fn)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ebpf.ErrNotSupported):
		return false, nil
	}
	return false, fmt.Errorf("probe helper %s: %w", fn, err)
}

// progParams are the constants baked into one program.
type progParams struct {
	kind  progKind
	ports *ebpf.Map // hash: u32 proto<<16|port -> u8 (privateProg: the private ports)
	// allowOther: the jail program allows ports it does not own
	// (Options.AllowUnreserved) and only grants its own.
	allowOther bool
	// denyErrno is what a denial sets where the kernel can (bpf_set_retval).
	denyErrno unix.Errno
	level     int32  // jail cgroup level, for get_current_ancestor_cgroup_id
	jailID    uint64 // jail cgroup id
	netns     uint64 // host netns cookie; 0 = enforce in every netns
	feat      kernelFeatures
}

// newPortsMap creates a read-only-for-programs, frozen map of ports.
func newPortsMap(name string, own []Port) (*ebpf.Map, error) {
	m, err := ebpf.NewMap(&ebpf.MapSpec{
		Name:       name,
		Type:       ebpf.Hash,
		KeySize:    4,
		ValueSize:  1,
		MaxEntries: uint32(max(len(own), 1)),
		Flags:      unix.BPF_F_RDONLY_PROG,
	})
	if err != nil {
		return nil, fmt.Errorf("create ports map: %w", err)
	}
	for _, p := range own {
		if err := m.Put(portKey(p), uint8(1)); err != nil {
			m.Close()
			return nil, fmt.Errorf("add %s to ports map: %w", p, err)
		}
	}
	// Frozen: nobody, not even a holder of the fd, can change the set later.
	if err := m.Freeze(); err != nil {
		m.Close()
		return nil, fmt.Errorf("freeze ports map: %w", err)
	}
	return m, nil
}

// portKey is the map key the programs compute: proto<<16 | port.
func portKey(p Port) uint32 {
	return uint32(p.Proto)<<16 | uint32(p.Num)
}

// loadProgram builds and loads one program for attach type at.
func loadProgram(p progParams, at ebpf.AttachType) (*ebpf.Program, error) {
	hook := "_bind"
	if p.kind == privateProg {
		hook = "_conn"
	}
	name := "jails_" + p.kind.String() + hook // at most 15 bytes
	if p.kind == hostProg {
		name = hostName(p.jailID)
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         name,
		Type:         ebpf.CGroupSockAddr,
		AttachType:   at,
		Instructions: p.instructions(),
		License:      license,
	})
	if err != nil {
		return nil, fmt.Errorf("load %s program for %s: %w", p.kind, at, err)
	}
	return prog, nil
}

// instructions assembles the program; kmod/linux/README.md has it as C.
func (p progParams) instructions() asm.Instructions {
	// Sockets of other protocols (UDP-Lite, ...) have no reservable ports:
	// the host and private programs let them pass, the jail program
	// denies them unless it allows other ports.
	other := "deny"
	if p.kind != jailProg || p.allowOther {
		other = "allow"
	}
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1), // ctx, kept across calls
		asm.LoadMem(asm.R7, asm.R6, offUserPort, asm.Word),
		asm.HostTo(asm.BE, asm.R7, asm.Half), // ntohs
		asm.JEq.Imm(asm.R7, 0, "allow"),      // port 0: ephemeral
		asm.LoadMem(asm.R2, asm.R6, offType, asm.Word),
		asm.Mov.Imm(asm.R3, int32(TCP)),
		asm.JEq.Imm(asm.R2, unix.SOCK_STREAM, "key"),
		asm.LoadMem(asm.R2, asm.R6, offProtocol, asm.Word),
		asm.Mov.Imm(asm.R3, int32(UDP)),
		asm.JEq.Imm(asm.R2, unix.IPPROTO_UDP, "key"),
		asm.Ja.Label(other),
		asm.LSh.Imm(asm.R3, 16).WithSymbol("key"),
		asm.Or.Reg(asm.R3, asm.R7),
		asm.StoreMem(asm.RFP, -4, asm.R3, asm.Word),
		asm.LoadMapPtr(asm.R1, p.ports.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapLookupElem.Call(),
	}
	switch p.kind {
	case jailProg:
		insns = append(insns, asm.JNE.Imm(asm.R0, 0, "grant"), asm.Ja.Label(other))
	case hostProg:
		insns = append(insns, p.hostChecks()...)
	case privateProg:
		insns = append(insns, asm.JEq.Imm(asm.R0, 0, "allow"), asm.Ja.Label("deny"))
	}
	return append(insns, p.verdicts()...)
}

// hostChecks follow the map lookup in the host program: a reserved port
// stays free in other network namespaces (their own port space) and for
// processes of the jail itself; everyone else is denied.
func (p progParams) hostChecks() asm.Instructions {
	insns := asm.Instructions{asm.JEq.Imm(asm.R0, 0, "allow")} // not reserved
	if p.netns != 0 && p.feat.netnsCookie {
		insns = append(insns,
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.FnGetNetnsCookie.Call(),
			asm.LoadImm(asm.R1, int64(p.netns), asm.DWord),
			asm.JNE.Reg(asm.R0, asm.R1, "allow"), // another netns' port space
		)
	}
	return append(insns,
		asm.Mov.Imm(asm.R1, p.level),
		asm.FnGetCurrentAncestorCgroupId.Call(),
		asm.LoadImm(asm.R1, int64(p.jailID), asm.DWord),
		asm.JEq.Reg(asm.R0, asm.R1, "allow"), // the binder is in the jail
	)
}

// verdicts ends the program: "deny" sets denyErrno (EACCES by default)
// where the kernel can, else the kernel's default EPERM; "allow" lets the
// normal checks run; "grant" (jail program) also waives the privileged-port
// check.
func (p progParams) verdicts() asm.Instructions {
	errno := p.denyErrno
	if errno == 0 {
		errno = unix.EACCES
	}
	var insns asm.Instructions
	switch {
	case p.kind == jailProg && p.allowOther:
		// Nothing is denied; the verifier refuses unreachable code.
	case p.feat.setRetval:
		insns = asm.Instructions{
			asm.Mov.Imm(asm.R1, -int32(errno)).WithSymbol("deny"),
			asm.FnSetRetval.Call(),
			asm.Mov.Imm(asm.R0, verdictDeny),
			asm.Return(),
		}
	default:
		insns = asm.Instructions{asm.Mov.Imm(asm.R0, verdictDeny).WithSymbol("deny"), asm.Return()}
	}
	insns = append(insns,
		asm.Mov.Imm(asm.R0, verdictAllow).WithSymbol("allow"),
		asm.Return(),
	)
	if p.kind == jailProg {
		insns = append(insns, asm.Mov.Imm(asm.R0, verdictGrant).WithSymbol("grant"), asm.Return())
	}
	return insns
}
