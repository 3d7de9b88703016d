package main

import (
	"strings"
	"testing"

	"github.com/jailsproject/jails/jailctl/store"
)

// FuzzExecArgs: exec's hand-written parser never panics, names a jail
// whenever it succeeds, and hands the command on untouched.
func FuzzExecArgs(f *testing.F) {
	for _, s := range []string{"web id", "-l -U nobody 1", "web -- sh -c x", "-u", "web -t -u root -- -x", "--user=x web", "-- web"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		o, err := execArgs(args)
		if err != nil {
			if _, ok := err.(usageError); !ok {
				t.Fatalf("execArgs(%q): %v is not a usage error", args, err)
			}
			return
		}
		if o.jail == "" {
			t.Fatalf("execArgs(%q) succeeded without a jail", args)
		}
		if n := len(o.cmd); n > 0 && strings.Join(args[len(args)-n:], "\x00") != strings.Join(o.cmd, "\x00") {
			t.Fatalf("execArgs(%q): command %q is not the tail of the arguments", args, o.cmd)
		}
	})
}

// FuzzApplySet: set's KEY=VALUE parser never panics and changes nothing
// but the keys it reports.
func FuzzApplySet(f *testing.F) {
	for _, s := range []string{"memory=512Mi cpus=1.5", "ports=80,443/udp", "autostart=yes", "pids=x", "=", "logs.keep=3 logs.keep=4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d := store.Def{Name: "j", Profile: "high", Net: "host"}
		keys, err := applySet(&d, strings.Fields(line))
		if err != nil {
			if _, ok := err.(usageError); !ok {
				t.Fatalf("applySet(%q): %v is not a usage error", line, err)
			}
			return
		}
		for _, k := range keys {
			if setKeys[k] == nil {
				t.Fatalf("applySet(%q) reported unknown key %q", line, k)
			}
		}
		if d.Name != "j" || d.ID != 0 {
			t.Fatalf("applySet(%q) changed the name or id: %+v", line, d)
		}
	})
}
