package main

// runStage: on Linux a jail's stage is the jinit binary (kmod.Stage), so
// jailctl never runs as one.
func runStage() {}
