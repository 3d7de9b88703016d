package main

import (
	"os"

	"github.com/hashicorp/go-hclog"
)

// becomeReaper: NetBSD has no PID namespace and no subreaper, so outside
// the kernel's own init jinit reaps only its children; orphans of services
// go to the host's init. Say so once.
func becomeReaper(log hclog.Logger) bool {
	if os.Getpid() == 1 {
		return true
	}
	log.Warn("jinit is not PID 1 and NetBSD has no subreaper: orphans of services are reaped by the host's init")
	return false
}

// confineChildren: on NetBSD the profile is enforced by secmodel_jail for
// every process of the jail alike; jinit holds nothing extra to give up.
func confineChildren() error { return nil }
