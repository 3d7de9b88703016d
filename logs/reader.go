package logs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// maxStoreLine bounds a line of the store when reading it back.
const maxStoreLine = MaxLineLimit + 256

// Services lists the services that have logs in a jail's directory.
func Services(jailDir string) ([]string, error) {
	s := &JailStore{dir: jailDir}
	m, err := s.serviceDirs()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m))
	for svc := range m {
		out = append(out, svc)
	}
	sort.Strings(out)
	return out, nil
}

// Cursor is a position in a service's current file.
type Cursor struct {
	Ino  uint64
	Size int64
}

// Snapshot returns the position of the end of a service's current file.
func Snapshot(jailDir, service string) Cursor {
	fi, err := os.Stat(filepath.Join(ServiceDir(jailDir, service), CurrentName))
	if err != nil {
		return Cursor{}
	}
	return Cursor{Ino: inode(fi), Size: fi.Size()}
}

// files lists a service's files oldest first; current is read only up to
// the cursor when it is still the same file.
type span struct {
	path  string
	limit int64 // -1: to the end
}

func serviceSpans(jailDir, service string, cur Cursor) ([]span, error) {
	dir := ServiceDir(jailDir, service)
	arch, err := Archives(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []span
	for _, a := range arch {
		out = append(out, span{a, -1})
	}
	p := filepath.Join(dir, CurrentName)
	if fi, err := os.Stat(p); err == nil {
		lim := fi.Size()
		if inode(fi) == cur.Ino {
			lim = min(lim, cur.Size)
		}
		out = append(out, span{p, lim})
	}
	return out, nil
}

// archiveTime is the rotation time in a rotated file's name.
func archiveTime(path string) (time.Time, bool) {
	n := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), archivePrefix), archiveSuffix)
	t, err := time.Parse("20060102T150405.000000000Z", n)
	return t, err == nil
}

// ServiceReader reads the lines of a service (without their newline)
// at or after a time, oldest first, up to a cursor.
type ServiceReader struct {
	spans []span
	since time.Time
	f     *os.File
	sc    *bufio.Scanner
	err   error
}

// NewServiceReader opens a reader; since may be zero.
func NewServiceReader(jailDir, service string, since time.Time, cur Cursor) (*ServiceReader, error) {
	spans, err := serviceSpans(jailDir, service, cur)
	if err != nil {
		return nil, err
	}
	var keep []span
	for _, sp := range spans {
		if t, ok := archiveTime(sp.path); ok && !since.IsZero() && t.Before(since) {
			continue // rotated before since: every line in it is older
		}
		keep = append(keep, sp)
	}
	return &ServiceReader{spans: keep, since: since}, nil
}

// Next returns the next line, valid until the next call; nil at the end
// or on an error (see Err).
func (r *ServiceReader) Next() []byte {
	for {
		if r.sc == nil && !r.open() {
			return nil
		}
		for r.sc.Scan() {
			line := r.sc.Bytes()
			if !r.since.IsZero() {
				if t, ok := LineTime(line); ok && t.Before(r.since) {
					continue
				}
			}
			return line
		}
		if err := r.sc.Err(); err != nil && r.err == nil {
			r.err = fmt.Errorf("read %s: %w", r.f.Name(), err)
		}
		r.f.Close()
		r.f, r.sc = nil, nil
	}
}

// open opens the next span; false when none is left.
func (r *ServiceReader) open() bool {
	for len(r.spans) > 0 {
		sp := r.spans[0]
		r.spans = r.spans[1:]
		f, err := os.Open(sp.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned or rotated meanwhile
		} else if err != nil {
			r.err = err
			return false
		}
		var rd io.Reader = f
		if sp.limit >= 0 {
			rd = io.LimitReader(f, sp.limit)
		}
		r.f, r.sc = f, bufio.NewScanner(rd)
		r.sc.Buffer(make([]byte, 64<<10), maxStoreLine)
		r.sc.Split(scanLines)
		return true
	}
	return false
}

// Err is the first error met.
func (r *ServiceReader) Err() error { return r.err }

// Close releases the open file.
func (r *ServiceReader) Close() {
	if r.f != nil {
		r.f.Close()
		r.f, r.sc = nil, nil
	}
	r.spans = nil
}

