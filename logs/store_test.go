package logs

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// batchOf makes a batch of numbered lines for one service.
func batchOf(first uint64, svc string, from, n int) *Batch {
	var s Stamper
	var data []byte
	for i := 0; i < n; i++ {
		data = s.AppendLine(data, &Record{Time: int64(1700000000e9 + from + i), Stream: Stdout, Text: []byte(fmt.Sprintf("%s %06d", svc, from+i))})
	}
	bt, err := DecodeBatch(AppendSegment(AppendBatchHeader(nil, first, first+uint64(n)-1), svc, n, data))
	if err != nil {
		panic(err)
	}
	return &bt
}

func readAll(t *testing.T, dir, svc string) []string {
	t.Helper()
	r, err := NewServiceReader(dir, svc, time.Time{}, Snapshot(dir, svc))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for l := r.Next(); l != nil; l = r.Next() {
		p, err := ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(p.Text))
	}
	return out
}

// A crash (the store dropped without Close) after a write that was not
// checkpointed, and after a rotation, is undone by Rewind.
func TestRewindAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenJail(dir, StoreConfig{RotateSize: 4096, Keep: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.BeginStream("boot1", time.Now()); err != nil {
		t.Fatal(err)
	}
	seq := uint64(1)
	for i := 0; i < 20; i++ {
		if err := s.WriteBatch(batchOf(seq, "a", i*10, 10)); err != nil {
			t.Fatal(err)
		}
		seq += 10
	}
	// What a crash leaves at worst: lines of the next batch written, the
	// file rotated, more lines in the new one, and no checkpoint since.
	f := s.files["a"]
	f.write([]byte("2024-01-01T00:00:00.000000000Z stdout half-written\n2024-01"))
	os.Rename(f.path, archivePath(filepath.Dir(f.path)))
	os.WriteFile(f.path, []byte("2024-01-01T00:00:00.000000000Z stdout after rotation\n"), 0o640)
	s.closeFiles()

	s2, err := OpenJail(dir, StoreConfig{RotateSize: 4096, Keep: 100})
	if err != nil {
		t.Fatal(err)
	}
	if s2.Checkpoint().Seq != seq-1 {
		t.Fatalf("checkpoint at %d, want %d", s2.Checkpoint().Seq, seq-1)
	}
	if err := s2.Rewind(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, dir, "a")
	if len(got) != 200 || got[199] != "a 000199" {
		t.Fatalf("after rewind: %d lines, last %q", len(got), got[len(got)-1])
	}
	if err := s2.WriteBatch(batchOf(seq, "a", 200, 5)); err != nil {
		t.Fatal(err)
	}
	if err := s2.WriteBatch(batchOf(seq, "a", 200, 5)); err != nil {
		t.Fatal("a batch the store has is not skipped:", err)
	}
	if err := s2.WriteBatch(batchOf(seq+2, "a", 200, 5)); err == nil {
		t.Fatal("an overlapping batch was taken")
	}
	s2.Close()
	got = readAll(t, dir, "a")
	for i, g := range got {
		if g != fmt.Sprintf("a %06d", i) {
			t.Fatalf("line %d: %q", i, g)
		}
	}
	if len(got) != 205 {
		t.Fatalf("%d lines", len(got))
	}
}

// A new stream (the jail restarted) keeps what an old one left beyond the
// checkpoint, but not a torn line, and records the end and the start.
func TestNewStreamTrims(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenJail(dir, StoreConfig{})
	s.BeginStream("boot1", time.Now())
	s.WriteBatch(batchOf(1, "a", 0, 3))
	s.files["a"].write([]byte("2024-01-01T00:00:00.000000000Z stdout complete\n2024-01-01T00:00"))
	s.closeFiles()

	s, _ = OpenJail(dir, StoreConfig{})
	if err := s.Trim(); err != nil {
		t.Fatal(err)
	}
	s.EndStream(time.Now(), "jinit-exit", "jinit was killed by signal KILL")
	s.BeginStream("boot2", time.Now())
	s.WriteBatch(batchOf(1, "a", 3, 2))
	s.Close()
	got := strings.Join(readAll(t, dir, "a"), ",")
	if got != "a 000000,a 000001,a 000002,complete,a 000003,a 000004" {
		t.Fatalf("got %s", got)
	}
	audit, _ := os.ReadFile(filepath.Join(dir, AuditName))
	lines := strings.Split(strings.TrimSpace(string(audit)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], " start boot=boot1") ||
		!strings.Contains(lines[1], ` jinit-exit reason="jinit was killed by signal KILL"`) || !strings.Contains(lines[2], " start boot=boot2") {
		t.Fatalf("audit:\n%s", audit)
	}
}

// Rotation keeps Keep files besides current; LastLines and a Follower
// read across them.
func TestRotationRetentionFollow(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenJail(dir, StoreConfig{RotateSize: 4096, Keep: 3})
	s.BeginStream("b", time.Now())
	s.WriteBatch(batchOf(1, "a", 0, 1))
	poll, followed := textFollower(dir, "a")
	seq := uint64(2)
	for i := 1; i < 400; i += 7 {
		s.WriteBatch(batchOf(seq, "a", i, 7))
		seq += 7
		poll()
	}
	arch, _ := Archives(filepath.Join(dir, "a"))
	if len(arch) != 3 {
		t.Fatalf("%d rotated files", len(arch))
	}
	if len(*followed) != 399 || (*followed)[0] != "a 000001" || (*followed)[398] != "a 000399" {
		t.Fatalf("followed %d lines", len(*followed))
	}
	last, err := LastLines(dir, "a", 50, Snapshot(dir, "a"))
	if err != nil || len(last) != 50 {
		t.Fatalf("%d lines, %v", len(last), err)
	}
	if p, _ := ParseLine(last[49]); string(p.Text) != "a 000399" {
		t.Fatalf("last line %q", last[49])
	}
	if p, _ := ParseLine(last[0]); string(p.Text) != "a 000350" {
		t.Fatalf("first of the last 50: %q", last[0])
	}
}

// The audit log is rotated like a service's file (issue 17): a jail whose
// services keep crashing cannot grow it without bound, and no event is
// lost from what is kept.
func TestAuditLogRotates(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenJail(dir, StoreConfig{RotateSize: 4096, Keep: 2})
	s.BeginStream("b", time.Now())
	for i := range 1000 {
		if err := s.Event(time.Now(), "restart", "service", "crashy", "n", strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	arch, _ := Archives(dir)
	if len(arch) != 2 {
		t.Fatalf("%d rotated audit logs, want 2", len(arch))
	}
	var all []byte
	for _, p := range append(arch, filepath.Join(dir, AuditName)) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 4096+100 {
			t.Errorf("%s: %d bytes, beyond the rotation size", p, len(b))
		}
		all = append(all, b...)
	}
	if !bytes.HasSuffix(all, []byte(" n=999\n")) || bytes.Count(all, []byte("\n")) < 60 {
		t.Fatalf("kept audit events end %q", all[max(0, len(all)-100):])
	}
}

func TestSyslog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := DialSyslog(SyslogConfig{Addr: "unix:" + sock, Facility: "local3"})
	if err != nil {
		t.Fatal(err)
	}
	s.Send("web1", &Record{Time: 1714564800123456789, Service: "nginx", Stream: Stderr, Text: []byte("oops")})
	s.Close()
	buf := make([]byte, 1024)
	ln.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := ln.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := "<156>" + time.Unix(0, 1714564800123456789).Format(time.Stamp) + " web1/nginx/stderr: oops"
	if string(buf[:n]) != want {
		t.Fatalf("got  %q\nwant %q", buf[:n], want)
	}
	host, _ := os.Hostname()
	r := &Record{Time: 1714564800123456789, Service: "nginx", Stream: Stdout, Text: []byte("a b")}
	if got, want := string(formatNet(nil, 3, host, "web1", r, true)), ` <30>1 2024-05-01T12:00:00.123456Z `+host+` web1 - - [jails@32473 service="nginx" stream="stdout"] a b`; !strings.HasSuffix(got, want) || !strings.HasPrefix(got, strconv.Itoa(len(want)-1)+" ") {
		t.Fatalf("octet-counted: %q", got)
	}
	for _, bad := range []SyslogConfig{{Addr: "udp:10.0.0.1:514"}, {Addr: "tcp:x"}, {Addr: "tcp:192.168.1.1:514"}, {Addr: "/x", Facility: "nope"}, {Addr: "syslog.example:514"}} {
		if _, err := DialSyslog(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// A follower that looks only after several rotations still reads the
// files rotated in between, in order (keep is large enough that none was
// pruned).
func TestFollowAcrossSeveralRotationsBetweenLooks(t *testing.T) {
	dir := t.TempDir()
	s, _ := OpenJail(dir, StoreConfig{RotateSize: 4096, Keep: 50})
	s.BeginStream("b", time.Now())
	s.WriteBatch(batchOf(1, "a", 0, 1))
	poll, followed := textFollower(dir, "a")
	poll()
	seq := uint64(2)
	for i := 1; i < 400; i += 7 { // several rotations, no look in between
		s.WriteBatch(batchOf(seq, "a", i, 7))
		seq += 7
	}
	poll()
	if arch, _ := Archives(filepath.Join(dir, "a")); len(arch) < 3 {
		t.Fatalf("only %d rotations: the test needs several between two looks", len(arch))
	}
	for i, txt := range *followed {
		if want := fmt.Sprintf("a %06d", i+1); txt != want {
			t.Fatalf("line %d is %q, want %q (%d lines followed)", i, txt, want, len(*followed))
		}
	}
	if len(*followed) != 399 {
		t.Fatalf("followed %d lines, want 399", len(*followed))
	}
}

// textFollower follows svc from its current end; each poll appends the
// text of the new lines to *followed.
func textFollower(dir, svc string) (poll func(), followed *[]string) {
	fl := NewFollower(dir, svc, map[string]Cursor{svc: Snapshot(dir, svc)})
	followed = new([]string)
	poll = func() {
		fl.Poll(func(_ string, line []byte) {
			p, _ := ParseLine(line)
			*followed = append(*followed, string(p.Text))
		})
	}
	return poll, followed
}

// logrotate's two ways: a current file moved away (create) is noticed at
// the next batch and a new one started; one truncated in place
// (copytruncate) keeps being appended to, with its size taken again. A
// SIGHUP's Reopen closes the files, and the next batch opens them by name.
// Nothing is lost or written twice, and recovery after a crash still cuts
// only what follows the checkpoint.
func TestStoreFollowsLogrotate(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenJail(dir, StoreConfig{RotateSize: 1 << 20, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.BeginStream("boot1", time.Now()); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(ServiceDir(dir, "a"), CurrentName)
	if err := s.WriteBatch(batchOf(1, "a", 0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cur, cur+".1"); err != nil { // logrotate, create mode
		t.Fatal(err)
	}
	if err := s.WriteBatch(batchOf(11, "a", 10, 10)); err != nil {
		t.Fatal(err)
	}
	moved, _ := os.ReadFile(cur + ".1")
	now, _ := os.ReadFile(cur)
	if strings.Count(string(moved), "\n") != 10 || strings.Count(string(now), "\n") != 10 || !strings.Contains(string(now), "a 000010") {
		t.Fatalf("after mv: moved file %d lines, current %d lines", strings.Count(string(moved), "\n"), strings.Count(string(now), "\n"))
	}

	// copytruncate: copied, then cut to nothing.
	if err := os.Truncate(cur, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(batchOf(21, "a", 20, 5)); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(cur)
	if got := s.Checkpoint().Files["a"].Size; got != fi.Size() || strings.Count(mustRead(t, cur), "\n") != 5 {
		t.Fatalf("after copytruncate: checkpoint size %d, file %d bytes:\n%s", got, fi.Size(), mustRead(t, cur))
	}

	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	os.Rename(cur, cur+".2")
	if err := s.WriteBatch(batchOf(26, "a", 25, 5)); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, dir, "a"); len(got) != 5 || got[0] != "a 000025" {
		t.Fatalf("after SIGHUP and mv: current holds %q", got)
	}
	// A crash now: the new current is the checkpoint's, nothing is cut.
	s2, err := OpenJail(dir, StoreConfig{RotateSize: 1 << 20, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Rewind(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, dir, "a"); len(got) != 5 {
		t.Fatalf("rewind after the rotations cut the current file: %q", got)
	}
	s.Close()
	s2.Close()
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A commit that fails (a full disk; here the checkpoint cannot be
// written) changes nothing of the checkpoint, Close does not commit what
// followed it, and Rewind cuts the files back to the last checkpoint.
func TestFailedCommitClaimsNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenJail(dir, StoreConfig{RotateSize: 1 << 20, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.BeginStream("b", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(batchOf(1, "a", 0, 10)); err != nil {
		t.Fatal(err)
	}
	block := filepath.Join(dir, CheckpointName+".tmp")
	os.Mkdir(block, 0o755) // the next checkpoint cannot be written
	if err := s.WriteBatch(batchOf(11, "a", 10, 10)); err == nil {
		t.Fatal("a batch whose checkpoint failed was stored")
	}
	if cp := s.Checkpoint(); cp.Seq != 10 {
		t.Fatalf("checkpoint after a failed commit: seq %d", cp.Seq)
	}
	os.Remove(block)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenJail(dir, StoreConfig{RotateSize: 1 << 20, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	if s2.Checkpoint().Seq != 10 {
		t.Fatalf("Close committed after a failure: seq %d", s2.Checkpoint().Seq)
	}
	if err := s2.Rewind(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, dir, "a"); len(got) != 10 {
		t.Fatalf("after rewind: %d lines", len(got))
	}
	s2.Close()
}
