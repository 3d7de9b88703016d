package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// After a crash the collector connects again and learns which stream jinit
// is on. Rewind is for the same stream: the files are cut back to the
// checkpoint, and jinit sends everything after it again (it keeps every
// record until acknowledged, and acknowledgements follow checkpoints).
// For another stream (the jail was restarted), what the files hold beyond
// the checkpoint cannot be sent again by anyone: Trim keeps it, cutting
// only a line torn by the crash, and BeginStream starts the new stream.

// Rewind cuts every file back to the checkpoint and forgets anything
// pending; the next record taken must follow the checkpoint.
func (s *JailStore) Rewind() error {
	s.closeFiles()
	svcs, err := s.serviceDirs()
	if err != nil {
		return err
	}
	for svc, dir := range svcs {
		mark, ok := s.cp.Files[svc]
		if !ok {
			mark = Mark{} // created after the checkpoint: all of it follows it
		}
		if err := rewindFile(filepath.Join(dir, CurrentName), mark, ok); err != nil {
			return err
		}
		if err := rewindArchive(dir, mark, ok); err != nil {
			return err
		}
	}
	if err := rewindFile(filepath.Join(s.dir, AuditName), s.cp.Audit, s.cp.Audit.Ino != 0); err != nil {
		return err
	}
	s.lastSeq, s.broken = s.cp.Seq, false
	return nil
}

// rewindFile truncates path to mark.Size if it is the marked file, and to
// nothing if it is a newer one (created by a rotation or after the
// checkpoint). It never extends a file.
func rewindFile(path string, mark Mark, known bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("rewind %s: %w", path, err)
	}
	size := int64(0)
	if known && inode(fi) == mark.Ino {
		size = mark.Size
	}
	if fi.Size() <= size {
		return nil
	}
	if err := os.Truncate(path, size); err != nil {
		return fmt.Errorf("rewind %s: %w", path, err)
	}
	return nil
}

// rewindArchive handles a rotation after the checkpoint: the marked file
// is now the newest rotated one. (Rotation commits first, so it holds
// nothing beyond the mark; cutting it is only a safeguard.)
func rewindArchive(dir string, mark Mark, known bool) error {
	if !known {
		return nil
	}
	arch, err := Archives(dir)
	if err != nil || len(arch) == 0 {
		return err
	}
	newest := arch[len(arch)-1]
	if fi, err := os.Lstat(newest); err == nil && inode(fi) == mark.Ino {
		return rewindFile(newest, mark, true)
	}
	return nil
}

// Trim cuts a torn last line from every current file and the audit log.
func (s *JailStore) Trim() error {
	s.closeFiles()
	svcs, err := s.serviceDirs()
	if err != nil {
		return err
	}
	paths := []string{filepath.Join(s.dir, AuditName)}
	for _, dir := range svcs {
		paths = append(paths, filepath.Join(dir, CurrentName))
	}
	for _, p := range paths {
		if err := trimTorn(p); err != nil {
			return err
		}
	}
	s.lastSeq, s.broken = s.cp.Seq, false
	return nil
}

// trimTorn truncates a file after its last newline.
func trimTorn(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("trim %s: %w", path, err)
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end == 0 {
		return err
	}
	buf := make([]byte, 64<<10)
	for pos := end; pos > 0; {
		n := min(int64(len(buf)), pos)
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil {
			return fmt.Errorf("trim %s: %w", path, err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			if pos+int64(i)+1 == end {
				return nil
			}
			return f.Truncate(pos + int64(i) + 1)
		}
	}
	return f.Truncate(0)
}

// serviceDirs maps the services found in the jail's directory to their
// directories.
func (s *JailStore) serviceDirs() (map[string]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.dir, err)
	}
	out := map[string]string{}
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		svc := strings.TrimPrefix(n, "@")
		if ValidService(svc) == nil {
			out[svc] = filepath.Join(s.dir, n)
		}
	}
	return out, nil
}

