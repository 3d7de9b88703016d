package services

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// For an s6 directory jinit keeps supervise/ the way s6-supervise 2.11
// does, so that s6-svc, s6-svstat and s6-svwait work against it:
//
//	supervise/lock     a file jinit holds locked: s6's sign that a supervisor runs
//	supervise/control  the same FIFO of command bytes as runit's (s6-svc writes it)
//	supervise/status   35 bytes: TAI64N of the last up/down, TAI64N of readiness,
//	                   pid (8 bytes), wait status (2 bytes), flags (paused, finishing, want up, ready)
//	event/             a fifodir: jinit writes s u U d D to every FIFO a waiter made there
//
// The control bytes differ from runit's in r (s6: restart), O (once at
// most) and Q/X (ignored, like x).

// makeEventDir creates the service's event/ fifodir as s6 does (mode
// 3730: waiters create FIFOs in it, only their owner may remove them).
func makeEventDir(svcDir string) (string, error) {
	d := filepath.Join(svcDir, "event")
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if fi, err := os.Lstat(d); err != nil || !fi.IsDir() {
		return "", errors.New("event is not a directory")
	}
	return d, os.Chmod(d, 0o730|fs.ModeSetgid|fs.ModeSticky)
}

// s6Status is s6-supervise's 35-byte status record.
func s6Status(st State, paused bool) []byte {
	b := make([]byte, 35)
	stamp := st.Since
	if st.Pid > 0 {
		stamp = st.StartedAt
	}
	putTAI64N(b[0:12], stamp)
	// s6's "ready" means ready when up and "really down" (finish done)
	// when down: what s6-svwait -U and -D wait for.
	ready := st.Ready
	if st.Pid == 0 {
		ready = st.Phase != PhaseFinishing
	}
	if ready {
		putTAI64N(b[12:24], st.Since)
	}
	binary.BigEndian.PutUint64(b[24:32], uint64(st.Pid))
	if st.LastExit != nil && st.Pid == 0 {
		ws := uint16(st.LastExit.Code&0xff) << 8
		if st.LastExit.Signal != 0 {
			ws = uint16(st.LastExit.Signal)
		}
		binary.BigEndian.PutUint16(b[32:34], ws)
	}
	b[34] = boolByte(paused) | boolByte(st.Phase == PhaseFinishing)<<1 |
		boolByte(st.Want == WantUp)<<2 | boolByte(ready)<<3
	return b
}

// putTAI64N packs t as skalibs does: TAI, the Unix time plus the 37 s of
// TAI-UTC offset since 2017 (runit's libtai adds only the 10 s of 1972).
func putTAI64N(b []byte, t time.Time) {
	if t.IsZero() {
		t = time.Now()
	}
	binary.BigEndian.PutUint64(b[0:8], uint64(1<<62+37+t.Unix()))
	binary.BigEndian.PutUint32(b[8:12], uint32(t.Nanosecond()))
}

// s6Events are the events between two states, in s6-supervise's letters.
func s6Events(before, after State) []byte {
	var ev []byte
	switch {
	case before.Pid == 0 && after.Pid > 0:
		ev = append(ev, 's', 'u')
	case before.Pid > 0 && after.Pid == 0:
		ev = append(ev, 'd')
		if after.Phase != PhaseFinishing {
			ev = append(ev, 'D')
		}
	case before.Phase == PhaseFinishing && after.Phase != PhaseFinishing:
		ev = append(ev, 'D')
	}
	if !before.Ready && after.Ready && after.Pid > 0 {
		ev = append(ev, 'U')
	}
	return ev
}

// notifyEvents writes the events to every FIFO in the fifodir; a FIFO
// nobody reads any more (O_NONBLOCK open fails with ENXIO) is skipped.
func notifyEvents(dir string, ev []byte) {
	if dir == "" || len(ev) == 0 {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type()&fs.ModeNamedPipe == 0 {
			continue
		}
		fd, err := unix.Open(filepath.Join(dir, e.Name()), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		unix.Write(fd, ev)
		unix.Close(fd)
	}
}
