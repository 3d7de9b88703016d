package logs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// journald is a real systemd-journald of the test's own, in a mount
// namespace made private first, with tmpfs on /run/systemd, /run/log and
// /var/log/journal there (the host's are not touched). It returns its
// native socket and journal directory, as seen from the host.
func journald(t *testing.T) (sock, dir string) {
	t.Helper()
	const bin = "/lib/systemd/systemd-journald"
	if _, err := os.Stat(bin); err != nil {
		t.Fatal("systemd-journald not installed (apt-get install -y systemd; .ci/run installs it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("journald runs as root in a mount namespace (CI runs the tests as root)")
	}
	script := `set -e
mount -t tmpfs jails-test /run/systemd
mkdir -p /run/log /run/systemd/journal
mount -t tmpfs jails-test /run/log
if [ -d /var/log/journal ]; then mount -t tmpfs jails-test /var/log/journal; fi
exec ` + bin
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	root := fmt.Sprintf("/proc/%d/root", cmd.Process.Pid)
	sock = root + JournalSocket
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			return sock, root + "/run/log/journal"
		}
		if time.Now().After(deadline) {
			t.Fatalf("journald did not start: %s", out.String())
		}
	}
}

// journald takes the native protocol: the fields JAIL, SERVICE, STREAM
// and PRIORITY, the jail as SYSLOG_IDENTIFIER, the text as MESSAGE.
func TestJournaldFields(t *testing.T) {
	sock, dir := journald(t)
	s, err := DialSyslog(SyslogConfig{Addr: "journald:" + sock})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UnixNano()
	s.Send("web1", &Record{Time: at, Service: "nginx", Stream: Stderr, Text: []byte("GET / 500 \xff")})
	s.Send("web1", &Record{Time: at, Service: "nginx", Stream: Jinit, Flags: Partial, Text: []byte("exited: exit 3")})
	s.Close()
	want := map[string]map[string]string{
		"stderr": {"JAIL": "web1", "SERVICE": "nginx", "PRIORITY": "4", "SYSLOG_IDENTIFIER": "web1", "SYSLOG_FACILITY": "3", "_TRANSPORT": "journal"},
		"jinit":  {"JAIL": "web1", "SERVICE": "nginx", "PRIORITY": "5", "MESSAGE": "exited: exit 3", "PARTIAL": "1"},
	}
	var got map[string]map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got = map[string]map[string]any{}
		out, _ := exec.Command("journalctl", "--directory", dir, "-o", "json", "--no-pager", "JAIL=web1").Output()
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				if st, ok := e["STREAM"].(string); ok {
					got[st] = e
				}
			}
		}
		if len(got) == 2 {
			break
		}
	}
	for st, fields := range want {
		for k, v := range fields {
			if got[st][k] != v {
				t.Errorf("%s entry: %s = %v, want %q", st, k, got[st][k], v)
			}
		}
	}
	// A message that is not UTF-8 comes back as its bytes.
	if msg, ok := got["stderr"]["MESSAGE"].([]any); !ok || len(msg) != len("GET / 500 \xff") {
		t.Errorf("stderr MESSAGE %v", got["stderr"]["MESSAGE"])
	}
}
