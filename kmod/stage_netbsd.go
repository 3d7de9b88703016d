package kmod

import (
	"fmt"
	"os"
)

// StageMain: on NetBSD the jail is entered through secmodel_jail, not a
// namespace stage; a process started as one exits with that error.
func StageMain() {
	fmt.Fprintln(os.Stderr, "jail stage: not used on NetBSD (jails are entered through secmodel_jail)")
	os.Exit(1)
}
