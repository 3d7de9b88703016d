package kmod

// CheckMountPoint is checkMountPoint over Linux's base.
func CheckMountPoint(m Mount, root string) error { return checkMountPoint(m, root, LinuxBase) }
