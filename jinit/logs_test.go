package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/logs"
)

func testCapture(t *testing.T, buffer int64) *Capture {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "s"), 0o755)
	os.WriteFile(filepath.Join(dir, "s", "run"), []byte("#!/bin/sh\n"), 0o755)
	c := newCapture(options{services: dir, logBuffer: buffer, logLineMax: 1024, logDrain: time.Second}, hclog.NewNullLogger())
	t.Cleanup(c.Close)
	return c
}

func tailText(c *Capture) []string {
	var out []string
	for _, r := range c.buf.Tail("", 0, 0) {
		m := ""
		if r.Flags&logs.Partial != 0 {
			m = "+"
		}
		out = append(out, r.Stream.String()+m+":"+string(r.Text))
	}
	return out
}

// jinit's message about a service comes after everything the service
// wrote before it, and an unterminated last line is flushed at its exit.
func TestCaptureOrdersMessages(t *testing.T) {
	c := testCapture(t, 0)
	out, errw := c.Output("s")
	if out2, _ := c.Output("s"); out2 != out {
		t.Fatal("a restarted service gets a new pipe")
	}
	for i := 0; i < 100; i++ {
		fmt.Fprintf(out, "line %d\n", i)
	}
	errw.Write([]byte("no newline"))
	c.Message("s", "exited: exit 3")
	got := tailText(c)
	if len(got) != 102 || got[99] != "stdout:line 99" {
		t.Fatalf("got %d records, %q", len(got), got[max(0, len(got)-3):])
	}
	if got[100] != "stderr:no newline" || got[101] != "jinit:exited: exit 3" {
		t.Fatalf("got %q", got[100:])
	}
	cnt := c.Counters()["s"]
	if cnt.Lines != 101 || cnt.Dropped != 0 {
		t.Fatalf("counters %+v", cnt)
	}
}

// The service's end of the pipe blocks when the buffer is full; the tail
// verb shows what is held.
func TestCaptureBlocksWriter(t *testing.T) {
	c := testCapture(t, logs.MinBuffer)
	out, _ := c.Output("s")
	done := make(chan struct{})
	go func() {
		defer close(done)
		line := []byte(strings.Repeat("x", 100) + "\n")
		for i := 0; i < 20000; i++ { // 2 MB: far more than buffer and pipe
			if _, err := out.Write(line); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	select {
	case <-done:
		t.Fatal("the writer was not blocked")
	case <-time.After(500 * time.Millisecond):
	}
	if c.Counters()["s"].BlockedNS == 0 {
		t.Fatal("no blocked time counted")
	}
	resp := c.Tail(control.Request{Lines: 5})
	if !resp.OK || !strings.Contains(string(resp.Data), `"records":[`) {
		t.Fatalf("tail: %+v", resp)
	}
	go func() {
		gen, _ := c.buf.Subscribe(c.buf.Boot(), 0)
		for {
			b, err := c.buf.Next(t.Context(), gen, logs.DefaultBatch)
			if err != nil {
				return
			}
			bt, _ := logs.DecodeBatch(b)
			c.buf.Ack(bt.Last)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer stayed blocked with a collector reading")
	}
}
