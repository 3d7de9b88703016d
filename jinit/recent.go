package main

import (
	"bytes"
	"strings"
)

// recentCap bounds what jinit remembers of each service's latest output,
// for the error that tells why a service did not start (services.StartError
// carries its last lines). The log buffer cannot serve: it drops lines as
// soon as the collector has them.
const recentCap = 4 << 10

// recent is the tail of one service's output and jinit's lines about it.
// The svcLog's mutex guards it.
type recent struct{ b []byte }

func (r *recent) add(p []byte) {
	r.b = append(r.b, p...)
	if over := len(r.b) - recentCap; over > 0 {
		r.b = append(r.b[:0], r.b[over:]...)
	}
}

func (r *recent) addLine(s string) { r.add([]byte("jinit: " + s + "\n")) }

// lines returns up to n last complete or partial lines, oldest first.
func (r *recent) lines(n int) []string {
	text := strings.TrimRight(string(bytes.ToValidUTF8(r.b, []byte("?"))), "\n")
	if text == "" {
		return nil
	}
	ls := strings.Split(text, "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return ls
}

// Recent is the engine's Tail hook: a service's last n lines.
func (c *Capture) Recent(name string, n int) []string {
	if c == nil {
		return nil
	}
	s := c.service(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recent.lines(n)
}
