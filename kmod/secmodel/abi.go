// Package secmodel is the userland client of the NetBSD secmodel_jail kernel
// module (kmod/netbsd): Go mirrors of the structs in kmod/netbsd/jail_abi.h,
// their encoding, and (sysctl_netbsd.go) the calls on the
// security.models.jail sysctl subtree. On other systems every call returns
// ErrNotSupported.
//
// The struct layouts are pinned by abi_test.go, which compiles jail_abi.h with
// the host C compiler and compares every offset and size with these types.
package secmodel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Constants of jail_abi.h.
const (
	ABIVersion = 1 // JAIL_ABI_VERSION

	NameMax  = 64 // JAIL_NAME_MAX: name buffer; names are 1..63 bytes
	PortsMax = 32 // JAIL_PORTS_MAX

	ProfileLow     = 0 // JAIL_PROFILE_LOW
	ProfileMedium  = 1 // JAIL_PROFILE_MEDIUM
	ProfileHigh    = 2 // JAIL_PROFILE_HIGH
	ProfileDefault = ProfileHigh

	FlagAnyPort = 0x1 // JAIL_FLAG_ANYPORT: may bind any unreserved port
	FlagsAll    = FlagAnyPort

	ProtoTCP = 0x1 // JAIL_PROTO_TCP
	ProtoUDP = 0x2 // JAIL_PROTO_UDP
	ProtoAll = ProtoTCP | ProtoUDP

	ScopeProcess = 0 // JAIL_SCOPE_*: indices of the denial counters
	ScopeSystem  = 1
	ScopeMachdep = 2
	ScopeDevice  = 3
	ScopeNetwork = 4
	NScopes      = 5
)

// sysctl names.
const (
	SysctlRoot     = "security.models.jail"
	SysctlVersion  = SysctlRoot + ".version"
	SysctlCreate   = SysctlRoot + ".create"
	SysctlDestroy  = SysctlRoot + ".destroy"
	SysctlEnter    = SysctlRoot + ".enter"
	SysctlID       = SysctlRoot + ".id"
	SysctlList     = SysctlRoot + ".list"
	SysctlCounters = SysctlRoot + ".counters"
)

// ScopeNames are the counters.* node names, in scope order.
var ScopeNames = [NScopes]string{"process", "system", "machdep", "device", "network"}

// Port is struct jail_port: one reserved port.
type Port struct {
	Port  uint16 // jp_port: 1..65535
	Proto uint8  // jp_proto: Proto* mask, not 0
	Pad   uint8  // jp_pad: 0
}

// CreateRequest is struct jail_create_req, written to security.models.jail.create.
type CreateRequest struct {
	ABIVersion uint32         // jc_abi_version
	Profile    uint32         // jc_profile
	Flags      uint32         // jc_flags
	NPorts     uint32         // jc_nports
	Name       [NameMax]byte  // jc_name: NUL-terminated, zero-filled
	Ports      [PortsMax]Port // jc_ports: unused slots zero
}

// CreateReply is struct jail_create_reply.
type CreateReply struct {
	ABIVersion    uint32 // jr_abi_version
	ID            int32  // jr_id
	ConflictID    int32  // jr_conflict_id
	ConflictPort  uint16 // jr_conflict_port
	ConflictProto uint8  // jr_conflict_proto
	Pad           uint8  // jr_pad
}

// IDRequest is struct jail_id_req, written to destroy and enter.
type IDRequest struct {
	ABIVersion uint32 // jd_abi_version
	ID         int32  // jd_id
}

// Info is struct jail_info, one element of security.models.jail.list.
type Info struct {
	ABIVersion   uint32         // ji_abi_version
	ID           int32          // ji_id
	Profile      uint32         // ji_profile
	Flags        uint32         // ji_flags
	Name         [NameMax]byte  // ji_name
	NPorts       uint32         // ji_nports
	NProcs       uint32         // ji_nprocs: live members
	NZombies     uint32         // ji_nzombies
	Pad0         uint32         // ji_pad0
	Ports        [PortsMax]Port // ji_ports
	CPUTicks     uint64         // ji_cpu_ticks: statclock ticks of live members
	ChildCPUUsec uint64         // ji_child_cpu_usec: reaped children, user+sys
	RSSPages     uint64         // ji_rss_pages
	Created      uint64         // ji_created: uptime seconds at creation
	Denied       uint64         // ji_denied: kauth denials of members
}

