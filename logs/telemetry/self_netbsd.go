package telemetry

// selfRSS: NetBSD reports only the peak resident set (getrusage), which
// is not this figure; it is left out.
func selfRSS() (int64, bool) { return 0, false }

// selfFDs: without procfs mounted there is no cheap count; left out.
func selfFDs() (int, bool) { return 0, false }
