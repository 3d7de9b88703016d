package services

import (
	"fmt"
	"strings"
)

// TailLines is how many of a failed service's last log lines a start
// error carries.
const TailLines = 10

// StartFailure is one service that did not come up, and why.
type StartFailure struct {
	Service string
	Cause   string   // "unknown user www-data", "exit 127: a program was not found", …
	Log     []string // its last log lines, oldest first
}

// StartError answers a wait-ready whose services did not all come up: the
// ones that failed (for good, or by dying before they settled) and the ones
// still not up when the wait timed out. Its message is what `jailctl start`
// prints, so the caller needs no formatting of its own.
type StartError struct {
	Failed  []StartFailure
	Pending []string // "name (phase)", only when the wait timed out
	Invalid []error  // service directories that could not be loaded
}

func (e *StartError) Error() string {
	var b strings.Builder
	var heads []string
	for _, f := range e.Failed {
		heads = append(heads, fmt.Sprintf("%s (%s)", f.Service, f.Cause))
	}
	switch {
	case len(heads) > 0:
		b.WriteString("services failed: " + strings.Join(heads, ", "))
	case len(e.Invalid) > 0:
		b.WriteString("invalid service directories")
	default:
		b.WriteString("services not ready in time: " + strings.Join(e.Pending, ", "))
	}
	for _, err := range e.Invalid {
		b.WriteString("\n  " + err.Error())
	}
	for _, f := range e.Failed {
		if len(f.Log) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: last log lines:", f.Service)
		for _, l := range f.Log {
			b.WriteString("\n  | " + l)
		}
	}
	if len(heads) > 0 && len(e.Pending) > 0 {
		b.WriteString("\nnot ready yet: " + strings.Join(e.Pending, ", "))
	}
	return b.String()
}
