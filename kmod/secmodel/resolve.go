package secmodel

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotLoaded means security.models.jail does not exist: the secmodel_jail
// module is not loaded (modload secmodel_jail).
var ErrNotLoaded = errors.New("secmodel_jail kernel module not loaded")

// NetBSD's sysctl nodes are created at run time, so their MIB numbers are
// not stable: every call resolves the name with CTL_QUERY, one level at a
// time, like sysctlnametomib(3). The walk and the decoding live here, without
// a build tag, so they are tested on every system.

// sysctlNodeSize is sizeof(struct sysctlnode): NetBSD pads its pointer
// fields to 64 bits, so the size is the same on every port.
const sysctlNodeSize = 96

const (
	ctlQuery    = -2         // CTL_QUERY
	sysctlVers1 = 0x01000000 // SYSCTL_VERS_1, in sysctl_flags of a query
)

// sysctlNode is what the walk needs of a struct sysctlnode.
type sysctlNode struct {
	num  int32
	name string
}

// queryRequest is the "new" value of a CTL_QUERY: a sysctlnode that only
// states the version of the node layout the caller speaks.
func queryRequest() []byte {
	b := make([]byte, sysctlNodeSize)
	order.PutUint32(b, sysctlVers1)
	return b
}

// parseNodes decodes a CTL_QUERY answer: an array of struct sysctlnode with
// sysctl_flags at 0, sysctl_num at 4 and sysctl_name[32] at 8.
func parseNodes(b []byte) ([]sysctlNode, error) {
	if len(b)%sysctlNodeSize != 0 {
		return nil, fmt.Errorf("decode sysctl nodes: %d bytes is not a multiple of %d", len(b), sysctlNodeSize)
	}
	nodes := make([]sysctlNode, 0, len(b)/sysctlNodeSize)
	for off := 0; off < len(b); off += sysctlNodeSize {
		n := b[off : off+sysctlNodeSize]
		nodes = append(nodes, sysctlNode{
			num:  int32(order.Uint32(n[4:8])),
			name: cstring(n[8:40]),
		})
	}
	return nodes, nil
}

// resolveMIB turns a dotted name into a MIB, asking children for the nodes
// below each prefix.
func resolveMIB(name string, children func(mib []int32) ([]sysctlNode, error)) ([]int32, error) {
	var mib []int32
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return nil, fmt.Errorf("resolve sysctl %q: empty component", name)
		}
		nodes, err := children(mib)
		if err != nil {
			return nil, fmt.Errorf("resolve sysctl %q: %w", name, err)
		}
		found := false
		for _, n := range nodes {
			if n.name == part {
				mib = append(mib, n.num)
				found = true
				break
			}
		}
		if !found {
			if strings.HasPrefix(name, SysctlRoot) {
				return nil, fmt.Errorf("resolve sysctl %q: %w", name, ErrNotLoaded)
			}
			return nil, fmt.Errorf("resolve sysctl %q: no node %q", name, part)
		}
	}
	return mib, nil
}
