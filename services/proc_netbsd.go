package services

import (
	"sync"
	"syscall"

	"github.com/jailsproject/jails/kmod/secmodel"
)

// On NetBSD there is no PID namespace and no subreaper: orphans of a
// service go to the host's init, not to jinit. The jail's processes are
// found through secmodel_jail instead. Inside a jail, the module lets a
// process signal only members of its own jail, so kill(-1) — every process
// the caller may signal, but itself — reaches exactly the rest of the
// jail, orphans included; and the module's list, which a jailed process
// reads for its own jail only, counts them.
//
// Outside a jail (jinit run by hand on a host) both do nothing: kill(-1)
// there would reach the whole host, and the engine's process groups are
// the whole answer.

var (
	jailOnce sync.Once
	jailID   int32 // the module's id of our jail; 0: not in one, or no module
)

// ownJail returns the jail this process is in. Membership never changes
// (there is no way out of a jail), so it is asked once.
func ownJail() int32 {
	jailOnce.Do(func() {
		if id, err := secmodel.Self(); err == nil && id > 0 {
			jailID = id
		}
	})
	return jailID
}

// killDescendants signals every other process of jinit's jail.
func killDescendants(sig syscall.Signal) {
	if ownJail() > 0 {
		syscall.Kill(-1, sig)
	}
}

// anyDescendants reports whether any process of the jail besides jinit is
// alive, from the module's count of live members. Zombies do not count:
// the reaper, or the host's init for orphans, collects them.
func anyDescendants() bool {
	id := ownJail()
	if id == 0 {
		return false
	}
	infos, err := secmodel.List()
	if err != nil {
		return false
	}
	for _, in := range infos {
		if in.ID == id {
			return in.NProcs > 1
		}
	}
	return false
}
