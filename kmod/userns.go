package kmod

import "fmt"

// IDRange is a jail's private block of host uids and gids: inside its
// user namespace, uid and gid N are host uid and gid Base+N. Ranges of
// jails never overlap (jailctl/store allocates them), so no two jails,
// and no jail and the host, share an identity: for files, signals,
// abstract sockets, SO_PEERCRED and per-uid kernel quotas alike.
type IDRange struct {
	Base uint32 `json:"base"`
	Size uint32 `json:"size"`
}

// IDRangeSize is every jail's range: uids and gids 0..65535 inside, what
// a Debian system uses (nobody is 65534).
const IDRangeSize = 1 << 16

// Valid reports why r cannot be a jail's range, or nil.
func (r IDRange) Valid() error {
	if r.Size == 0 || r.Base == 0 {
		return fmt.Errorf("uid range %d+%d: base and size must not be 0 (host root)", r.Base, r.Size)
	}
	if uint64(r.Base)+uint64(r.Size) > 1<<32-1 {
		return fmt.Errorf("uid range %d+%d: beyond the last uid", r.Base, r.Size)
	}
	return nil
}

// Host is the host id of id inside the range's namespace.
func (r IDRange) Host(id uint32) uint32 { return r.Base + id }

// Contains reports whether host id h belongs to the range.
func (r IDRange) Contains(h uint32) bool { return h >= r.Base && h-r.Base < r.Size }

// detached is what the keeper prepares for a stage in a user namespace,
// sent with the spec as descriptors in this order: the new root's mount
// point, the base entries, the writable dirs, the extra mounts.
type detached struct {
	Base  []string          `json:"base"`            // base entries, each an idmapped read-only tree
	Links map[string]string `json:"links,omitempty"` // base entries that are symlinks, and their targets
}
