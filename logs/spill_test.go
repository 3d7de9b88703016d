package logs

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// Spill holds what the collector did not acknowledge: batches in flight
// and lines never sent, in sequence order, and nothing acknowledged.
func TestSpillRoundTrip(t *testing.T) {
	b := NewBuffer(BufferConfig{Boot: "00ff"})
	feed := func(svc string, from, to int) {
		var data []byte
		for i := from; i <= to; i++ {
			data = fmt.Appendf(data, "%s %d\n", svc, i)
		}
		b.Source(svc, Stdout).Feed(time.Now().UnixNano(), data)
	}
	feed("a", 1, 5)
	gen, _ := b.Subscribe("", 0)
	first, err := b.Next(context.Background(), gen, DefaultBatch)
	if err != nil {
		t.Fatal(err)
	}
	bt, _ := DecodeBatch(first)
	b.Ack(bt.Last) // stored: a 1..5
	feed("b", 1, 3)
	if _, err := b.Next(context.Background(), gen, DefaultBatch); err != nil { // in flight: b 1..3
		t.Fatal(err)
	}
	feed("a", 6, 8) // never sent
	b.Unsubscribe(gen)
	var out bytes.Buffer
	n, err := b.Spill(&out)
	if err != nil || n != 6 {
		t.Fatalf("spilled %d, %v", n, err)
	}
	var got []string
	boot, err := ReadSpill(bytes.NewReader(out.Bytes()), func(boot string, bt *Batch) error {
		for _, sg := range bt.Segments {
			EachLine(sg.Data, func(l []byte) {
				p, _ := ParseLine(l)
				got = append(got, string(p.Text))
			})
		}
		return nil
	})
	if err != nil || boot != "00ff" || fmt.Sprint(got) != "[b 1 b 2 b 3 a 6 a 7 a 8]" {
		t.Fatalf("read back %q %v: %q", boot, err, got)
	}
}

// A spill comes from the jail: whatever it holds, ReadSpill returns an
// error or batches that decode, and never reads a frame beyond its bound.
func FuzzReadSpill(f *testing.F) {
	b := NewBuffer(BufferConfig{Boot: "ab"})
	b.Source("s", Stderr).Feed(1, []byte("x\nyz\n"))
	var good bytes.Buffer
	b.Spill(&good)
	f.Add(good.Bytes())
	f.Add([]byte("jails-spill 1 ab\n\x00\x00\x00\x01L"))
	f.Add([]byte("jails-spill 1 ../x\n"))
	f.Add([]byte("jails-spill 1 ab\n\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ReadSpill(bytes.NewReader(data), func(boot string, bt *Batch) error {
			if !ValidBoot(boot) {
				t.Fatalf("boot %q", boot)
			}
			for _, sg := range bt.Segments {
				if ValidService(sg.Service) != nil {
					t.Fatalf("service %q", sg.Service)
				}
			}
			return nil
		})
	})
}
