package main

import "github.com/jailsproject/jails/kmod"

// runStage runs this process as a jail stage when the keeper or a teardown
// started it as one (kmod.StageMain: exec jinit in the jail, or kill the
// jail's processes); it then never returns.
func runStage() {
	if kmod.IsStage() {
		kmod.StageMain()
	}
}
