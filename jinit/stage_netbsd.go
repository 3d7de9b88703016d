package main

// stageArgs: on NetBSD the stage is a jailctl process that execs jinit
// inside the jail, so jinit never starts as one.
func stageArgs() (args []string, ok bool) { return nil, false }