// Counters are the security.models.jail.counters.* nodes.
type Counters struct {
	Denied        [NScopes]uint64 // per scope, in ScopeNames order
	LogSuppressed uint64          // audit lines dropped by the rate limit
}

// Errors.
var (
	// ErrNotSupported is returned on every system but NetBSD.
	ErrNotSupported = errors.New("secmodel: NetBSD only")
	// ErrInvalid wraps every validation failure of a request.
	ErrInvalid = errors.New("invalid jail request")
	// ErrABI means a reply carries another ABI version than this package.
	ErrABI = errors.New("secmodel_jail ABI version mismatch")
)

// ConflictError explains a refused create: the name or a port is taken.
type ConflictError struct {
	Name    string // requested name
	OwnerID int32  // the jail holding the name or port
	Port    uint16 // 0: the name is taken
	Proto   uint8
	Err     error // the errno
}

func (e *ConflictError) Error() string {
	if e.Port == 0 {
		return fmt.Sprintf("jail name %q is used by jail %d", e.Name, e.OwnerID)
	}
	return fmt.Sprintf("port %d/%s is reserved by jail %d", e.Port, ProtoString(e.Proto), e.OwnerID)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// ProtoString names a Proto* mask: "tcp", "udp" or "tcp+udp".
func ProtoString(p uint8) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoAll:
		return "tcp+udp"
	default:
		return fmt.Sprintf("proto(%#x)", p)
	}
}

// NewCreateRequest builds and validates a create request.
func NewCreateRequest(name string, profile, flags uint32, ports []Port) (CreateRequest, error) {
	var r CreateRequest
	if len(name) >= NameMax {
		return r, fmt.Errorf("%w: name %q longer than %d bytes", ErrInvalid, name, NameMax-1)
	}
	if len(ports) > PortsMax {
		return r, fmt.Errorf("%w: %d reserved ports, at most %d", ErrInvalid, len(ports), PortsMax)
	}
	r.ABIVersion = ABIVersion
	r.Profile = profile
	r.Flags = flags
	r.NPorts = uint32(len(ports))
	copy(r.Name[:], name)
	copy(r.Ports[:], ports)
	if err := r.Validate(); err != nil {
		return CreateRequest{}, err
	}
	return r, nil
}

// NameString is the name up to its NUL.
func (r *CreateRequest) NameString() string { return cstring(r.Name[:]) }

// Validate applies the kernel's checks (jp_validate_create), so bad input is
// refused with a precise message before it reaches the kernel.
func (r *CreateRequest) Validate() error {
	if r.ABIVersion != ABIVersion {
		return fmt.Errorf("%w: abi_version %d, want %d", ErrInvalid, r.ABIVersion, ABIVersion)
	}
	if err := validateName(r.Name[:]); err != nil {
		return err
	}
	if r.Profile > ProfileHigh {
		return fmt.Errorf("%w: unknown profile %d", ErrInvalid, r.Profile)
	}
	if r.Flags&^FlagsAll != 0 {
		return fmt.Errorf("%w: unknown flags %#x", ErrInvalid, r.Flags&^FlagsAll)
	}
	return validatePorts(r)
}

// ValidName reports whether name is acceptable as a jail name.
func ValidName(name string) error {
	var b [NameMax]byte
	if len(name) >= NameMax {
		return fmt.Errorf("%w: name %q longer than %d bytes", ErrInvalid, name, NameMax-1)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("%w: name %q contains NUL", ErrInvalid, name)
	}
	copy(b[:], name)
	return validateName(b[:])
}

