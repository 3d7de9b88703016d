package logs

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rsyslog is a real rsyslogd (Debian's) of the test's own: its config,
// socket, TCP port, work directory and pid file in a temporary directory.
// Every message goes to out.log as
// PROGRAMNAME|SYSLOGTAG|SEVERITY|FACILITY|APP-NAME|STRUCTURED-DATA|MSG.
func rsyslog(t *testing.T) (dir, sock, tcpAddr string) {
	t.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Fatal("rsyslogd not installed (apt-get install -y rsyslog; .ci/run installs it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("rsyslogd runs as root (CI runs the tests as root)")
	}
	dir = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr = ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(tcpAddr)
	sock = filepath.Join(dir, "log.sock")
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket=%q)
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port=%q)
template(name="t" type="string" string="%%programname%%|%%syslogtag%%|%%syslogseverity-text%%|%%syslogfacility-text%%|%%app-name%%|%%structured-data%%|%%msg%%\n")
*.* action(type="omfile" file=%q template="t")
`, dir, sock, port, filepath.Join(dir, "out.log"))
	if err := os.WriteFile(filepath.Join(dir, "rsyslog.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", filepath.Join(dir, "rsyslog.conf"), "-i", filepath.Join(dir, "rsyslogd.pid"))
	out, _ := os.Create(filepath.Join(dir, "rsyslogd.out"))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		out.Close()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, serr := os.Stat(sock)
		c, cerr := net.Dial("tcp", tcpAddr)
		if cerr == nil {
			c.Close()
		}
		if serr == nil && cerr == nil {
			return dir, sock, tcpAddr
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "rsyslogd.out"))
			t.Fatalf("rsyslogd did not start: %s", b)
		}
	}
}

// A stock rsyslog parses what the collector forwards: on /dev/log (the
// local format) the program name is the jail and the tag names service and
// stream; over TCP (RFC 5424, octet-counted) the app-name is the jail and
// the structured data names service and stream, and a message that holds
// a newline stays one message.
func TestSyslogToRsyslog(t *testing.T) {
	dir, sock, tcpAddr := rsyslog(t)
	at := time.Now().UnixNano()
	local, err := DialSyslog(SyslogConfig{Addr: "unix:" + sock, Facility: "local3"})
	if err != nil {
		t.Fatal(err)
	}
	local.Send("web1", &Record{Time: at, Service: "nginx", Stream: Stderr, Text: []byte("GET / 500")})
	local.Send("web1", &Record{Time: at, Service: "nginx", Stream: Jinit, Text: []byte("exited: exit 3")})
	local.Close()
	tcp, err := DialSyslog(SyslogConfig{Addr: "tcp:" + tcpAddr})
	if err != nil {
		t.Fatal(err)
	}
	tcp.Send("db2", &Record{Time: at, Service: "pg", Stream: Stdout, Text: []byte("two\nlines")})
	tcp.Send("db2", &Record{Time: at, Service: "pg", Stream: Stdout, Flags: Partial, Text: []byte("12 <30>1 not a frame")})
	tcp.Close()
	want := []string{
		`web1|web1/nginx/stderr:|warning|local3|web1|-| GET / 500`,
		`web1|web1/nginx/jinit:|notice|local3|web1|-| exited: exit 3`,
		`db2|db2|info|daemon|db2|[jails@32473 service="pg" stream="stdout"]|two#012lines`,
		`db2|db2|info|daemon|db2|[jails@32473 service="pg" stream="stdout" partial="1"]|12 <30>1 not a frame`,
	}
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, "out.log"))
		if got = string(b); strings.Count(got, "\n") >= len(want) {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("rsyslog did not log %q; it logged:\n%s", w, got)
		}
	}
}
