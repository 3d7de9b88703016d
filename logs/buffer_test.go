package logs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pending reports whether Next would return at once.
func (b *Buffer) pending() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.resend < len(b.inflight) || len(b.active) > 0
}

// drain sends everything to a pretend collector, returning the records;
// with ack it acknowledges each batch.
func drain(t *testing.T, b *Buffer, gen uint64, ack bool) []Record {
	t.Helper()
	var out []Record
	for b.pending() {
		data, err := b.Next(context.Background(), gen, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var last uint64
		if err := DecodeBatch(data, func(r *Record) error {
			c := *r
			c.Text = append([]byte(nil), r.Text...)
			out = append(out, c)
			last = r.Seq
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if ack {
			b.Ack(last)
		}
	}
	return out
}

func texts(rs []Record) string {
	var s []string
	for _, r := range rs {
		m := ""
		if r.Flags&Partial != 0 {
			m = "+"
		}
		s = append(s, fmt.Sprintf("%s/%s%s:%s", r.Service, r.Stream, m, r.Text))
	}
	return strings.Join(s, " | ")
}

func TestSplitLines(t *testing.T) {
	b := NewBuffer(BufferConfig{LineMax: 4, Boot: "b"})
	out := b.Source("s", Stdout)
	out.Feed(1, []byte("ab\ncd"))
	out.Feed(2, []byte("ef\n\n"))    // "cdef" is exactly the limit: one line
	out.Feed(3, []byte("123456789")) // 1234+ 5678+ then 9 pending
	out.Feed(4, []byte("0\nxyz"))
	out.Flush(5)
	b.Message("s", 6, "exited: exit 3\nsecond")
	gen, _ := b.Subscribe("b", 0)
	got := texts(drain(t, b, gen, true))
	want := "s/stdout:ab | s/stdout:cdef | s/stdout: | s/stdout+:1234 | s/stdout+:5678 | s/stdout:90 | s/stdout+:xyz | s/jinit+:exit | s/jinit+:ed:  | s/jinit+:exit | s/jinit: 3 | s/jinit+:seco | s/jinit:nd"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	c := b.Counters()["s"]
	if c.Lines != 7 || c.Bytes != 2+4+0+4+4+2+3 {
		t.Errorf("counters %+v", c)
	}
	if !b.Idle() {
		t.Error("not idle after everything was acknowledged")
	}
}

func TestMergeOrderAndResend(t *testing.T) {
	b := NewBuffer(BufferConfig{Boot: "b1"})
	a, e := b.Source("a", Stdout), b.Source("b", Stderr)
	for i := 0; i < 50; i++ {
		a.Feed(int64(i), []byte(fmt.Sprintf("a%d\n", i)))
		e.Feed(int64(i), []byte(fmt.Sprintf("b%d\nb%d.\n", i, i)))
	}
	gen, after := b.Subscribe("other", 77)
	if after != 0 {
		t.Fatalf("another boot's position was taken: %d", after)
	}
	first := drain(t, b, gen, false)
	if len(first) != 150 {
		t.Fatalf("got %d records", len(first))
	}
	for i, r := range first {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
	// The collector stored up to 100 and crashed: the rest comes again.
	gen, after = b.Subscribe("b1", 100)
	if after != 100 {
		t.Fatalf("resumes after %d", after)
	}
	again := drain(t, b, gen, true)
	if len(again) != 50 || again[0].Seq != 101 || again[49].Seq != 150 {
		t.Fatalf("resent %d records from %d", len(again), again[0].Seq)
	}
	if _, err := b.Next(context.Background(), gen-1, 100); err != ErrSuperseded {
		t.Fatalf("old subscription: %v", err)
	}
	if st := b.Stats(); st.Used != 0 || st.Acked != 150 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDropOldest(t *testing.T) {
	b := NewBuffer(BufferConfig{Limit: MinBuffer, Boot: "b"})
	b.SetDrop("d", true)
	src := b.Source("d", Stdout)
	const n = 5000
	for i := 0; i < n; i++ {
		src.Feed(int64(i), []byte(fmt.Sprintf("%08d %s\n", i, strings.Repeat("x", 90))))
	}
	if st := b.Stats(); st.Used > MinBuffer {
		t.Fatalf("buffer holds %d bytes, limit %d", st.Used, MinBuffer)
	}
	dropped := b.Counters()["d"].Dropped
	if dropped == 0 {
		t.Fatal("nothing dropped")
	}
	tail := b.Tail("d", 0, 1)
	if len(tail) != 1 || !strings.HasPrefix(string(tail[0].Text), fmt.Sprintf("%08d", n-1)) {
		t.Fatalf("tail %s", texts(tail))
	}
	gen, _ := b.Subscribe("b", 0)
	recs := drain(t, b, gen, true)
	if recs[0].Stream != Jinit || string(recs[0].Text) != fmt.Sprintf("dropped %d lines: log buffer full", dropped) {
		t.Fatalf("first record: %s", texts(recs[:1]))
	}
	lines := recs[1:]
	if uint64(len(lines))+dropped != n {
		t.Fatalf("%d kept + %d dropped != %d", len(lines), dropped, n)
	}
	if !strings.HasPrefix(string(lines[0].Text), fmt.Sprintf("%08d", dropped)) {
		t.Fatalf("the oldest were not the ones dropped: first kept %q", lines[0].Text[:8])
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq {
			t.Fatal("sequence not increasing")
		}
	}
}

// A service in blocking mode is never dropped: its reader waits for space.
func TestBackpressure(t *testing.T) {
	b := NewBuffer(BufferConfig{Limit: MinBuffer, Boot: "b"})
	src := b.Source("s", Stdout)
	line := []byte(strings.Repeat("y", 99) + "\n")
	fed := 0
	for b.WaitSpace(closedChan()) == 0 {
		src.Feed(1, line)
		fed++
	}
	done := make(chan time.Duration)
	go func() { done <- b.WaitSpace(nil) }()
	select {
	case <-done:
		t.Fatal("WaitSpace returned with the buffer full")
	case <-time.After(50 * time.Millisecond):
	}
	gen, _ := b.Subscribe("b", 0)
	recs := drain(t, b, gen, true)
	if d := <-done; d <= 0 {
		t.Fatalf("blocked for %v", d)
	}
	if len(recs) != fed || b.Counters()["s"].Dropped != 0 {
		t.Fatalf("fed %d, got %d", fed, len(recs))
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// jinit's messages never block and stay bounded.
func TestMessagesBounded(t *testing.T) {
	b := NewBuffer(BufferConfig{Limit: MinBuffer, Boot: "b"})
	for i := 0; i < 10000; i++ {
		b.Message("s", 1, "restarting in 1s")
	}
	if st := b.Stats(); st.Used > MinBuffer+messageSlack+100 {
		t.Fatalf("used %d", st.Used)
	}
	if b.Counters()["s"].Dropped == 0 {
		t.Fatal("nothing counted as dropped")
	}
}

func TestNextWaitsAndCancels(t *testing.T) {
	b := NewBuffer(BufferConfig{Boot: "b"})
	gen, _ := b.Subscribe("b", 0)
	got := make(chan []byte)
	go func() {
		d, _ := b.Next(context.Background(), gen, 100)
		got <- d
	}()
	time.Sleep(20 * time.Millisecond)
	b.Source("s", Stdout).Feed(1, []byte("late\n"))
	if d := <-got; len(d) == 0 {
		t.Fatal("empty batch")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Next(ctx, gen, 100); err == nil {
		t.Fatal("cancelled Next returned no error")
	}
	// A new subscription wakes the old one's waiting sender.
	errC := make(chan error)
	go func() { _, err := b.Next(context.Background(), gen, 100); errC <- err }()
	time.Sleep(20 * time.Millisecond)
	b.Subscribe("b", 0)
	if err := <-errC; err != ErrSuperseded {
		t.Fatalf("got %v", err)
	}
}
