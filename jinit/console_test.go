package main

import (
	"os"
	"strings"
	"testing"

	"github.com/jailsproject/jails/kmod"
)

// Past its cap the console takes no message, whole or cut; what was
// dropped is said at the end, and the last word always gets through.
func TestConsoleCap(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "console")
	if err != nil {
		t.Fatal(err)
	}
	c := &cappedConsole{f: f, max: 100}
	msg := strings.Repeat("x", 39) + "\n"
	for range 10 {
		if n, err := c.Write([]byte(msg)); n != len(msg) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil (a dropped message is not an error)", n, err, len(msg))
		}
	}
	lastWord = "abc"
	defer func() { lastWord = "" }()
	c.finish(3)
	b, _ := os.ReadFile(f.Name())
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 4 || lines[0]+"\n" != msg || lines[1]+"\n" != msg {
		t.Fatalf("console:\n%s", b)
	}
	if !strings.Contains(lines[2], "320 bytes of messages were not written") {
		t.Fatalf("no count of what was dropped: %q", lines[2])
	}
	if ws, ok := kmod.FindConsoleWord(b, "abc"); !ok || ws.ExitStatus() != 3 {
		t.Fatalf("last word: %v %v in\n%s", ws, ok, b)
	}
}
