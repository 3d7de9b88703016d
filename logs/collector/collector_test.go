package collector

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
)

// fakeJinit serves the log stream of a buffer on a jail's control socket,
// with the code jinit uses (control.ServeLogs), without a jail.
type fakeJinit struct {
	buf    *logs.Buffer
	cancel context.CancelFunc
	done   chan struct{}
}

type noHandler struct{}

func (noHandler) Handle(context.Context, control.Request) control.Response {
	return control.Response{Error: "not here"}
}

func (f *fakeJinit) Stream(ctx context.Context, req control.Request, conn *control.Conn) error {
	return control.ServeLogs(ctx, f.buf, req, conn)
}

func startJinit(t *testing.T, st *store.Store, jail, boot string) *fakeJinit {
	t.Helper()
	os.MkdirAll(st.RunDir(jail), 0o700)
	os.MkdirAll(st.JailDir(jail), 0o700) // for last-exit.json
	ln, err := net.Listen("unix", st.SockPath(jail))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeJinit{buf: logs.NewBuffer(logs.BufferConfig{Boot: boot}), cancel: cancel, done: make(chan struct{})}
	srv := &control.Server{Handler: noHandler{}, Streamer: f}
	go func() { srv.Serve(ctx, ln); close(f.done) }()
	t.Cleanup(f.stop)
	return f
}

func (f *fakeJinit) write(svc string, lines ...string) {
	src := f.buf.Source(svc, logs.Stdout)
	src.Feed(time.Now().UnixNano(), []byte(strings.Join(lines, "\n")+"\n"))
	f.buf.Kick()
}

func (f *fakeJinit) stop() {
	f.cancel()
	<-f.done
}

func runCollector(t *testing.T, st *store.Store) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := New(Config{Store: st, Poll: 20 * time.Millisecond, Retry: 20 * time.Millisecond})
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

func stored(st *store.Store, jail, svc string) []string {
	dir := st.LogDir(jail)
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
	st := store.NewStore(t.TempDir())
	j := startJinit(t, st, "j1", "boot-1")
	j.write("web", "one", "two")
	stop := runCollector(t, st)
	waitFor(t, "the first lines", func() bool { return len(stored(st, "j1", "web")) == 2 })

	c2 := New(Config{Store: st})
	if err := c2.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "another collector") {
		t.Fatalf("a second collector: %v", err)
	}
	stop()

	j.stop()
	os.RemoveAll(st.RunDir("j1"))
	st.WriteLast("j1", "jinit exited with status 1")
	j = startJinit(t, st, "j1", "boot-2")
	j.write("web", "three")
	stop = runCollector(t, st)
	waitFor(t, "the second stream", func() bool { return len(stored(st, "j1", "web")) == 3 })
	j.write("web", "four")
	waitFor(t, "more of it", func() bool { return len(stored(st, "j1", "web")) == 4 })

	j.stop()
	os.RemoveAll(st.RunDir("j1"))
	st.WriteLast("j1", "stopped")
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

// A batch that does not decode ends the connection; nothing of it is
// stored, and the collector reconnects.
func TestCollectorRefusesBadBatch(t *testing.T) {
	st := store.NewStore(t.TempDir())
	os.MkdirAll(st.RunDir("j2"), 0o700)
	ln, err := net.Listen("unix", st.SockPath("j2"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan int, 10)
	go func() {
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- n
			go func() {
				defer c.Close()
				control.ReadFrame(c, control.MaxFrame) // hello
				control.WriteJSON(c, control.TypeHello, control.Hello{Proto: control.Version})
				control.ReadFrame(c, control.MaxFrame) // logs request
				data, _ := json.Marshal(logs.SubscribeReply{Boot: "b"})
				control.WriteJSON(c, control.TypeResponse, control.Response{OK: true, Data: data})
				bad := logs.AppendSegment(logs.AppendBatchHeader(nil, 1, 1), "../etc", 1, []byte("2024-01-01T00:00:00.000000000Z stdout x\n"))
				control.WriteFrame(c, control.TypeLogs, bad)
				control.ReadFrame(c, control.MaxFrame)
			}()
		}
	}()
	stop := runCollector(t, st)
	defer stop()
	<-conns
	select {
	case <-conns:
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnection after a bad batch")
	}
	ents, _ := os.ReadDir(st.LogDir("j2"))
	for _, e := range ents {
		if e.IsDir() {
			t.Errorf("%s stored", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(st.Log, "etc")); err == nil {
		t.Error("a path outside the jail's directory was created")
	}
}
