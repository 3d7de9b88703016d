//go:build linux

package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jailsproject/jails/kmod/profile"
)

// The generated table of docs/SECURITY.md: the escape suite's results,
// rendered. The section between the markers must equal what the suite
// observed, so every row of the table is a test;
//
//	go test ./jailctl -run TestEscapeSuite -update-security-doc
//
// rewrites it from the results.

var updateSecurityDoc = flag.Bool("update-security-doc", false,
	"rewrite the generated table of docs/SECURITY.md from the escape suite's results")

const (
	securityDoc = "../docs/SECURITY.md"
	docBegin    = "<!-- BEGIN GENERATED escape table: go test ./jailctl -run TestEscapeSuite -update-security-doc -->"
	docEnd      = "<!-- END GENERATED escape table -->"
)

func matches(r row, p profile.Profile, w string) bool {
	if r.optional && (w == "ENOENT" || w == "ENOSYS") {
		return true
	}
	for _, alt := range strings.Split(r.want[p], "|") {
		if w == alt {
			return true
		}
	}
	return false
}

func wantFirst(r row, p profile.Profile) string {
	w, _, _ := strings.Cut(r.want[p], "|")
	return w
}

// denied reports whether a result word means the attempt was refused (or
// had no effect).
func denied(r row, w string) bool {
	switch w {
	case "EPERM", "EACCES", "EROFS", "ESRCH", "masked", "no gain", "nosuid", "no cgroupfs", "contained",
		"ECONNREFUSED", "EADDRINUSE", "none", "private range", "jail's own uid":
		return true
	case "ENOSYS":
		return true // seccomp's answer for clone3; optional rows: not in this kernel
	case "ENOENT":
		return r.optional
	}
	return false
}

// cell renders a result word for the table.
func cell(r row, w string) string {
	switch {
	case r.optional && (w == "ENOENT" || w == "ENOSYS"):
		return "n/a (not in this kernel)"
	case w == "ok":
		return "allowed"
	case w == "masked":
		return "masked"
	case w == "none":
		return "none found"
	case w == "private range" || w == "jail's own uid" || w == "host ids" || w == "host root" || w == "host nobody":
		return w
	case w == "contained" && strings.HasPrefix(r.name, "cgroup"):
		return "contained (cgroup namespace)"
	case w == "contained":
		return "contained: climbs only to the jail's root"
	case w == "escaped":
		return "ESCAPED"
	case w == "nosuid":
		return "no effect (nosuid)"
	case w == "root (bounded)":
		return "euid 0, capabilities bounded by the profile"
	case w == "no gain":
		return "no gain (no_new_privs)"
	case w == "cap_net_raw":
		return "runs with CAP_NET_RAW"
	case w == "no cgroupfs":
		return "denied (no cgroupfs in the jail)"
	case strings.HasSuffix(w, " caps"):
		if w == "0 caps" {
			return "none"
		}
		return strings.TrimSuffix(w, " caps")
	case denied(r, w):
		return "denied (" + w + ")"
	case strings.HasPrefix(w, "E"):
		return "allowed (" + w + ")"
	}
	return w
}

func renderTable(rows []row, got map[profile.Profile]map[string]string) string {
	var b strings.Builder
	b.WriteString("| attempt | check | low | medium | high | enforced by |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | `%s` |", mdEscape(r.op), r.name)
		for _, p := range profile.Profiles {
			w := got[p][r.name]
			c := cell(r, w)
			if !matches(r, p, w) {
				tag := "UNEXPECTED"
				if !denied(r, w) && denied(r, wantFirst(r, p)) {
					tag = "SECURITY BUG"
				}
				c = fmt.Sprintf("**%s: %s**, want %s", tag, c, cell(r, wantFirst(r, p)))
			}
			fmt.Fprintf(&b, " %s |", mdEscape(c))
		}
		fmt.Fprintf(&b, " %s |\n", mdEscape(r.how))
	}
	return b.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// checkDoc compares the generated section of docs/SECURITY.md with table,
// or rewrites it with -update-security-doc.
func checkDoc(t *testing.T, table string) {
	t.Helper()
	b, err := os.ReadFile(securityDoc)
	if err != nil {
		t.Fatalf("read %s: %v", securityDoc, err)
	}
	doc := string(b)
	i, j := strings.Index(doc, docBegin), strings.Index(doc, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q ... %q", securityDoc, docBegin, docEnd)
	}
	cur := doc[i+len(docBegin) : j]
	want := "\n" + table
	if cur == want {
		return
	}
	if *updateSecurityDoc {
		if err := os.WriteFile(securityDoc, []byte(doc[:i+len(docBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the table of %s", securityDoc)
		return
	}
	t.Errorf("%s does not match what the escape suite observed; regenerate with\n"+
		"  go test ./jailctl -run TestEscapeSuite -update-security-doc\nobserved table:\n%s", securityDoc, table)
}
