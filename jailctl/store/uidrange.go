package store

import (
	"fmt"
	"slices"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/profile"
)

// DefaultUIDBase is where jails' uid ranges start unless the instance sets
// another base (JAILS_UID_BASE): far above the uids of users and of
// /etc/subuid's usual ranges (100000 and up, 65536 per user).
const DefaultUIDBase = 1 << 28

// UsesUserNS reports whether jails of profile p run in a user namespace:
// medium and high. low keeps the host's uids: its root holds
// CAP_SYS_ADMIN, which a user namespace would confine to the jail and so
// change what low is for (compatibility with software that administers a
// whole system).
func UsesUserNS(p string) bool { return p == string(profile.Medium) || p == string(profile.High) }

// resolveUserNS checks uid_base.
func (r *Resolved) resolveUserNS() error {
	if r.Def.UIDBase == 0 {
		return nil
	}
	rg := kmod.IDRange{Base: r.Def.UIDBase, Size: kmod.IDRangeSize}
	if err := rg.Valid(); err != nil {
		return err
	}
	if rg.Base < kmod.IDRangeSize {
		return fmt.Errorf("%d: want %d or more, above the host's own uids", rg.Base, kmod.IDRangeSize)
	}
	return nil
}

// UserNS is the jail's uid range, or nil when it runs without a user
// namespace.
func (r *Resolved) UserNS() *kmod.IDRange {
	if r.Def.UIDBase == 0 || !UsesUserNS(r.Def.Profile) {
		return nil
	}
	return &kmod.IDRange{Base: r.Def.UIDBase, Size: kmod.IDRangeSize}
}

// NextUIDBase allocates a uid range that overlaps no other jail's: the
// lowest free slot of IDRangeSize uids from base. Call it under the
// create lock (LockCreate), which orders every create of the instance.
func (s *Store) NextUIDBase(base uint32) (uint32, error) {
	names, err := s.Names()
	if err != nil {
		return 0, err
	}
	var used []uint32
	for _, n := range names {
		if r, err := LoadDef(s.DefPath(n)); err == nil && r.Def.UIDBase != 0 {
			used = append(used, r.Def.UIDBase)
		}
	}
	for b := uint64(base); b+kmod.IDRangeSize <= 1<<32-1; b += kmod.IDRangeSize {
		overlaps := slices.ContainsFunc(used, func(u uint32) bool {
			return uint64(u) < b+kmod.IDRangeSize && b < uint64(u)+kmod.IDRangeSize
		})
		if !overlaps {
			return uint32(b), nil
		}
	}
	return 0, fmt.Errorf("no free uid range of %d above %d", kmod.IDRangeSize, base)
}
