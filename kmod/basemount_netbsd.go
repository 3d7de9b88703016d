package kmod

// CheckMountPoint is checkMountPoint over NetBSD's base.
func CheckMountPoint(m Mount, root string) error { return checkMountPoint(m, root, NetBSDBase) }
