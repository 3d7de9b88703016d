package main

// resetIgnoredSignals: on NetBSD the Go runtime installs its handler for
// every catchable signal, so no inherited SIG_IGN survives into jinit's
// children through it.
func resetIgnoredSignals() {}
