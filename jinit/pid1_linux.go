package main

import (
	"fmt"
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

// checkConfined refuses to start a jail's services unconfined: the stage
// has applied the jail's profile to this process (kmod.Stage), and every
// profile ends with a seccomp filter. jinit --jail started any other way
// fails here instead of handing services a host root.
func checkConfined() error {
	st, err := profile.ReadStatus(0)
	if err != nil {
		return fmt.Errorf("check the jail's profile: %w", err)
	}
	if st.Seccomp != 2 {
		return fmt.Errorf("check the jail's profile: jinit --jail is not confined (start jails with jailctl)")
	}
	return nil
}
