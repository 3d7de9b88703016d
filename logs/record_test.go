package logs

import (
	"bytes"
	"errors"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	in := []Record{
		{Seq: 1, Time: 1700000000123456789, Service: "web", Stream: Stdout, Text: []byte("hello")},
		{Seq: 2, Time: -5, Service: "web", Stream: Stderr, Flags: Partial, Text: []byte{0, 0xff, 0xfe, '\r'}},
		{Seq: 9, Time: 3, Service: "db.x_y-z", Stream: Jinit, Text: nil},
	}
	var b []byte
	for i := range in {
		b = AppendRecord(b, &in[i])
	}
	var out []Record
	if err := DecodeBatch(b, func(r *Record) error { out = append(out, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("got %d records", len(out))
	}
	for i := range in {
		a, o := in[i], out[i]
		if a.Seq != o.Seq || a.Time != o.Time || a.Service != o.Service || a.Stream != o.Stream || a.Flags != o.Flags || !bytes.Equal(a.Text, o.Text) {
			t.Errorf("record %d: %+v != %+v", i, o, a)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good := Record{Seq: 5, Time: 1, Service: "s", Stream: Stdout, Text: []byte("x")}
	cases := map[string]func(r *Record){
		"seq 0":       func(r *Record) { r.Seq = 0 },
		"stream 0":    func(r *Record) { r.Stream = 0 },
		"stream 4":    func(r *Record) { r.Stream = 4 },
		"flags":       func(r *Record) { r.Flags = 2 },
		"no service":  func(r *Record) { r.Service = "" },
		"dot service": func(r *Record) { r.Service = ".." },
		"slash":       func(r *Record) { r.Service = "a/b" },
		"newline":     func(r *Record) { r.Text = []byte("a\nb") },
	}
	for name, mut := range cases {
		r := good
		mut(&r)
		b := AppendRecord(nil, &r)
		if err := DecodeBatch(b, func(*Record) error { return nil }); !errors.Is(err, ErrBadRecord) {
			t.Errorf("%s: got %v, want ErrBadRecord", name, err)
		}
	}
	b := AppendRecord(nil, &good)
	b = AppendRecord(b, &good) // same sequence twice
	if err := DecodeBatch(b, func(*Record) error { return nil }); !errors.Is(err, ErrBadRecord) {
		t.Errorf("repeated seq: %v", err)
	}
	if err := DecodeBatch(b[:30], func(*Record) error { return nil }); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
}

// FuzzDecodeBatch: the collector decodes what jinit (inside a jail) sends.
// Decoding never panics, and whatever decodes encodes back to the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	r1 := Record{Seq: 1, Time: 2, Service: "web", Stream: Stdout, Text: []byte("hello")}
	r2 := Record{Seq: 7, Time: 2, Service: "db", Stream: Jinit, Flags: Partial, Text: []byte{0xff}}
	f.Add(AppendRecord(AppendRecord(nil, &r1), &r2))
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var re []byte
		n := 0
		err := DecodeBatch(b, func(r *Record) error {
			if err := ValidService(r.Service); err != nil {
				t.Fatalf("decoded an invalid service: %v", err)
			}
			if bytes.IndexByte(r.Text, '\n') >= 0 {
				t.Fatal("decoded a newline")
			}
			re = AppendRecord(re, r)
			n++
			return nil
		})
		if err == nil && !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", re, b)
		}
		if err != nil && !bytes.Equal(re, b[:len(re)]) {
			t.Fatalf("records before the error do not re-encode to the input's prefix")
		}
	})
}

func TestAck(t *testing.T) {
	s, err := DecodeAck(EncodeAck(1<<40 + 3))
	if err != nil || s != 1<<40+3 {
		t.Fatal(s, err)
	}
	if _, err := DecodeAck([]byte{1, 2}); err == nil {
		t.Fatal("short ack accepted")
	}
}
