package profile

import "errors"

// errSecmodel explains why the Linux mechanisms are absent: on NetBSD the
// profiles are enforced by the secmodel_jail kernel module, which jailctl
// configures with the profile when it creates the jail.
var errSecmodel = errors.New("security profiles are enforced by secmodel_jail on NetBSD, not by this process")

// Apply is not used on NetBSD; it always fails.
func Apply(p Profile, opt Options) error { return errSecmodel }

// MaskPaths is not used on NetBSD; it always fails.
func MaskPaths(p Profile) error { return errSecmodel }

// CapMask has no meaning on NetBSD; it always fails.
func CapMask(names []string) (uint64, error) { return 0, errSecmodel }

// NarrowStageBounding has nothing to narrow on NetBSD.
func NarrowStageBounding(p Profile) {}
