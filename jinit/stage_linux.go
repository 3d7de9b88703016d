package main

import (
	"runtime"

	"github.com/jailsproject/jails/kmod"
)

// stageArgs builds the jail when this process is a jail's first process
// (started by its keeper) and returns the command line jinit then runs
// with; ok is false for every other start.
func stageArgs() (args []string, ok bool) {
	if !kmod.IsStage() {
		return nil, false
	}
	args = kmod.Stage()
	// The stage ran on one P (kmod.Spawn); threads started from here on
	// are confined like this one.
	runtime.SetDefaultGOMAXPROCS()
	return args, true
}
