package main

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// tee copies a service's stdout, as capture reads it, into the pipe of its
// log/ service (services.Config.Tee): the logger inside the jail gets the
// output and the host's collector still gets all of it. A logger that does
// not read (dead, or slower than the service) never blocks the service:
// what cannot be passed on within teeWait is counted and reported in the
// service's log, so nothing is lost silently.
type tee struct {
	c       chan []byte
	dropped atomic.Int64
}

const (
	teeQueue = 64          // chunks waiting for the logger
	teeWait  = time.Second // how long one write to the logger may wait
)

func newTee(w *os.File, report func(string)) *tee {
	t := &tee{c: make(chan []byte, teeQueue)}
	go t.run(w, report)
	return t
}

// write queues a copy of b; it never blocks.
func (t *tee) write(b []byte) {
	if t == nil {
		return
	}
	select {
	case t.c <- append([]byte(nil), b...):
	default:
		t.dropped.Add(int64(len(b)))
	}
}

func (t *tee) run(w *os.File, report func(string)) {
	var reported int64
	for b := range t.c {
		w.SetWriteDeadline(time.Now().Add(teeWait))
		if _, err := w.Write(b); errors.Is(err, os.ErrDeadlineExceeded) {
			t.dropped.Add(int64(len(b)))
		}
		if d := t.dropped.Load(); d > reported && len(t.c) == 0 {
			report("log/run is not reading: " + strconv.FormatInt(d-reported, 10) + " bytes of output not passed on to it (the collector has them)")
			reported = d
		}
	}
}

// Tee is the engine's hook: from now on, name's stdout is copied to w.
func (c *Capture) Tee(name string, w *os.File) {
	if c == nil {
		return
	}
	s := c.service(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tee = newTee(w, func(msg string) { c.Message(name, msg) })
}
