package main

import (
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod/profile"
	"golang.org/x/sys/unix"
)

// becomeReaper makes jinit the reaper of its subtree: PID 1 of a PID
// namespace already is; anywhere else it registers as a child subreaper,
// so orphaned grandchildren are re-parented to it and reaped.
func becomeReaper(log hclog.Logger) bool {
	if os.Getpid() == 1 {
		return true
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		log.Warn("jinit is not PID 1 and cannot become a subreaper: orphans will not be reaped", "error", err)
		return false
	}
	return true
}

// confineChildren gives up, before any service starts, what the jail's
// profile let jinit keep for itself (capabilities to run services as other
// users), so that services get exactly the profile.
func confineChildren() error { return profile.DropForChildren() }