func (s *JailStore) closeFiles() {
	for _, f := range s.files {
		f.f.Close()
	}
	if s.audit != nil {
		s.audit.f.Close()
	}
	s.files, s.audit = map[string]*file{}, nil
}

// BeginStream starts storing stream boot (first seen now; started is when
// the jail started, if known): it records the start in the audit log and
// checkpoints every existing file at its current size.
func (s *JailStore) BeginStream(boot string, started time.Time) error {
	svcs, err := s.serviceDirs()
	if err != nil {
		return err
	}
	old := s.cp
	// The audit log's mark stays until the commit moves it: a failed
	// commit must not leave a checkpoint that would cut the audit log.
	s.cp = Checkpoint{Boot: boot, Started: started.UTC(), Files: map[string]Mark{}, Audit: old.Audit}
	for svc, dir := range svcs {
		if fi, err := os.Lstat(filepath.Join(dir, CurrentName)); err == nil {
			s.cp.Files[svc] = Mark{Ino: inode(fi), Size: fi.Size()}
		}
	}
	s.lastSeq = 0
	err = s.Event(started, "start", "boot", boot)
	if err == nil {
		err = s.Commit()
	}
	if err != nil {
		s.cp, s.lastSeq = old, old.Seq
	}
	return err
}

// EndStream records in the audit log how the checkpoint's stream ended
// (the jail stopped, or jinit exited), once.
func (s *JailStore) EndStream(at time.Time, event, reason string) error {
	if s.cp.Stopped || s.cp.Boot == "" {
		return nil
	}
	if err := s.Event(at, event, "reason", reason); err != nil {
		return err
	}
	s.cp.Stopped = true
	if err := s.Commit(); err != nil {
		s.cp.Stopped = false
		return err
	}
	return nil
}

// Event appends a lifecycle event to the audit log (written by Commit):
// "TIME EVENT key=value ...", values quoted when needed.
func (s *JailStore) Event(at time.Time, event string, kv ...string) error {
	if s.audit == nil {
		f, err := openAppend(filepath.Join(s.dir, AuditName))
		if err != nil {
			return err
		}
		s.audit = f
	}
	// Bounded like a service's file (issue 17): a crash-looping service
	// makes an event a restart. Rotated audit logs are the jail
	// directory's own @TIME.log files.
	if s.audit.size > 0 && s.audit.size+int64(len(s.audit.pend)) > s.cfg.RotateSize {
		if err := s.rotate(s.audit); err != nil {
			return err
		}
	}
	b := s.stamp.Append(s.audit.pend, at.UnixNano())
	b = append(b, ' ')
	b = append(b, event...)
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, ' ')
		b = append(b, kv[i]...)
		b = append(b, '=')
		b = appendValue(b, kv[i+1])
	}
	s.audit.pend = append(b, '\n')
	return nil
}

func appendValue(b []byte, v string) []byte {
	if v != "" && !strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r > '~' }) {
		return append(b, v...)
	}
	return strconv.AppendQuote(b, v)
}

// auditEvents maps jinit's lines about a service to audit events.
var auditEvents = []struct{ prefix, event string }{
	{"started (pid", "service-start"},
	{"exited: ", "service-exit"},
	{"stopped: ", "service-stop"},
	{"restarting in ", "service-restart"},
	{"failed: ", "service-failed"},
	{"cannot start", "service-failed"},
	{"finish exited 125", "service-failed"},
	{"dropped ", "log-dropped"},
}

// auditSegment adds the audit events of jinit's lines in a segment.
func (s *JailStore) auditSegment(sg *Segment) {
	for d := sg.Data; len(d) > 0; {
		i := bytes.IndexByte(d, '\n')
		line := d[:i]
		d = d[i+1:]
		st, _, off, err := checkLine(line)
		if err != nil || st != Jinit {
			continue
		}
		for _, e := range auditEvents {
			if bytes.HasPrefix(line[off:], []byte(e.prefix)) {
				t, _ := LineTime(line)
				s.Event(t, e.event, "service", sg.Service, "msg", string(line[off:]))
				break
			}
		}
	}
}
