package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jailsproject/jails/logs"
)

// fakeJails is a jails instance without jails: each running jail is a log
// buffer (the one jinit uses) whose stream the collector subscribes to
// directly; the wire between them is tested by jailctl's log tests.
type fakeJails struct {
	root string
	mu   sync.Mutex
	run  map[string]*fakeJinit
	last map[string]lastExit
	subs map[string]int
	// spills by jail and boot
	spills map[string]map[string][]byte
}

type lastExit struct {
	at     time.Time
	reason string
}

func newJails(t *testing.T) *fakeJails {
	return &fakeJails{root: t.TempDir(), run: map[string]*fakeJinit{}, last: map[string]lastExit{}, subs: map[string]int{},
		spills: map[string]map[string][]byte{}}
}

func (f *fakeJails) Running() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.run {
		out = append(out, n)
	}
	return out, nil
}

func (f *fakeJails) Alive(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.run[name] != nil
}

func (f *fakeJails) LogRoot() string           { return f.root }
func (f *fakeJails) LogDir(name string) string { return filepath.Join(f.root, name) }

func (f *fakeJails) Collected() ([]string, error) {
	ents, err := os.ReadDir(f.root)
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, err
}

func (f *fakeJails) StoreConfig(_ string, def logs.StoreConfig) logs.StoreConfig { return def }

func (f *fakeJails) LastExit(name string) (time.Time, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.last[name]
	return l.at, l.reason, ok
}

func (f *fakeJails) Started(string) time.Time { return time.Time{} }

func (f *fakeJails) ReportStore(string, *StoreState) {}

func (f *fakeJails) Spilled() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n, s := range f.spills {
		if len(s) > 0 {
			out = append(out, n)
		}
	}
	return out, nil
}

func (f *fakeJails) Spills(name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for b := range f.spills[name] {
		out = append(out, b)
	}
	return out, nil
}

func (f *fakeJails) OpenSpill(name, boot string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return io.NopCloser(bytes.NewReader(f.spills[name][boot])), nil
}

func (f *fakeJails) RemoveSpill(name, boot string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.spills[name], boot)
	return nil
}

// spill ends a jail's run as jinit does when no collector takes its
// lines: what the buffer holds goes into a spill.
func (f *fakeJails) spill(t *testing.T, jail string, j *fakeJinit, reason string) {
	t.Helper()
	var b bytes.Buffer
	if _, err := j.buf.Spill(&b); err != nil {
		t.Fatal(err)
	}
	f.stopJinit(jail, reason)
	f.mu.Lock()
	if f.spills[jail] == nil {
		f.spills[jail] = map[string][]byte{}
	}
	f.spills[jail][j.buf.Boot()] = b.Bytes()
	f.mu.Unlock()
}

func (f *fakeJails) Subscribe(ctx context.Context, name string, cp logs.Checkpoint) (Stream, error) {
	f.mu.Lock()
	j := f.run[name]
	f.subs[name]++
	f.mu.Unlock()
	if j == nil {
		return nil, errors.New("not running")
	}
	return j.subscribe(cp)
}

func (f *fakeJails) subscriptions(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subs[name]
}

// fakeJinit is one running jail: its log buffer, or a fixed stream.
type fakeJinit struct {
	buf    *logs.Buffer
	fixed  func() Stream
	ctx    context.Context
	cancel context.CancelFunc
}

func (j *fakeJinit) subscribe(cp logs.Checkpoint) (Stream, error) {
	if j.fixed != nil {
		return j.fixed(), nil
	}
	gen, _ := j.buf.Subscribe(cp.Boot, cp.Seq)
	ctx, cancel := context.WithCancel(j.ctx)
	return &bufStream{buf: j.buf, gen: gen, ctx: ctx, cancel: cancel}, nil
}

// bufStream is a subscription to a buffer, as jinit serves it.
type bufStream struct {
	buf    *logs.Buffer
	gen    uint64
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *bufStream) Boot() string { return s.buf.Boot() }
func (s *bufStream) Next(*[]byte) ([]byte, error) {
	return s.buf.Next(s.ctx, s.gen, logs.DefaultBatch)
}
func (s *bufStream) Ack(seq uint64) error { s.buf.Ack(seq); return nil }
func (s *bufStream) Close() error {
	s.cancel()
	s.buf.Unsubscribe(s.gen)
	return nil
}

func startJinit(t *testing.T, jails *fakeJails, jail, boot string) *fakeJinit {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	j := &fakeJinit{buf: logs.NewBuffer(logs.BufferConfig{Boot: boot}), ctx: ctx, cancel: cancel}
	jails.mu.Lock()
	jails.run[jail] = j
	jails.mu.Unlock()
	t.Cleanup(cancel)
	return j
}

func (j *fakeJinit) write(svc string, lines ...string) {
	src := j.buf.Source(svc, logs.Stdout)
	src.Feed(time.Now().UnixNano(), []byte(strings.Join(lines, "\n")+"\n"))
	j.buf.Kick()
}

// stopJinit ends a jail's run with the reason its keeper would record.
func (f *fakeJails) stopJinit(jail, reason string) {
	f.mu.Lock()
	j := f.run[jail]
	delete(f.run, jail)
	f.last[jail] = lastExit{time.Now(), reason}
	f.mu.Unlock()
	j.cancel()
}

func runCollector(t *testing.T, jails Jails) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := New(Config{Jails: jails, Poll: 20 * time.Millisecond, Retry: 20 * time.Millisecond})
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func stored(jails Jails, jail, svc string) []string {
	dir := jails.LogDir(jail)
	r, err := logs.NewServiceReader(dir, svc, time.Time{}, logs.Snapshot(dir, svc))
	if err != nil {
		return nil
	}
	defer r.Close()
	var out []string
	for l := r.Next(); l != nil; l = r.Next() {
		p, _ := logs.ParseLine(l)
		out = append(out, string(p.Text))
	}
	return out
}

