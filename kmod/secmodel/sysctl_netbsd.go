package secmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The decoder in resolve.go assumes this layout of struct sysctlnode.
var (
	_ [sysctlNodeSize - unsafe.Sizeof(unix.Sysctlnode{})]struct{}
	_ [unsafe.Sizeof(unix.Sysctlnode{}) - sysctlNodeSize]struct{}
)

// rawSysctl is sysctl(2): x/sys/unix only exposes reads by name, and the
// control nodes are written with a new value (and read back in one call).
// Buffers are heap slices, so the kernel writes into memory Go will not move.
func rawSysctl(mib []int32, old []byte, oldlen *uintptr, newv []byte) error {
	var oldp, newp unsafe.Pointer
	if len(old) > 0 {
		oldp = unsafe.Pointer(&old[0])
	}
	if len(newv) > 0 {
		newp = unsafe.Pointer(&newv[0])
	}
	_, _, e := unix.Syscall6(unix.SYS___SYSCTL,
		uintptr(unsafe.Pointer(&mib[0])), uintptr(len(mib)),
		uintptr(oldp), uintptr(unsafe.Pointer(oldlen)),
		uintptr(newp), uintptr(len(newv)))
	if e != 0 {
		return e
	}
	return nil
}

// children lists the nodes below mib with CTL_QUERY.
func children(mib []int32) ([]sysctlNode, error) {
	q := append(append([]int32(nil), mib...), ctlQuery)
	req := queryRequest()
	for range 4 {
		var n uintptr
		if err := rawSysctl(q, nil, &n, req); err != nil {
			return nil, fmt.Errorf("query sysctl nodes: %w", err)
		}
		buf := make([]byte, n+4*sysctlNodeSize) // room for nodes added meanwhile
		n = uintptr(len(buf))
		err := rawSysctl(q, buf, &n, req)
		if errors.Is(err, unix.ENOMEM) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("query sysctl nodes: %w", err)
		}
		return parseNodes(buf[:n])
	}
	return nil, fmt.Errorf("query sysctl nodes: %w", unix.ENOMEM)
}

func mibOf(name string) ([]int32, error) { return resolveMIB(name, children) }

// explain adds what an errno means for a control request.
func explain(err error) error {
	switch {
	case errors.Is(err, unix.EPROTO):
		return fmt.Errorf("%w (module ABI %s, ours %d): %w", ErrABI, moduleVersion(), ABIVersion, err)
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("only host root may do this, chrooted to enter: %w", err)
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("jail still has processes: %w", err)
	case errors.Is(err, unix.ENOENT):
		return fmt.Errorf("no such jail: %w", err)
	case errors.Is(err, unix.ENOSPC):
		return fmt.Errorf("no free jail id: %w", err)
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("%w: refused by the kernel: %w", ErrInvalid, err)
	}
	return err
}

func moduleVersion() string {
	v, err := Version()
	if err != nil {
		return "unknown"
	}
	return fmt.Sprint(v)
}

func readUint32(name string) (uint32, error) {
	mib, err := mibOf(name)
	if err != nil {
		return 0, err
	}
	b := make([]byte, 4)
	n := uintptr(len(b))
	if err := rawSysctl(mib, b, &n, nil); err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	if n != 4 {
		return 0, fmt.Errorf("read %s: %d bytes, want 4", name, n)
	}
	return order.Uint32(b), nil
}

func readUint64(name string) (uint64, error) {
	mib, err := mibOf(name)
	if err != nil {
		return 0, err
	}
	b := make([]byte, 8)
	n := uintptr(len(b))
	if err := rawSysctl(mib, b, &n, nil); err != nil {
		return 0, fmt.Errorf("read %s: %w", name, err)
	}
	if n != 8 {
		return 0, fmt.Errorf("read %s: %d bytes, want 8", name, n)
	}
	return order.Uint64(b), nil
}

