package jail

import (
	"bytes"
	"testing"
)

// A keeper is recognised by its command line only for its own instance
// and jail.
func TestParseKeeperArgs(t *testing.T) {
	argv := func(s string) [][]byte { return bytes.Split([]byte(s), []byte{0}) }
	cases := []struct {
		dir, name, cmdline string
		ok                 bool
		jinit              int
		inc                string
	}{
		{"/s", "web", "jailctl\x00--state-dir\x00/s\x00__keeper\x00--adopt\x0042\x00--incarnation\x00ab\x00--links\x002\x00web", true, 42, "ab"},
		{"/s", "web", "jailctl\x00--state-dir\x00/s/\x00--debug\x00__keeper\x00--adopt\x0042\x00--incarnation\x00ab\x00--links\x000\x00web", true, 42, "ab"},
		{"", "web", "/usr/sbin/jailctl\x00__keeper\x00--adopt\x007\x00--incarnation\x00cd\x00--links\x000\x00web", true, 7, "cd"},
		{"/s", "web", "jailctl\x00--state-dir\x00/other\x00__keeper\x00--adopt\x0042\x00--incarnation\x00ab\x00--links\x000\x00web", false, 0, ""},
		{"", "web", "jailctl\x00--state-dir\x00/s\x00__keeper\x00--adopt\x0042\x00--incarnation\x00ab\x00--links\x000\x00web", false, 0, ""},
		{"/s", "web", "jailctl\x00--state-dir\x00/s\x00__keeper\x00--adopt\x0042\x00--incarnation\x00ab\x00--links\x000\x00webx", false, 0, ""},
		{"/s", "web", "jailctl\x00--state-dir\x00/s\x00__keeper\x00--incarnation\x00ab\x00--links\x000\x00web", false, 0, ""},
		{"/s", "web", "jailctl\x00--state-dir\x00/s\x00__keeper\x00--adopt\x0042\x00--links\x000\x00web", false, 0, ""},
		{"/s", "web", "jailctl\x00--state-dir\x00/s\x00start\x00web", false, 0, ""},
		{"/s", "web", "jailctl\x00--state-dir\x00/s\x00__keeper\x00--adopt\x0042\x00--incarnation\x00ab\x00--evil\x001\x00web", false, 0, ""},
		{"/s", "web", "jailctl", false, 0, ""},
	}
	for _, c := range cases {
		k, ok := parseKeeperArgs(c.dir, c.name, argv(c.cmdline))
		if ok != c.ok || ok && (k.jinitPid != c.jinit || k.incarnation != c.inc) {
			t.Errorf("%q: %+v %v, want jinit %d incarnation %q %v", c.cmdline, k, ok, c.jinit, c.inc, c.ok)
		}
	}
}
