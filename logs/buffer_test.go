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

// drain sends everything to a pretend collector, returning the lines as
// records (Seq is the batch's last); with ack it acknowledges each batch.
// It checks that batches follow each other without overlap.
func drain(t *testing.T, b *Buffer, gen uint64, ack bool) []Record {
	t.Helper()
	var out []Record
	var prev uint64
	for b.pending() {
		data, err := b.Next(context.Background(), gen, 1000)
		if err != nil {
			t.Fatal(err)
		}
		bt, err := DecodeBatch(data)
		if err != nil {
			t.Fatal(err)
		}
		if bt.First <= prev && prev != 0 {
			t.Fatalf("batch %d..%d after %d", bt.First, bt.Last, prev)
		}
		prev = bt.Last
		out = append(out, batchRecords(bt)...)
		if ack {
			b.Ack(bt.Last)
		}
	}
	return out
}

func batchRecords(bt Batch) []Record {
	var out []Record
	for _, sg := range bt.Segments {
		EachLine(sg.Data, func(l []byte) {
			p, err := ParseLine(l)
			if err != nil {
				panic(err)
			}
			fl := Flags(0)
			if p.Partial {
				fl = Partial
			}
			out = append(out, Record{Seq: bt.Last, Time: p.Time.UnixNano(), Service: sg.Service, Stream: p.Stream, Flags: fl, Text: append([]byte(nil), p.Text...)})
		})
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
	want := "s/stdout:ab | s/stdout:cdef | s/stdout: | s/stdout+:1234 | s/stdout+:5678 | s/stdout:90 | s/stdout:xyz | s/jinit+:exit | s/jinit+:ed:  | s/jinit+:exit | s/jinit: 3 | s/jinit+:seco | s/jinit:nd"
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

func TestBatchesAndResend(t *testing.T) {
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
	var batches []Batch
	for b.pending() {
		data, err := b.Next(context.Background(), gen, 1000)
		if err != nil {
			t.Fatal(err)
		}
		bt, _ := DecodeBatch(data)
		batches = append(batches, bt)
	}
	if len(batches) < 3 {
		t.Fatalf("only %d batches of about 1000 bytes", len(batches))
	}
	perSvc := map[string][]string{}
	for i, bt := range batches {
		if i > 0 && bt.First != batches[i-1].Last+1 {
			t.Fatalf("batch %d starts at %d after %d", i, bt.First, batches[i-1].Last)
		}
		for _, r := range batchRecords(bt) {
			perSvc[r.Service] = append(perSvc[r.Service], string(r.Text))
		}
	}
	if len(perSvc["a"]) != 50 || len(perSvc["b"]) != 100 || perSvc["a"][49] != "a49" || perSvc["b"][99] != "b49." {
		t.Fatalf("lines: %d %d", len(perSvc["a"]), len(perSvc["b"]))
	}
	// The collector stored the first two batches and crashed: the rest
	// comes again, as the same batches.
	gen, after = b.Subscribe("b1", batches[1].Last)
	if after != batches[1].Last {
		t.Fatalf("resumes after %d", after)
	}
	data, err := b.Next(context.Background(), gen, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if bt, _ := DecodeBatch(data); bt.First != batches[2].First || bt.Last != batches[2].Last {
		t.Fatalf("resent %d..%d, want batch 2", bt.First, bt.Last)
	}
	again := drain(t, b, gen, true)
	if n := len(again) + len(batchRecords(batches[2])); n != 150-len(batchRecords(batches[0]))-len(batchRecords(batches[1])) {
		t.Fatalf("resent %d lines", n)
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
	for i, r := range lines {
		if want := fmt.Sprintf("%08d", int(dropped)+i); string(r.Text[:8]) != want {
			t.Fatalf("line %d is %q, want %s: the oldest were not the ones dropped", i, r.Text[:8], want)
		}
	}
}

// A service in blocking mode is never dropped: its reader waits for space.
func TestBackpressure(t *testing.T) {
	b := NewBuffer(BufferConfig{Limit: MinBuffer, Boot: "b"})
	src := b.Source("s", Stdout)
	line := []byte(strings.Repeat("y", 99) + "\n")
	fed := 0
	for b.Stats().Used < MinBuffer {
		src.Feed(1, line)
		fed++
	}
	done := make(chan struct{})
	start := time.Now()
	go func() { b.WaitSpace("s", nil); close(done) }()
	select {
	case <-done:
		t.Fatal("WaitSpace returned with the buffer full")
	case <-time.After(50 * time.Millisecond):
	}
	// The blocked time counts while the wait goes on, and no longer than
	// the wait can have lasted (when the goroutine began is the scheduler's
	// business: on a loaded machine it may be late).
	got := b.Counters()["s"].BlockedNS
	for deadline := time.Now().Add(5 * time.Second); got == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		got = b.Counters()["s"].BlockedNS
	}
	if got == 0 || got > uint64(time.Since(start)) {
		t.Fatalf("blocked %v while waiting %v", time.Duration(got), time.Since(start))
	}
	gen, _ := b.Subscribe("b", 0)
	recs := drain(t, b, gen, true)
	<-done
	if len(recs) != fed || b.Counters()["s"].Dropped != 0 {
		t.Fatalf("fed %d, got %d", fed, len(recs))
	}
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
	select {
	case <-got:
		t.Fatal("a small write woke the sender before the reader ran dry")
	case <-time.After(20 * time.Millisecond):
	}
	b.Kick() // the reader found the pipe empty
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