// LastLines returns the last n lines of a service up to the cursor
// (copies, oldest first), reading the files backwards.
func LastLines(jailDir, service string, n int, cur Cursor) ([][]byte, error) {
	spans, err := serviceSpans(jailDir, service, cur)
	if err != nil {
		return nil, err
	}
	var out [][]byte // newest first
	for i := len(spans) - 1; i >= 0 && len(out) < n; i-- {
		lines, err := lastLinesOf(spans[i], n-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// lastLinesOf returns up to n complete lines from the end of a span,
// newest first.
func lastLinesOf(sp span, n int) ([][]byte, error) {
	f, err := os.Open(sp.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	end := sp.limit
	if end < 0 {
		if end, err = f.Seek(0, io.SeekEnd); err != nil {
			return nil, err
		}
	}
	var out [][]byte
	var carry []byte // the start of the line that continues past the block read
	buf := make([]byte, 64<<10)
	for pos := end; pos > 0 && len(out) < n; {
		k := min(int64(len(buf)), pos)
		pos -= k
		if _, err := f.ReadAt(buf[:k], pos); err != nil {
			return nil, fmt.Errorf("read %s: %w", sp.path, err)
		}
		chunk := append(append([]byte(nil), buf[:k]...), carry...)
		for len(out) < n {
			chunk = bytes.TrimSuffix(chunk, []byte{'\n'})
			i := bytes.LastIndexByte(chunk, '\n')
			if i < 0 {
				break
			}
			out = append(out, append([]byte(nil), chunk[i+1:]...))
			chunk = chunk[:i+1]
		}
		carry = chunk
		if pos == 0 && len(out) < n && len(bytes.TrimSuffix(carry, []byte{'\n'})) > 0 {
			out = append(out, bytes.TrimSuffix(carry, []byte{'\n'}))
		}
	}
	return out, nil
}

// Follower reads what is appended to the services' current files, across
// rotations, like tail -F.
type Follower struct {
	jailDir string
	only    string // one service, or "" for all
	curs    map[string]*follow
}

type follow struct {
	f       *os.File
	ino     uint64
	off     int64
	partial []byte
}

// NewFollower follows from the given cursors (services without one start
// at the beginning of their current file when they appear).
func NewFollower(jailDir, only string, from map[string]Cursor) *Follower {
	fl := &Follower{jailDir: jailDir, only: only, curs: map[string]*follow{}}
	for svc, c := range from {
		fl.curs[svc] = &follow{ino: c.Ino, off: c.Size}
	}
	return fl
}

// Poll emits every complete line appended since the last poll.
func (fl *Follower) Poll(emit func(service string, line []byte)) error {
	svcs := []string{fl.only}
	if fl.only == "" {
		var err error
		if svcs, err = Services(fl.jailDir); err != nil {
			return err
		}
	}
	for _, svc := range svcs {
		c := fl.curs[svc]
		if c == nil {
			c = &follow{}
			fl.curs[svc] = c
		}
		if err := c.poll(filepath.Join(ServiceDir(fl.jailDir, svc), CurrentName), func(l []byte) { emit(svc, l) }); err != nil {
			return err
		}
	}
	return nil
}

func (c *follow) poll(path string, emit func([]byte)) error {
	if c.f == nil && c.ino != 0 {
		c.f = openInode(path, c.ino) // the snapshot's file, even if rotated since
	}
	for {
		if c.f != nil {
			if err := c.read(emit); err != nil {
				return err
			}
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil // between a rotation's rename and the new file
		}
		if c.f != nil && inode(fi) == c.ino {
			return nil
		}
		// A new current file. The old one may have grown between the read
		// above and the rename that rotated it; once the new file exists
		// nothing writes the old one any more, so read it to its end now,
		// then every file rotated after it, before the new current one.
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		if c.f != nil {
			if err := c.read(emit); err != nil {
				f.Close()
				return err
			}
			c.f.Close()
			if err := c.readRotatedAfter(filepath.Dir(path), emit); err != nil {
				f.Close()
				return err
			}
		}
		c.f, c.ino, c.off, c.partial = f, inode(fi), 0, nil
	}
}

// readRotatedAfter reads, oldest first, the rotated files newer than the
// one the follower had open (several rotations can pass between two looks).
// When that file was pruned already, every rotated file left is newer.
func (c *follow) readRotatedAfter(dir string, emit func([]byte)) error {
	arch, err := Archives(dir)
	if err != nil {
		return nil
	}
	next := arch
	for i, p := range arch {
		if fi, err := os.Stat(p); err == nil && inode(fi) == c.ino {
			next = arch[i+1:]
			break
		}
	}
	for _, p := range next {
		f, err := os.Open(p)
		if err != nil {
			continue // pruned meanwhile: those lines are gone
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			continue
		}
		c.f, c.ino, c.off, c.partial = f, inode(fi), 0, nil
		err = c.read(emit)
		f.Close()
		c.f = nil
		if err != nil {
			return err
		}
	}
	return nil
}

// openInode opens the current file at path, or the rotated file beside
// it, that has inode ino; nil if none has.
func openInode(path string, ino uint64) *os.File {
	cands := []string{path}
	if arch, err := Archives(filepath.Dir(path)); err == nil {
		for i := len(arch) - 1; i >= 0; i-- {
			cands = append(cands, arch[i])
		}
	}
	for _, p := range cands {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if fi, err := f.Stat(); err == nil && inode(fi) == ino {
			return f
		}
		f.Close()
	}
	return nil
}

// read emits the complete lines past the offset. A file cut back by a
// collector's recovery is written again with the same bytes, so the
// offset stays where it was.
func (c *follow) read(emit func([]byte)) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.f.ReadAt(buf, c.off)
		if n > 0 {
			c.off += int64(n)
			data := append(c.partial, buf[:n]...)
			for {
				i := bytes.IndexByte(data, '\n')
				if i < 0 {
					break
				}
				emit(data[:i])
				data = data[i+1:]
			}
			c.partial = append([]byte(nil), data...)
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// scanLines splits at newlines, keeping a carriage return before one
// (bufio.ScanLines drops it, but it is the service's byte).
func scanLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
