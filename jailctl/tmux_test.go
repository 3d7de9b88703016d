//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scanHostTTYs is run inside a jail: it lists every descriptor of every
// process it can see that is a terminal (major 136–143) of a devpts other
// than the jail's own, that is, a terminal of the host's.
const scanHostTTYs = `own=$(stat -c %d /dev/pts/ptmx)
for f in /proc/[0-9]*/fd/*; do
	set -- $(stat -L -c '%d %t %F' "$f" 2>/dev/null) || continue
	[ "$3 $4" = "character special" ] || continue
	case $2 in 88|89|8a|8b|8c|8d|8e|8f) [ "$1" != "$own" ] && echo "$f";; esac
done`

// Issue 17's terminal test, as an operator works: a host shell in tmux
// runs jailctl exec (no -t) and apply; a jailed process that scans
// /proc/*/fd for terminals of the host's devpts finds none, during the
// commands or after them (a process they left runs on), and what is typed
// after they returned reaches the host shell.
func TestNoHostTerminalUnderTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is missing (apt-get install tmux; .ci/run installs it)")
	}
	h := newHost(t)
	h.jail("tm")
	dir := t.TempDir()
	sock := filepath.Join(dir, "tmux.sock")
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	tmux("-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50",
		"env", "JAILS_JINIT="+jinitBin, "PS1=host$ ", "/bin/sh")
	t.Cleanup(func() { exec.Command("tmux", "-S", sock, "kill-server").Run() })
	screen := func() string { return tmux("capture-pane", "-p", "-J", "-S", "-200") }
	typed := func(line, want string) {
		t.Helper()
		tmux("send-keys", "-l", line)
		tmux("send-keys", "Enter")
		waitUntil(t, 60*time.Second, "the host shell to print "+want, func() bool { return strings.Contains(screen(), want) })
	}
	waitUntil(t, 10*time.Second, "the host shell's prompt", func() bool { return strings.Contains(screen(), "host$") })
	jailctl := jailctlBin + " --state-dir " + h.state
	if r := h.runIn(scanHostTTYs+"\n", "exec", "tm", "--", "sh", "-c", "cat > /tmp/scan.sh"); r.code != 0 {
		t.Fatalf("install the scan: %+v", r)
	}
	leftover := filepath.Join(dir, "apply.sh")
	os.WriteFile(leftover, []byte("sleep 100042 </dev/null >/dev/null 2>&1 &\nsh /tmp/scan.sh > /tmp/during-apply\n"), 0o644)

	typed(jailctl+" exec tm -- sh -c 'sleep 100041 & sh /tmp/scan.sh > /tmp/during-exec; echo exec-''done'", "exec-done")
	typed(jailctl+" apply tm "+leftover+"; echo apply-''done", "apply-done")
	typed("echo typed-$((40+2))", "typed-42")
	pidByArg(t, "100041")
	pidByArg(t, "100042")
	h.must("exec", "tm", "--", "sh", "-c", "sh /tmp/scan.sh > /tmp/after")
	for _, f := range []string{"during-exec", "during-apply", "after"} {
		if out := h.must("exec", "tm", "--", "cat", "/tmp/"+f); out != "" {
			t.Errorf("a jailed process found host terminals (%s):\n%s", f, out)
		}
	}
	// The scan does find a terminal of another devpts when there is one:
	// the tmux pane's own, scanned on the host.
	out, err := exec.Command("sh", "-c", strings.Replace(scanHostTTYs, "$(stat -c %d /dev/pts/ptmx)", "0", 1)).Output()
	if err != nil || !strings.Contains(string(out), "/fd/") {
		t.Fatalf("the scan finds no terminal on the host itself (%v): it could not fail", err)
	}
}
