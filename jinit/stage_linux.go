package main

import "github.com/jailsproject/jails/kmod"

// stageArgs builds the jail when this process is a jail's first process
// (started by jailctl) and returns the command line jinit then runs
// with; ok is false for every other start.
func stageArgs() (args []string, ok bool) {
	if !kmod.IsStage() {
		return nil, false
	}
	return kmod.Stage(), true
}