func nameByteOK(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

func validateName(b []byte) error {
	n := bytes.IndexByte(b, 0)
	if n < 0 {
		return fmt.Errorf("%w: name not NUL-terminated", ErrInvalid)
	}
	name := b[:n]
	if n == 0 {
		return fmt.Errorf("%w: empty name", ErrInvalid)
	}
	for _, c := range name {
		if !nameByteOK(c) {
			return fmt.Errorf("%w: name %q: only [A-Za-z0-9._-] allowed", ErrInvalid, name)
		}
	}
	if string(name) == "." || string(name) == ".." {
		return fmt.Errorf("%w: name %q", ErrInvalid, name)
	}
	for _, c := range b[n:] {
		if c != 0 {
			return fmt.Errorf("%w: bytes after the name's NUL", ErrInvalid)
		}
	}
	return nil
}

func validatePorts(r *CreateRequest) error {
	if r.NPorts > PortsMax {
		return fmt.Errorf("%w: %d reserved ports, at most %d", ErrInvalid, r.NPorts, PortsMax)
	}
	used := r.Ports[:r.NPorts]
	for i, p := range used {
		switch {
		case p.Port == 0:
			return fmt.Errorf("%w: reserved port 0", ErrInvalid)
		case p.Proto == 0 || p.Proto&^ProtoAll != 0:
			return fmt.Errorf("%w: port %d: bad protocol %#x", ErrInvalid, p.Port, p.Proto)
		case p.Pad != 0:
			return fmt.Errorf("%w: port %d: nonzero padding", ErrInvalid, p.Port)
		}
		for _, q := range used[:i] {
			if q.Port == p.Port && q.Proto&p.Proto != 0 {
				return fmt.Errorf("%w: duplicate reserved port %d/%s", ErrInvalid, p.Port,
					ProtoString(q.Proto&p.Proto))
			}
		}
	}
	for _, p := range r.Ports[r.NPorts:] {
		if p != (Port{}) {
			return fmt.Errorf("%w: unused port slot not zero", ErrInvalid)
		}
	}
	return nil
}

// NameString is the name up to its NUL.
func (i *Info) NameString() string { return cstring(i.Name[:]) }

// PortList is the reserved ports in use.
func (i *Info) PortList() []Port {
	n := min(int(i.NPorts), PortsMax)
	return append([]Port(nil), i.Ports[:n]...)
}

func cstring(b []byte) string {
	if n := bytes.IndexByte(b, 0); n >= 0 {
		b = b[:n]
	}
	return string(b)
}

// The kernel speaks host byte order.
var order = binary.NativeEndian

func encode(v any) []byte {
	var buf bytes.Buffer
	buf.Grow(binary.Size(v))
	// Writing a fixed-size struct to a bytes.Buffer cannot fail.
	if err := binary.Write(&buf, order, v); err != nil {
		panic(fmt.Sprintf("secmodel: encode %T: %v", v, err))
	}
	return buf.Bytes()
}

// Marshal encodes the request as the kernel reads it.
func (r *CreateRequest) Marshal() []byte { return encode(r) }

// Marshal encodes the request as the kernel reads it.
func (r *IDRequest) Marshal() []byte { return encode(r) }

// DecodeCreateRequest is the inverse of Marshal (it does not validate).
func DecodeCreateRequest(b []byte) (CreateRequest, error) {
	var r CreateRequest
	if err := decodeExact(b, &r); err != nil {
		return r, fmt.Errorf("decode create request: %w", err)
	}
	return r, nil
}

// DecodeCreateReply decodes the create node's old value.
func DecodeCreateReply(b []byte) (CreateReply, error) {
	var r CreateReply
	if err := decodeExact(b, &r); err != nil {
		return r, fmt.Errorf("decode create reply: %w", err)
	}
	if r.ABIVersion != ABIVersion {
		return r, fmt.Errorf("decode create reply: %w: version %d", ErrABI, r.ABIVersion)
	}
	return r, nil
}

// DecodeInfos decodes the list node: a whole number of jail_info structs.
func DecodeInfos(b []byte) ([]Info, error) {
	size := binary.Size(Info{})
	if len(b)%size != 0 {
		return nil, fmt.Errorf("decode jail list: %d bytes is not a multiple of %d", len(b), size)
	}
	infos := make([]Info, len(b)/size)
	for i := range infos {
		if err := decodeExact(b[i*size:(i+1)*size], &infos[i]); err != nil {
			return nil, fmt.Errorf("decode jail list entry %d: %w", i, err)
		}
		if v := infos[i].ABIVersion; v != ABIVersion {
			return nil, fmt.Errorf("decode jail list entry %d: %w: version %d", i, ErrABI, v)
		}
	}
	return infos, nil
}

func decodeExact(b []byte, v any) error {
	if want := binary.Size(v); len(b) != want {
		return fmt.Errorf("%d bytes, want %d", len(b), want)
	}
	return binary.Read(bytes.NewReader(b), order, v)
}
