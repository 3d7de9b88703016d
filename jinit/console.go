package main

import (
	"fmt"
	"os"
	"sync"

	"github.com/jailsproject/jails/kmod"
)

// jinit's own messages go to its console, a host file (the jail's
// console.log). A jail that a keeper holds has it rotated by the keeper;
// one that runs on its own (no --keeper-fd) has no host process watching
// it, so jinit stops writing messages there past --console-max, counts
// what it dropped, and says so in its last lines. Its last word
// (kmod.ConsoleWord) always gets through: the next command learns from it
// how jinit ended.

// console is where jinit's messages go.
var console = &cappedConsole{f: os.Stderr}

// lastWord is the start named in the console word; empty: no word.
var lastWord string

type cappedConsole struct {
	mu      sync.Mutex
	f       *os.File
	max     int64 // 0: no cap
	written int64
	dropped int64
}

// Write writes p whole or not at all (a message is never cut), and never
// fails: a dropped message is counted.
func (c *cappedConsole) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.written+int64(len(p)) > c.max {
		c.dropped += int64(len(p))
		return len(p), nil
	}
	n, _ := c.f.Write(p)
	c.written += int64(n)
	return len(p), nil
}

// finish writes what was dropped and, for a jail without a keeper, the
// last word, past the cap.
func (c *cappedConsole) finish(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped > 0 {
		fmt.Fprintf(c.f, "jinit: %d bytes of messages were not written here: the console reached %d bytes\n", c.dropped, c.max)
	}
	if lastWord != "" {
		c.f.Write(kmod.ConsoleWord(lastWord, code))
	}
}

// setupConsole applies o's console settings; a keeper, if any, gets the
// last word instead.
func setupConsole(o options) {
	if o.keeperFD >= 0 {
		return
	}
	console.mu.Lock()
	console.max = o.consoleMax
	console.mu.Unlock()
	lastWord = o.incarnation
}
