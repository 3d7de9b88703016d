package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
)

// Log tests: real jails, the real jinit capturing real services, and the
// real collector (jailctl collector) killed and restarted as the tests need.

// collector starts `jailctl collector` for the host; stop it with kill.
func (h *host) collector() *exec.Cmd {
	h.t.Helper()
	cmd := exec.Command(jailctlBin, "--state-dir", h.state, "collector", "--listen", "", "--poll", "50ms")
	f, err := os.OpenFile(filepath.Join(h.state, "collector.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		// Jails first, while the collector still takes their last lines
		// (jinit waits a few seconds for a collector that went away).
		if cmd.ProcessState == nil {
			if names, _ := store.NewStore(h.state).Names(); len(names) > 0 {
				h.run(append([]string{"stop", "--timeout", "10s"}, names...)...)
			}
		}
		kill(cmd, syscall.SIGKILL)
	})
	return cmd
}

// kill signals a process we started and reaps it.
func kill(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(sig)
	cmd.Wait()
}

func (h *host) logDir(jail string) string { return store.NewStore(h.state).LogDir(jail) }
func (h *host) rw(jail, p string) string {
	return filepath.Join(store.NewStore(h.state).RWDir(jail), p)
}

// addLogs appends a [logs] table to a jail's definition.
func (h *host) addLogs(jail, table string) {
	h.t.Helper()
	f, err := os.OpenFile(store.NewStore(h.state).DefPath(jail), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n[logs]\n%s\n", table)
}

// checkpointSeq is the collector's checkpoint of a jail (0 before one).
func (h *host) checkpointSeq(jail string) uint64 {
	b, err := os.ReadFile(filepath.Join(h.logDir(jail), logs.CheckpointName))
	if err != nil {
		return 0
	}
	var cp logs.Checkpoint
	json.Unmarshal(b, &cp)
	return cp.Seq
}

// storeLines reads a service's stored lines, oldest first.
func (h *host) storeLines(jail, svc string) []logs.Line {
	h.t.Helper()
	dir := h.logDir(jail)
	r, err := logs.NewServiceReader(dir, svc, time.Time{}, logs.Snapshot(dir, svc))
	if err != nil {
		return nil
	}
	defer r.Close()
	var out []logs.Line
	for l := r.Next(); l != nil; l = r.Next() {
		p, err := logs.ParseLine(l)
		if err != nil {
			h.t.Fatalf("%s/%s: unparsable stored line %q: %v", jail, svc, l, err)
		}
		p.Text = append([]byte(nil), p.Text...)
		out = append(out, p)
	}
	if err := r.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// lastText is the text of a service's last stored line.
// lastStdout is the text of a service's last stored stdout line (among
// its last 16 lines: jinit's lines may follow it).
func (h *host) lastStdout(jail, svc string) string {
	dir := h.logDir(jail)
	ls, _ := logs.LastLines(dir, svc, 16, logs.Snapshot(dir, svc))
	for i := len(ls) - 1; i >= 0; i-- {
		if p, err := logs.ParseLine(ls[i]); err == nil && p.Stream == logs.Stdout {
			return string(p.Text)
		}
	}
	return ""
}

func (h *host) lastText(jail, svc string) string {
	dir := h.logDir(jail)
	ls, _ := logs.LastLines(dir, svc, 1, logs.Snapshot(dir, svc))
	if len(ls) == 0 {
		return ""
	}
	p, err := logs.ParseLine(ls[0])
	if err != nil {
		return ""
	}
	return string(p.Text)
}

// checkNumbered checks that a service's stdout lines are 1..n in order,
// each once, and returns its other lines.
func checkNumbered(t *testing.T, name string, lines []logs.Line, n int) []logs.Line {
	t.Helper()
	want := 1
	var other []logs.Line
	for _, l := range lines {
		if l.Stream != logs.Stdout {
			other = append(other, l)
			continue
		}
		if got := string(l.Text); got != strconv.Itoa(want) {
			t.Fatalf("%s: line %d is %q (duplicate, loss or reordering)", name, want, got)
		}
		want++
	}
	if want-1 != n {
		t.Fatalf("%s: %d lines stored, want %d", name, want-1, n)
	}
	return other
}

// metrics asks a jail's jinit for its log counters.
type logMetrics struct {
	LogBuffer struct {
		Used  int64 `json:"used_bytes"`
		Limit int64 `json:"limit_bytes"`
	} `json:"log_buffer"`
	Services []struct {
		Name string `json:"name"`
		Logs struct {
			Lines   uint64  `json:"lines"`
			Dropped uint64  `json:"dropped"`
			Blocked float64 `json:"blocked_seconds"`
		} `json:"logs"`
	} `json:"services"`
}

func (h *host) logMetrics(jail string) logMetrics {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := control.Dial(ctx, store.NewStore(h.state).SockPath(jail))
	if err != nil {
		h.t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.Do(ctx, control.Request{Verb: control.VerbMetrics})
	if err != nil {
		h.t.Fatal(err)
	}
	var m logMetrics
	if err := json.Unmarshal(resp.Data, &m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

func touch(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

const waitGo = "while [ ! -e /tmp/go ]; do sleep 0.02; done\n"

// Four services write 1,000,000 numbered lines each while the collector is
// killed with SIGKILL and restarted ten times: every line is stored
// exactly once, in order.
func TestLogsExactlyOnceAcrossCollectorKills(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	const n, writers = 1000000, 4
	for i := 0; i < writers; i++ {
		service(t, svc, fmt.Sprintf("w%d", i), waitGo+"seq "+strconv.Itoa(n)+"\nexec sleep 100000", "")
	}
	h.must("create", "ex", "--services", svc)
	h.addLogs("ex", `rotate_size = "32M"`+"\nkeep = 100")
	h.must("start", "ex")
	col := h.collector()
	waitUntil(t, 10*time.Second, "the collector's first checkpoint", func() bool { return h.checkpointSeq("ex") > 0 })
	touch(t, h.rw("ex", "tmp/go"))
	for k := 0; k < 10; k++ {
		// Spread the kills over the whole stream.
		from := h.checkpointSeq("ex")
		deadline := time.Now().Add(3 * time.Second)
		for h.checkpointSeq("ex") < from+n*writers/12 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.Intn(30)) * time.Millisecond)
		kill(col, syscall.SIGKILL)
		t.Logf("kill %d at checkpoint %d", k+1, h.checkpointSeq("ex"))
		col = h.collector()
	}
	waitUntil(t, 150*time.Second, "every line in the store", func() bool {
		for i := 0; i < writers; i++ {
			if h.lastText("ex", fmt.Sprintf("w%d", i)) != strconv.Itoa(n) {
				return false
			}
		}
		return true
	})
	for i := 0; i < writers; i++ {
		name := fmt.Sprintf("w%d", i)
		other := checkNumbered(t, name, h.storeLines("ex", name), n)
		if len(other) != 1 || !strings.HasPrefix(string(other[0].Text), "started (pid") {
			t.Errorf("%s: other lines %v", name, other)
		}
	}
}

// With the collector stopped, a service writing faster than the buffer
// holds is blocked, loses nothing, and everything arrives once the
// collector is back. A service in drop mode goes on, and reports exactly
// how many lines it lost.
func TestLogsBackpressureAndDrop(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	const n = 400000
	run := waitGo + "seq " + strconv.Itoa(n) + "\ntouch /tmp/done-$(basename $PWD)\nexec sleep 100000"
	service(t, svc, "blocker", run, "")
	service(t, svc, "dropper", run, "[log]\ndrop = true\n")
	h.must("create", "bp", "--services", svc)
	h.must("start", "bp")
	col := h.collector()
	waitUntil(t, 10*time.Second, "the collector's first checkpoint", func() bool { return h.checkpointSeq("bp") > 0 })
	time.Sleep(100 * time.Millisecond)
	kill(col, syscall.SIGTERM)
	touch(t, h.rw("bp", "tmp/go"))

	waitUntil(t, 30*time.Second, "the dropping writer to finish", func() bool { return fileExists(h.rw("bp", "tmp/done-dropper")) })
	time.Sleep(time.Second)
	if fileExists(h.rw("bp", "tmp/done-blocker")) {
		t.Fatal("the blocking writer finished although the buffer cannot hold its lines")
	}
	m := h.logMetrics("bp")
	var dropped uint64
	for _, s := range m.Services {
		switch s.Name {
		case "blocker":
			if s.Logs.Dropped != 0 || s.Logs.Blocked <= 0 {
				t.Errorf("blocker: dropped %d, blocked %.3fs", s.Logs.Dropped, s.Logs.Blocked)
			}
		case "dropper":
			dropped = s.Logs.Dropped
		}
	}
	if dropped == 0 || m.LogBuffer.Used < m.LogBuffer.Limit/2 {
		t.Fatalf("dropper dropped %d; buffer %d of %d", dropped, m.LogBuffer.Used, m.LogBuffer.Limit)
	}
	// status says how many were dropped, and when the last was.
	if st := h.must("status", "bp"); !strings.Contains(st, "logs: dropper dropped ") || !strings.Contains(st, "lines (log buffer full), the last at ") {
		t.Errorf("status does not show the drops:\n%s", st)
	}

	h.collector()
	waitUntil(t, 60*time.Second, "the blocked writer to finish", func() bool { return fileExists(h.rw("bp", "tmp/done-blocker")) })
	// A drop marker (one of jinit's lines) may follow the last line kept.
	defer func() {
		if t.Failed() {
			co, _ := os.ReadFile(filepath.Join(h.state, "collector.out"))
			t.Logf("last stdout: blocker %q dropper %q; checkpoint %d\ncollector:\n%s", h.lastStdout("bp", "blocker"), h.lastStdout("bp", "dropper"), h.checkpointSeq("bp"), co)
		}
	}()
	waitUntil(t, 60*time.Second, "every line of the blocker in the store", func() bool {
		return h.lastStdout("bp", "blocker") == strconv.Itoa(n)
	})
	checkNumbered(t, "blocker", h.storeLines("bp", "blocker"), n)

	// The dropper: kept lines increase, the markers add up to the counter,
	// and kept + dropped is everything it wrote (its "started" line too).
	// How many it kept depends on how its reader and the blocker's took
	// turns before the buffer filled: all of them may have been dropped.
	var kept, marked, prev, jinitKept uint64
	count := func() {
		kept, marked, prev, jinitKept = 0, 0, 0, 0
		for _, l := range h.storeLines("bp", "dropper") {
			text := string(l.Text)
			if l.Stream == logs.Jinit {
				if d, ok := strings.CutPrefix(text, "dropped "); ok {
					k, _ := strconv.ParseUint(strings.Fields(d)[0], 10, 64)
					marked += k
				} else {
					jinitKept++
				}
				continue
			}
			v, err := strconv.ParseUint(text, 10, 64)
			if err != nil || v <= prev {
				t.Fatalf("dropper: line %q after %d", text, prev)
			}
			prev, kept = v, kept+1
		}
	}
	waitUntil(t, 60*time.Second, "every line of the dropper kept or counted", func() bool {
		count()
		return kept+marked >= n
	})
	if marked != dropped {
		t.Errorf("markers say %d dropped, the counter %d", marked, dropped)
	}
	if kept+jinitKept+dropped != n+1 {
		t.Errorf("kept %d + %d jinit + dropped %d != %d written", kept, jinitKept, dropped, n+1)
	}
}

// jsonLines runs `jailctl logs --json` and reassembles each service's
// output bytes from the records (partial records continue a line).
func (h *host) jsonOutput(jail, svc string) (out map[string][]byte, jinit []string) {
	h.t.Helper()
	stdout := h.must("logs", "--json", jail, svc)
	out = map[string][]byte{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r struct {
			Stream     string `json:"stream"`
			Text       string `json:"text"`
			TextBase64 string `json:"text_base64"`
			Partial    bool   `json:"partial"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			h.t.Fatalf("%q: %v", line, err)
		}
		text := []byte(r.Text)
		if r.TextBase64 != "" {
			text, _ = base64.StdEncoding.DecodeString(r.TextBase64)
		}
		if r.Stream == "jinit" {
			jinit = append(jinit, string(text))
			continue
		}
		out[r.Stream] = append(out[r.Stream], text...)
		if !r.Partial {
			out[r.Stream] = append(out[r.Stream], '\n')
		}
	}
	return out, jinit
}

// Lines of 1 MiB (split and marked), binary data and invalid UTF-8, a
// service that closes stdout early, and finish output are all stored.
func TestLogsContent(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "big", "head -c 1048576 /dev/zero | tr '\\0' a; echo; echo after\nexec sleep 100000", "")
	service(t, svc, "bin", `printf 'a\000b\377\376c\r\n\033[31mred\n'`+"\nexec sleep 100000", "")
	// closer and fin end after start's settle window: a failure before it
	// would (rightly) fail the start.
	service(t, svc, "closer", "echo before\nexec 1>&-\necho err-after >&2\nprintf partial >&2\nsleep 1\nexit 3", `restart = "never"`)
	service(t, svc, "fin", "echo run-out\nsleep 1\nexit 2", `restart = "never"`)
	os.WriteFile(filepath.Join(svc, "fin", "finish"), []byte("#!/bin/sh\necho \"finish $1 $2\"\n"), 0o755)
	h.must("create", "ct", "--services", svc)
	h.collector()
	h.must("start", "ct")
	var last map[string]string
	deadline := time.Now().Add(60 * time.Second)
	for {
		last = map[string]string{}
		for _, s := range []string{"closer", "fin"} {
			last[s] = h.lastText("ct", s)
		}
		// jinit's "started" line may come before or after what these
		// services write at once: their last stdout line is what counts.
		for _, s := range []string{"big", "bin"} {
			last[s] = h.lastStdout("ct", s)
		}
		if last["big"] == "after" && last["bin"] == "\x1b[31mred" &&
			strings.HasPrefix(last["closer"], "exited: exit 3") && strings.Contains(last["fin"], "finish 2 0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for every service's output; last stored lines: %q\n%s", last, h.diagnose("ct"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	big := h.storeLines("ct", "big")
	pieces := 0
	for _, l := range big {
		if l.Stream == logs.Stdout && l.Partial {
			pieces++
			if len(l.Text) != logs.DefaultLineMax {
				t.Errorf("a piece of %d bytes", len(l.Text))
			}
		}
	}
	if pieces != 15 {
		t.Errorf("the 1 MiB line is in %d marked pieces, want 15 and a last one", pieces)
	}
	out, _ := h.jsonOutput("ct", "big")
	if want := strings.Repeat("a", 1<<20) + "\nafter\n"; string(out["stdout"]) != want {
		t.Errorf("big: reassembled %d bytes, want %d", len(out["stdout"]), len(want))
	}
	out, _ = h.jsonOutput("ct", "bin")
	if want := "a\x00b\xff\xfec\r\n\x1b[31mred\n"; string(out["stdout"]) != want {
		t.Errorf("bin: %q, want %q", out["stdout"], want)
	}
	out, jin := h.jsonOutput("ct", "closer")
	if string(out["stdout"]) != "before\n" || string(out["stderr"]) != "err-after\npartial\n" {
		t.Errorf("closer: stdout %q stderr %q", out["stdout"], out["stderr"])
	}
	if len(jin) < 2 || jin[len(jin)-1] != "exited: exit 3" {
		t.Errorf("closer: jinit lines %q", jin)
	}
	out, jin = h.jsonOutput("ct", "fin")
	if string(out["stdout"]) != "run-out\nfinish 2 0\n" {
		t.Errorf("fin: %q (jinit: %q)", out["stdout"], jin)
	}
	criShippers(t, filepath.Join(h.logDir("ct"), "big", "current"), []string{"stdout " + strings.Repeat("a", 1<<20), "stdout after"})
	criShippers(t, filepath.Join(h.logDir("ct"), "bin", "current"), []string{"stdout a\x00b\xff\xfec\r", "stdout \x1b[31mred"})
	criShippers(t, filepath.Join(h.logDir("ct"), "closer", "current"), []string{"stdout before", "stderr err-after", "stderr partial"})
	audit, _ := os.ReadFile(filepath.Join(h.logDir("ct"), logs.AuditName))
	for _, w := range []string{" start boot=", " service-exit service=closer msg=\"exited: exit 3\"", " service-exit service=fin"} {
		if !bytes.Contains(audit, []byte(w)) {
			t.Errorf("audit log lacks %q:\n%s", w, audit)
		}
	}
	h.must("stop", "ct")
	waitUntil(t, 10*time.Second, "the stop in the audit log", func() bool {
		audit, _ = os.ReadFile(filepath.Join(h.logDir("ct"), logs.AuditName))
		return bytes.Contains(audit, []byte(" stop reason=stopped\n"))
	})
}

// The CRI parsers of Fluent Bit (its documented `cri` parser) and Promtail
// (its `cri` stage); logs/cri_test.go cites them, with Vector's, and says
// why the tests apply the shippers' expressions.
var criParsers = map[string]*regexp.Regexp{
	"Fluent Bit": regexp.MustCompile(`^(?<time>[^ ]+) (?<stream>stdout|stderr) (?<logtag>[^ ]*) (?<message>.*)$`),
	"Promtail":   regexp.MustCompile(`^(?s)(?P<time>\S+?) (?P<stream>stdout|stderr) (?P<flags>\S+?) (?P<content>.*)$`),
}

// criShippers reads a stored file with each shipper's CRI parser, joins
// partial lines per stream as they do, and compares the services' entries
// ("STREAM TEXT", jinit's own F:jinit lines left out) with want.
func criShippers(t *testing.T, path string, want []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, re := range criParsers {
		got := map[string][]string{}
		pending := map[string]string{}
		for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			m := re.FindSubmatch(line)
			if m == nil {
				t.Fatalf("%s: %s does not parse %q", path, name, line)
			}
			if _, err := time.Parse(time.RFC3339Nano, string(m[1])); err != nil {
				t.Errorf("%s: %s: time of %q: %v", path, name, line, err)
			}
			stream, tag := string(m[2]), string(m[3])
			pending[stream] += string(m[4])
			if tag == "P" {
				continue
			}
			if tag == "F" {
				got[stream] = append(got[stream], stream+" "+pending[stream])
			}
			pending[stream] = ""
		}
		// The order holds within a stream (across them, lines read at the
		// same time are in either order).
		if g := append(got["stdout"], got["stderr"]...); strings.Join(g, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s read by %s: %.200q, want %.200q", path, name, g, want)
		}
	}
}

// A process in jail A cannot get a line stored under jail B or under the
// host: forged records and store lines written to stdout are just text.
func TestLogsJailIdentity(t *testing.T) {
	h := newHost(t)
	sa, sb := t.TempDir(), t.TempDir()
	service(t, sa, "forger", "cat /tmp/forged\nexec sleep 100000", "")
	service(t, sb, "victim", "echo hello-b\nexec sleep 100000", "")
	h.must("create", "ja", "--services", sa)
	h.must("create", "jb", "--services", sb)
	fake := "2024-01-01T00:00:00.000000000Z stdout forged-line\n"
	var forged []byte
	for _, svc := range []string{"victim", "../jb/victim", "forger"} {
		b := logs.AppendSegment(logs.AppendBatchHeader(nil, 1, 1), svc, 1, []byte(fake))
		forged = append(forged, 0, 0, 0, byte(len(b)+1), control.TypeLogs)
		forged = append(forged, b...)
	}
	forged = append(forged, fake...)
	forged = append(forged, "jb victim "+fake...)
	if err := os.WriteFile(h.rw("ja", "tmp/forged"), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	h.collector()
	h.must("start", "ja")
	h.must("start", "jb")
	waitUntil(t, 20*time.Second, "both jails' lines", func() bool {
		// jinit's "started" line may come before or after the service's.
		victim := false
		for _, l := range h.storeLines("jb", "victim") {
			victim = victim || string(l.Text) == "hello-b"
		}
		return victim && bytes.Contains([]byte(h.lastStdout("ja", "forger")), []byte("jb victim"))
	})
	for _, l := range h.storeLines("jb", "victim") {
		if bytes.Contains(l.Text, []byte("forged")) {
			t.Fatalf("jail B's log holds %q", l.Text)
		}
	}
	var forger []byte
	for _, l := range h.storeLines("ja", "forger") {
		if l.Time.Year() == 2024 {
			t.Fatalf("a forged timestamp was taken: %v", l.Time)
		}
		forger = append(forger, l.Text...)
	}
	if bytes.Count(forger, []byte("forged-line")) != 5 {
		t.Errorf("jail A's own log does not hold the forged text as text: %q", forger)
	}
	ents, _ := os.ReadDir(filepath.Join(h.state, "log"))
	for _, e := range ents {
		if n := e.Name(); n != "ja" && n != "jb" && n != ".collector.lock" {
			t.Errorf("unexpected %s in the log directory", n)
		}
	}
	for _, j := range []string{"ja", "jb"} {
		svcs, _ := logs.Services(h.logDir(j))
		if want := map[string]string{"ja": "forger", "jb": "victim"}[j]; len(svcs) != 1 || svcs[0] != want {
			t.Errorf("%s has logs of %v", j, svcs)
		}
	}
}

// Rotation keeps the configured number of files, and `jailctl logs -f`
// follows across rotations, printing every line once.
func TestLogsRotationAndFollow(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	const n = 1500
	service(t, svc, "r", waitGo+`i=0
while [ $i -lt `+strconv.Itoa(n)+` ]; do
  echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  i=$((i+1))
  [ $((i % 20)) = 0 ] && sleep 0.02
done
echo END
exec sleep 100000`, "")
	h.must("create", "rot", "--services", svc)
	// keep leaves room for a follower that a loaded machine holds back
	// (files pruned before it looks are lost, as with tail -F).
	h.addLogs("rot", `rotate_size = "8K"`+"\nkeep = 6")
	h.collector()
	h.must("start", "rot")
	waitUntil(t, 10*time.Second, "the first line stored", func() bool { return h.lastText("rot", "r") != "" })

	var fout bytes.Buffer
	follow := exec.Command(jailctlBin, "--state-dir", h.state, "logs", "-f", "--poll", "20ms", "rot", "r")
	follow.Stdout = &fout
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kill(follow, syscall.SIGKILL) })
	time.Sleep(300 * time.Millisecond)
	touch(t, h.rw("rot", "tmp/go"))
	waitUntil(t, 60*time.Second, "the last line", func() bool { return h.lastText("rot", "r") == "END" })
	time.Sleep(300 * time.Millisecond)
	kill(follow, syscall.SIGINT)

	want := 0
	for _, l := range strings.Split(fout.String(), "\n") {
		f := strings.SplitN(l, " ", 4)
		if len(f) < 4 || f[2] != "stdout" {
			continue
		}
		if want == n {
			if f[3] != "END" {
				t.Fatalf("after the last numbered line: %q", l)
			}
			want++
			continue
		}
		if !strings.HasPrefix(f[3], "line "+strconv.Itoa(want)+" ") {
			t.Fatalf("follow printed %q, want line %d", l, want)
		}
		want++
	}
	if want != n+1 {
		t.Fatalf("follow printed %d of %d lines", want, n+1)
	}
	arch, err := logs.Archives(filepath.Join(h.logDir("rot"), "r"))
	if err != nil || len(arch) != 6 {
		t.Fatalf("%d rotated files, want 6 (%v)", len(arch), err)
	}
	for _, a := range arch {
		if fi, _ := os.Stat(a); fi.Size() > 8192+4096 {
			t.Errorf("%s has %d bytes", a, fi.Size())
		}
	}
}

// Before any collector has run, `jailctl logs` shows what jinit holds,
// and says so.
func TestLogsWithoutCollector(t *testing.T) {
	h := newHost(t)
	svc := t.TempDir()
	service(t, svc, "s", "echo hi-from-the-buffer\necho on-stderr >&2\nexec sleep 100000", "")
	h.must("create", "nc", "--services", svc)
	h.must("start", "nc")
	var r result
	waitUntil(t, 10*time.Second, "the line in jinit's buffer", func() bool {
		r = h.run("logs", "nc")
		return strings.Contains(r.stdout, " s stderr on-stderr")
	})
	if !strings.Contains(r.stdout, " s stdout hi-from-the-buffer\n") || !strings.Contains(r.stderr, "no collector has run") {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	if r := h.run("logs", "-n", "1", "nc", "s"); strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("-n 1: %q", r.stdout)
	}
	if r := h.run("logs", "nope"); r.code == 0 {
		t.Fatal("logs of an unknown jail succeeded")
	}
	if r := h.run("logs", "nc", "../x"); r.code != 2 {
		t.Fatalf("a bad service name: exit %d", r.code)
	}
}

// diagnose collects what explains a wait that timed out: the jail's
// services, its console and the collector's output.
func (h *host) diagnose(jail string) string {
	st := store.NewStore(h.state)
	console, _ := os.ReadFile(st.ConsolePath(jail))
	coll, _ := os.ReadFile(filepath.Join(h.state, "collector.out"))
	tail := func(b []byte) string {
		if len(b) > 4096 {
			b = b[len(b)-4096:]
		}
		return string(b)
	}
	return "status:\n" + h.run("status", jail).stdout + "console:\n" + tail(console) + "collector:\n" + tail(coll)
}
