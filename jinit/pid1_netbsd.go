package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/kmod/secmodel"
)

// becomeReaper: NetBSD has no PID namespace and no subreaper. In a jail,
// orphans of services go to the host's init, which reaps them, and at
// shutdown every process of the jail is found through secmodel_jail
// (services/proc_netbsd.go), so nothing is lost. Outside a jail only
// jinit's own children are reaped here.
func becomeReaper(log hclog.Logger) bool {
	if os.Getpid() == 1 {
		return true
	}
	if id, err := secmodel.Self(); err == nil && id > 0 {
		log.Debug("in secmodel_jail jail: orphans are reaped by the host's init; leftovers are found through the module", "jail_id", id)
		return true
	}
	log.Warn("jinit is not PID 1 and NetBSD has no subreaper: orphans of services are reaped by the host's init")
	return false
}

// checkConfined: on NetBSD the profile is enforced by secmodel_jail for
// every process of the jail alike; jinit only checks that it runs in a
// jail at all: with --jail, services must never start unconfined, and the
// shutdown's kill(-1) relies on it.
func checkConfined() error {
	id, err := secmodel.Self()
	if err != nil {
		return fmt.Errorf("check the jail: %w", err)
	}
	if id == 0 {
		return fmt.Errorf("check the jail: this process is not in a secmodel_jail jail (start jails with jailctl)")
	}
	return nil
}
