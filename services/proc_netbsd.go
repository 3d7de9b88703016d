package services

import "syscall"

// On NetBSD there is no PID namespace and no subreaper: orphans of a
// service go to the host's init, not to jinit, so jinit's own descendants
// are exactly the process groups it started (tracked by the engine). The
// rest of a jail's processes are found and killed through secmodel_jail by
// jailctl when the jail is torn down.
func killDescendants(sig syscall.Signal) {}

// anyDescendants: see killDescendants; the engine's process groups are
// the whole answer on NetBSD.
func anyDescendants() bool { return false }