// Version returns the ABI version of the loaded module (JAIL_ABI_VERSION).
func Version() (uint32, error) { return readUint32(SysctlVersion) }

// Create creates a jail and returns its id. A zero ABIVersion is filled in.
// A taken name or port comes back as a *ConflictError naming the owner.
func Create(req CreateRequest) (int32, error) {
	if req.ABIVersion == 0 {
		req.ABIVersion = ABIVersion
	}
	name := req.NameString()
	if err := req.Validate(); err != nil {
		return 0, fmt.Errorf("create jail %q: %w", name, err)
	}
	mib, err := mibOf(SysctlCreate)
	if err != nil {
		return 0, fmt.Errorf("create jail %q: %w", name, err)
	}
	out := make([]byte, binary.Size(CreateReply{}))
	n := uintptr(len(out))
	err = rawSysctl(mib, out, &n, req.Marshal())
	rep, derr := DecodeCreateReply(out)
	switch {
	case err == nil && derr != nil:
		return 0, fmt.Errorf("create jail %q: %w", name, derr)
	case err == nil:
		return rep.ID, nil
	case derr == nil && errors.Is(err, unix.EADDRINUSE):
		return 0, &ConflictError{Name: name, OwnerID: rep.ConflictID,
			Port: rep.ConflictPort, Proto: rep.ConflictProto, Err: err}
	case derr == nil && errors.Is(err, unix.EEXIST):
		return 0, &ConflictError{Name: name, OwnerID: rep.ConflictID, Err: err}
	}
	return 0, fmt.Errorf("create jail %q: %w", name, explain(err))
}

func writeID(node string, id int32) error {
	mib, err := mibOf(node)
	if err != nil {
		return err
	}
	req := IDRequest{ABIVersion: ABIVersion, ID: id}
	return rawSysctl(mib, nil, nil, req.Marshal())
}

// Destroy destroys a jail that has no processes (or zombies) left.
func Destroy(id int32) error {
	if err := writeID(SysctlDestroy, id); err != nil {
		return fmt.Errorf("destroy jail %d: %w", id, explain(err))
	}
	return nil
}

// Enter moves the calling process into jail id, for good. The caller must be
// host root and already chrooted; other threads follow at their next system
// call, so call it from a locked OS thread right before exec.
func Enter(id int32) error {
	if err := writeID(SysctlEnter, id); err != nil {
		return fmt.Errorf("enter jail %d: %w", id, explain(err))
	}
	return nil
}

// Self returns the calling process's jail id (0: the host).
func Self() (int32, error) {
	v, err := readUint32(SysctlID)
	return int32(v), err
}

// List returns the jails the caller may see (host: all; jailed: its own),
// with their telemetry.
func List() ([]Info, error) {
	mib, err := mibOf(SysctlList)
	if err != nil {
		return nil, fmt.Errorf("list jails: %w", err)
	}
	size := uintptr(binary.Size(Info{}))
	for range 8 {
		var n uintptr
		if err := rawSysctl(mib, nil, &n, nil); err != nil {
			return nil, fmt.Errorf("list jails: %w", err)
		}
		buf := make([]byte, n+4*size) // room for jails created meanwhile
		n = uintptr(len(buf))
		err := rawSysctl(mib, buf, &n, nil)
		if errors.Is(err, unix.ENOMEM) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list jails: %w", err)
		}
		return DecodeInfos(buf[:n])
	}
	return nil, fmt.Errorf("list jails: %w", unix.ENOMEM)
}

// ReadCounters returns the module's denial counters.
func ReadCounters() (Counters, error) {
	var c Counters
	for i, s := range ScopeNames {
		v, err := readUint64(SysctlCounters + "." + s)
		if err != nil {
			return c, err
		}
		c.Denied[i] = v
	}
	v, err := readUint64(SysctlCounters + ".log_suppressed")
	c.LogSuppressed = v
	return c, err
}
