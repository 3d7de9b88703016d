package kmod

import (
	"strings"
	"testing"
)

func TestFindConsoleWord(t *testing.T) {
	inc := "a0915c61a25e935f"
	cases := []struct {
		tail string
		code int
		ok   bool
	}{
		{string(ConsoleWord(inc, 0)), 0, true},
		{"noise\n" + string(ConsoleWord(inc, 3)) + "more noise\n", 3, true},
		{string(ConsoleWord(inc, 1)) + string(ConsoleWord(inc, 2)), 2, true},
		{string(ConsoleWord("0000000000000000", 0)), 0, false}, // another start's
		{strings.TrimSuffix(string(ConsoleWord(inc, 0)), "\n"), 0, false},
		{"xjinit: exit status 0, start " + inc + "\n", 0, false},
		{"jinit: exit status 256, start " + inc + "\n", 0, false},
		{"jinit: exit status -1, start " + inc + "\n", 0, false},
		{"jinit: exit status 07, start " + inc + "\n", 0, false},
		{"jinit: exit status 0, start " + inc + " \n", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		ws, ok := FindConsoleWord([]byte(c.tail), inc)
		if ok != c.ok || ok && (!ws.Exited() || ws.ExitStatus() != c.code) {
			t.Errorf("FindConsoleWord(%q) = %v (exit %d), %v; want %d, %v", c.tail, ws, ws.ExitStatus(), ok, c.code, c.ok)
		}
	}
	if _, ok := FindConsoleWord(ConsoleWord("", 0), ""); ok {
		t.Error("an empty incarnation matched")
	}
}

func FuzzFindConsoleWord(f *testing.F) {
	f.Add([]byte("jinit: exit status 0, start abc\n"), "abc")
	f.Add([]byte("\n\n\x00jinit: exit status 255, start abc\nx"), "abc")
	f.Fuzz(func(t *testing.T, tail []byte, inc string) {
		ws, ok := FindConsoleWord(tail, inc)
		if ok && (!ws.Exited() || ws.ExitStatus() < 0 || ws.ExitStatus() > 255 || inc == "") {
			t.Fatalf("FindConsoleWord(%q, %q) = %v", tail, inc, ws)
		}
	})
}