// A jail restarted while no collector ran: the old stream's end and the
// new one's start are in the audit log, and both streams' lines are kept.
// A second collector on the same store is refused.
func TestCollectorAcrossJailRestart(t *testing.T) {
	st := newJails(t)
	j := startJinit(t, st, "j1", "boot-1")
	j.write("web", "one", "two")
	stop := runCollector(t, st)
	waitFor(t, "the first lines", func() bool { return len(stored(st, "j1", "web")) == 2 })

	c2 := New(Config{Jails: st})
	if err := c2.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "another collector") {
		t.Fatalf("a second collector: %v", err)
	}
	stop()

	st.stopJinit("j1", "jinit exited with status 1")
	j = startJinit(t, st, "j1", "boot-2")
	j.write("web", "three")
	stop = runCollector(t, st)
	waitFor(t, "the second stream", func() bool { return len(stored(st, "j1", "web")) == 3 })
	j.write("web", "four")
	waitFor(t, "more of it", func() bool { return len(stored(st, "j1", "web")) == 4 })

	st.stopJinit("j1", "stopped")
	waitFor(t, "the stop in the audit log", func() bool {
		b, _ := os.ReadFile(filepath.Join(st.LogDir("j1"), logs.AuditName))
		return strings.Contains(string(b), " stop reason=stopped")
	})
	stop()
	if got := strings.Join(stored(st, "j1", "web"), ","); got != "one,two,three,four" {
		t.Fatalf("stored %s", got)
	}
	b, _ := os.ReadFile(filepath.Join(st.LogDir("j1"), logs.AuditName))
	var events []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		events = append(events, strings.SplitN(l, " ", 3)[1])
	}
	if got := strings.Join(events, ","); got != "start,jinit-exit,start,stop" {
		t.Fatalf("audit events %s:\n%s", got, b)
	}
	if !strings.Contains(string(b), `reason="jinit exited with status 1"`) {
		t.Errorf("audit log:\n%s", b)
	}
}

// badStream sends one batch whose service name leaves the jail's directory.
type badStream struct{ sent bool }

func (s *badStream) Boot() string { return "b" }
func (s *badStream) Next(*[]byte) ([]byte, error) {
	if s.sent {
		return nil, io.EOF // the collector must not ask again
	}
	s.sent = true
	return logs.AppendSegment(logs.AppendBatchHeader(nil, 1, 1), "../etc", 1, []byte("2024-01-01T00:00:00.000000000Z stdout F x\n")), nil
}
func (s *badStream) Ack(uint64) error { return errors.New("a bad batch was acknowledged") }
func (s *badStream) Close() error     { return nil }

// A batch that does not decode ends the subscription; nothing of it is
// stored, and the collector subscribes again.
func TestCollectorRefusesBadBatch(t *testing.T) {
	st := newJails(t)
	j := startJinit(t, st, "j2", "b")
	j.fixed = func() Stream { return &badStream{} }
	stop := runCollector(t, st)
	defer stop()
	waitFor(t, "a second subscription after a bad batch", func() bool { return st.subscriptions("j2") >= 2 })
	ents, _ := os.ReadDir(st.LogDir("j2"))
	for _, e := range ents {
		if e.IsDir() {
			t.Errorf("%s stored", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(st.root, "etc")); err == nil {
		t.Error("a path outside the jail's directory was created")
	}
}

func numbered(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("line %d", i))
	}
	return out
}

// Spills are stored exactly once: the rest of a stream a collector had
// begun (after its checkpoint), and a whole stream no collector saw, each
// with its start and end in the audit log; a spill that does not decode is
// removed and stores nothing.
func TestCollectorStoresSpills(t *testing.T) {
	st := newJails(t)
	j := startJinit(t, st, "j1", "b1")
	j.write("web", numbered(1, 10)...)
	stop := runCollector(t, st)
	waitFor(t, "the first lines", func() bool { return len(stored(st, "j1", "web")) == 10 })
	stop()
	j.write("web", numbered(11, 30)...)
	st.spill(t, "j1", j, "the jail's keeper process died")

	j2 := startJinit(t, st, "j2", "b2")
	j2.write("db", numbered(1, 5)...)
	st.spill(t, "j2", j2, "stopped")
	st.spills["j3"] = map[string][]byte{"b3": []byte("jails-spill 1 b3\n\x00\x00\x00\x05junk!")}

	stop = runCollector(t, st)
	waitFor(t, "the spills stored", func() bool {
		l, _ := st.Spilled()
		return len(l) == 0
	})
	stop()
	if got, want := strings.Join(stored(st, "j1", "web"), ","), strings.Join(numbered(1, 30), ","); got != want {
		t.Errorf("j1: %s", got)
	}
	if got := strings.Join(stored(st, "j2", "db"), ","); got != strings.Join(numbered(1, 5), ",") {
		t.Errorf("j2: %s", got)
	}
	if svcs, _ := logs.Services(st.LogDir("j3")); len(svcs) != 0 {
		t.Errorf("a bad spill stored %v", svcs)
	}
	for jail, want := range map[string]string{"j1": "start,jinit-exit", "j2": "start,stop"} {
		b, _ := os.ReadFile(filepath.Join(st.LogDir(jail), logs.AuditName))
		var events []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			events = append(events, strings.SplitN(l, " ", 3)[1])
		}
		if got := strings.Join(events, ","); got != want {
			t.Errorf("%s audit events %s:\n%s", jail, got, b)
		}
	}
}
