package logs

import (
	"bytes"
	"errors"
	"testing"
)

func line(t int64, st Stream, fl Flags, text string) []byte {
	var s Stamper
	return s.AppendLine(nil, &Record{Time: t, Stream: st, Flags: fl, Text: []byte(text)})
}

func TestBatchRoundTrip(t *testing.T) {
	web := append(line(1700000000123456789, Stdout, 0, "hello"), line(5, Stderr, Partial, "\x00\xff\xfe\r")...)
	db := line(-5, Jinit, 0, "exited: exit 3")
	b := AppendBatchHeader(nil, 7, 10)
	b = AppendSegment(b, "web", 2, web)
	b = AppendSegment(b, "db.x_y-z", 1, db)
	bt, err := DecodeBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	if bt.First != 7 || bt.Last != 10 || len(bt.Segments) != 2 {
		t.Fatalf("%+v", bt)
	}
	if s := bt.Segments[0]; s.Service != "web" || s.Lines != 2 || !bytes.Equal(s.Data, web) || s.Jinit {
		t.Errorf("segment 0: %+v", s)
	}
	if s := bt.Segments[1]; s.Service != "db.x_y-z" || !s.Jinit {
		t.Errorf("segment 1: %+v", s)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := line(1, Stdout, 0, "x")
	cases := map[string][]byte{
		"first 0":      AppendSegment(AppendBatchHeader(nil, 0, 1), "s", 1, good),
		"last<first":   AppendSegment(AppendBatchHeader(nil, 5, 4), "s", 1, good),
		"no service":   AppendSegment(AppendBatchHeader(nil, 1, 1), "", 1, good),
		"dot service":  AppendSegment(AppendBatchHeader(nil, 1, 1), "..", 1, good),
		"slash":        AppendSegment(AppendBatchHeader(nil, 1, 1), "a/b", 1, good),
		"count":        AppendSegment(AppendBatchHeader(nil, 1, 5), "s", 2, good),
		"zero lines":   AppendSegment(AppendBatchHeader(nil, 1, 5), "s", 0, nil),
		"no newline":   AppendSegment(AppendBatchHeader(nil, 1, 1), "s", 1, good[:len(good)-1]),
		"bad stamp":    AppendSegment(AppendBatchHeader(nil, 1, 1), "s", 1, append([]byte("X"), good[1:]...)),
		"bad stream":   AppendSegment(AppendBatchHeader(nil, 1, 1), "s", 1, []byte("2024-05-01T12:00:00.000000000Z stdin x\n")),
		"more lines":   AppendSegment(AppendBatchHeader(nil, 1, 1), "s", 2, append(good, good...)),
		"trailing":     append(AppendSegment(AppendBatchHeader(nil, 1, 1), "s", 1, good), 3),
		"short header": {0, 0, 0},
	}
	for name, b := range cases {
		if _, err := DecodeBatch(b); !errors.Is(err, ErrBadBatch) {
			t.Errorf("%s: got %v, want ErrBadBatch", name, err)
		}
	}
}

// FuzzDecodeBatch: the collector decodes what jinit (inside a jail) sends.
// Decoding never panics; whatever decodes holds only valid service names
// and well-formed lines, and encodes back to the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	good := append(line(1, Stdout, 0, "hello"), line(2, Jinit, Partial, "\xff")...)
	f.Add(AppendSegment(AppendBatchHeader(nil, 1, 2), "web", 2, good))
	f.Add(AppendBatchHeader(nil, 1, 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		bt, err := DecodeBatch(b)
		if err != nil {
			return
		}
		re := AppendBatchHeader(nil, bt.First, bt.Last)
		for _, s := range bt.Segments {
			if ValidService(s.Service) != nil {
				t.Fatalf("decoded an invalid service %q", s.Service)
			}
			n := 0
			EachLine(s.Data, func(l []byte) {
				if _, err := ParseLine(l); err != nil && !errors.Is(err, errBadLine) {
					t.Fatalf("line %q: %v", l, err)
				}
				n++
			})
			if n != s.Lines {
				t.Fatalf("%d lines, segment says %d", n, s.Lines)
			}
			re = AppendSegment(re, s.Service, s.Lines, s.Data)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", re, b)
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

func TestLineFormat(t *testing.T) {
	for _, c := range []struct {
		st   Stream
		fl   Flags
		text string
		want string
	}{
		{Stderr, Partial, "a b", "2024-05-01T12:00:00.123456789Z stderr P a b\n"},
		{Stdout, 0, "x", "2024-05-01T12:00:00.123456789Z stdout F x\n"},
		{Stdout, 0, "", "2024-05-01T12:00:00.123456789Z stdout F \n"},
		{Jinit, 0, "started (pid 9)", "2024-05-01T12:00:00.123456789Z stderr F:jinit started (pid 9)\n"},
		{Jinit, Partial, "exit", "2024-05-01T12:00:00.123456789Z stderr P:jinit exit\n"},
	} {
		var s Stamper
		l := s.AppendLine(nil, &Record{Time: 1714564800123456789, Stream: c.st, Flags: c.fl, Text: []byte(c.text)})
		if string(l) != c.want {
			t.Errorf("%v %v %q: %q, want %q", c.st, c.fl, c.text, l, c.want)
			continue
		}
		p, err := ParseLine(l[:len(l)-1])
		if err != nil || p.Stream != c.st || p.Partial != (c.fl == Partial) || string(p.Text) != c.text || p.Time.UnixNano() != 1714564800123456789 {
			t.Errorf("%q parsed as %+v %v", l, p, err)
		}
	}
}

// Lines of the earlier format (TIME STREAM[+] TEXT) still read.
func TestLineFormatLegacy(t *testing.T) {
	for _, c := range []struct {
		line    string
		st      Stream
		partial bool
		text    string
	}{
		{"2024-05-01T12:00:00.123456789Z stderr+ a b", Stderr, true, "a b"},
		{"2024-05-01T12:00:00.123456789Z stdout hello world", Stdout, false, "hello world"},
		{"2024-05-01T12:00:00.123456789Z jinit exited: exit 3", Jinit, false, "exited: exit 3"},
		{"2024-05-01T12:00:00.123456789Z jinit+ F x", Jinit, true, "F x"},
	} {
		p, err := ParseLine([]byte(c.line))
		if err != nil || p.Stream != c.st || p.Partial != c.partial || string(p.Text) != c.text {
			t.Errorf("%q parsed as %+v %v", c.line, p, err)
		}
	}
	for _, bad := range []string{"2024-05-01T12:00:00.123456789Z stdin F x", "2024-05-01T12:00:00.123456789Z F:jinit x"} {
		if _, err := ParseLine([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
