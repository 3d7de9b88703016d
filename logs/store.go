package logs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Store layout, per jail (dir = <log>/JAIL):
//
//	dir/SERVICE/current            the file being written
//	dir/SERVICE/@<UTC time>.log    rotated files, oldest first by name
//	dir/audit.log                  lifecycle events
//	dir/.collector.json            the checkpoint (exists once a collector ran)
//
// A service named like one of the jail directory's own files is stored
// under "@" + its name ('@' is not allowed in service names).

const (
	CurrentName    = "current"
	AuditName      = "audit.log"
	CheckpointName = ".collector.json"
	archivePrefix  = "@"
	archiveSuffix  = ".log"
)

// Defaults of the store.
const (
	DefaultRotateSize = 16 << 20
	DefaultKeep       = 10
	MinRotateSize     = 4096
)

// StoreConfig sets rotation and retention.
type StoreConfig struct {
	RotateSize int64 // rotate current when it would grow beyond this
	Keep       int   // rotated files kept per service (beyond current)
}

// WithDefaults is c with the defaults where it sets nothing, and the
// rotation size at least MinRotateSize.
func (c StoreConfig) WithDefaults() StoreConfig { c.defaults(); return c }

func (c *StoreConfig) defaults() {
	if c.RotateSize <= 0 {
		c.RotateSize = DefaultRotateSize
	}
	c.RotateSize = max(c.RotateSize, MinRotateSize)
	if c.Keep <= 0 {
		c.Keep = DefaultKeep
	}
}

// ServiceDir is the directory of a service's files under a jail's log dir.
func ServiceDir(jailDir, service string) string {
	if service == AuditName || service == ConsoleName {
		service = "@" + service
	}
	return filepath.Join(jailDir, service)
}

// Checkpoint is what the store durably holds of a jail's stream: every
// record of stream Boot up to Seq, and nothing more, is in the files, whose
// sizes (and identities) at that point are Files and Audit.
type Checkpoint struct {
	Boot    string          `json:"boot"`
	Seq     uint64          `json:"seq"`
	Started time.Time       `json:"started"` // when this stream was first seen
	Stopped bool            `json:"stopped"` // the end of this stream is in the audit log
	Files   map[string]Mark `json:"files"`   // by service
	Audit   Mark            `json:"audit"`
}

// Mark identifies a file and a size.
type Mark struct {
	Ino  uint64 `json:"ino"`
	Size int64  `json:"size"`
}

// JailStore writes one jail's records. It is used by one goroutine.
type JailStore struct {
	dir     string
	cfg     StoreConfig
	cp      Checkpoint
	hasCP   bool
	files   map[string]*file
	audit   *file
	stamp   Stamper
	lastSeq uint64 // the last record written
	broken  bool   // a write or commit failed: see Commit
}

type file struct {
	path string
	f    *os.File
	ino  uint64
	size int64
	pend []byte // the audit log's events until the next commit
}

// OpenJail opens (creating) the store of one jail and reads its checkpoint.
func OpenJail(dir string, cfg StoreConfig) (*JailStore, error) {
	cfg.defaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open log store: %w", err)
	}
	s := &JailStore{dir: dir, cfg: cfg, files: map[string]*file{}}
	b, err := os.ReadFile(filepath.Join(dir, CheckpointName))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &s.cp); err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, CheckpointName), err)
		}
		s.hasCP = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	if s.cp.Files == nil {
		s.cp.Files = map[string]Mark{}
	}
	s.lastSeq = s.cp.Seq
	return s, nil
}

// HasCheckpoint reports whether a collector has ever stored this jail.
func HasCheckpoint(jailDir string) bool {
	_, err := os.Stat(filepath.Join(jailDir, CheckpointName))
	return err == nil
}

// Checkpoint returns the last committed checkpoint.
func (s *JailStore) Checkpoint() Checkpoint { return s.cp }

// ErrOverlap is a batch that starts inside what the store already has:
// the peer does not resume where it was asked to.
var ErrOverlap = errors.New("log batch overlaps the store")

// WriteBatch stores a batch and checkpoints it: after it returns, the batch
// survives a crash of this process. A batch the store already has is
// skipped. Files that the batch would take beyond the rotation size are
// rotated first (so a checkpoint always falls between batches, and a file
// may exceed the size by at most one batch). Jinit's lines about lifecycle
// events also go to the audit log.
func (s *JailStore) WriteBatch(bt *Batch) error {
	if bt.Last <= s.lastSeq {
		return nil
	}
	if bt.First <= s.lastSeq {
		return fmt.Errorf("%w: batch %d..%d after %d", ErrOverlap, bt.First, bt.Last, s.lastSeq)
	}
	grow := map[string]int64{}
	for i := range bt.Segments {
		grow[bt.Segments[i].Service] += int64(len(bt.Segments[i].Data))
	}
	for svc, n := range grow {
		f, err := s.file(svc)
		if err != nil {
			return err
		}
		if f.size > 0 && f.size+n > s.cfg.RotateSize {
			if err := s.rotate(f); err != nil {
				return err
			}
		}
	}
	for i := range bt.Segments {
		sg := &bt.Segments[i]
		if err := s.files[sg.Service].write(sg.Data); err != nil {
			s.broken = true
			return err
		}
		if sg.Jinit {
			s.auditSegment(sg)
		}
	}
	s.lastSeq = bt.Last
	return s.Commit()
}

// file returns the open current file of a service.
func (s *JailStore) file(service string) (*file, error) {
	if f := s.files[service]; f != nil {
		return f, f.follow()
	}
	dir := ServiceDir(s.dir, service)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := openAppend(filepath.Join(dir, CurrentName))
	if err != nil {
		return nil, err
	}
	s.files[service] = f
	return f, nil
}

func openAppend(path string) (*file, error) {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &file{path: path, f: fh, ino: inode(fi), size: fi.Size()}, nil
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// follow notices what logrotate (or an operator) did to the file since
// the last write: moved away (create mode: a new file is started under the
// same name, and the moved one is left alone) or truncated in place
// (copytruncate: the size is taken again, so rotation and the checkpoint
// stay true). It runs before every batch: one lstat per file.
func (f *file) follow() error {
	fi, err := os.Lstat(f.path)
	if err == nil && inode(fi) == f.ino {
		if fi.Size() < f.size {
			f.size = fi.Size()
		}
		return nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("look at %s: %w", f.path, err)
	}
	pend := f.pend
	nf, err := openAppend(f.path)
	if err != nil {
		return err
	}
	f.f.Close()
	*f = *nf
	f.pend = pend
	return nil
}

// Reopen commits and closes every file; the next batch opens them again
// by name (SIGHUP, as syslog daemons do after logrotate).
func (s *JailStore) Reopen() error {
	err := s.Commit()
	s.closeFiles()
	return err
}

// write appends data to the file at once.
func (f *file) write(data []byte) error {
	for len(data) > 0 {
		n, err := f.f.Write(data)
		f.size += int64(n)
		data = data[n:]
		if err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	return nil
}

// flush writes what is pending (the audit log's events).
func (f *file) flush() error {
	err := f.write(f.pend)
	f.pend = f.pend[:0]
	return err
}

// Commit writes what is pending and then the checkpoint: after it returns,
// every record taken so far survives a crash of this process.
//
// The checkpoint in memory changes only once the new one is on disk. A
// failure (a full disk) marks the store broken: what the files hold
// beyond the checkpoint is then unknown, and nothing is committed (not
// even by Close) until Rewind or Trim has dealt with it.
func (s *JailStore) Commit() error {
	if err := s.commit(); err != nil {
		s.broken = true
		return err
	}
	return nil
}

func (s *JailStore) commit() error {
	cp := s.cp
	cp.Files = make(map[string]Mark, len(s.cp.Files))
	for name, m := range s.cp.Files {
		cp.Files[name] = m
	}
	for name, f := range s.files {
		if err := f.flush(); err != nil {
			return err
		}
		cp.Files[name] = Mark{Ino: f.ino, Size: f.size}
	}
	if s.audit != nil {
		if err := s.audit.follow(); err != nil {
			return err
		}
		if err := s.audit.flush(); err != nil {
			return err
		}
		cp.Audit = Mark{Ino: s.audit.ino, Size: s.audit.size}
	}
	cp.Seq = s.lastSeq
	if err := saveCheckpoint(s.dir, cp); err != nil {
		return err
	}
	s.cp, s.hasCP = cp, true
	return nil
}

// saveCheckpoint replaces the checkpoint file. It is not synced: a crash
// of the collector keeps the page cache, and after a crash of the host
// there is no jinit left to resume from (see docs/LOGS.md).
func saveCheckpoint(dir string, cp Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	p := filepath.Join(dir, CheckpointName)
	if err := os.WriteFile(p+".tmp", b, 0o640); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// rotate commits everything, archives f's file and starts a new one. The
// checkpoint before the rename names the old file; the one after, the new:
// recovery finds either.
func (s *JailStore) rotate(f *file) error {
	if err := s.Commit(); err != nil {
		return err
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.path, err)
	}
	dir := filepath.Dir(f.path)
	if err := os.Rename(f.path, archivePath(dir)); err != nil {
		return fmt.Errorf("rotate %s: %w", f.path, err)
	}
	f.f.Close()
	nf, err := openAppend(f.path)
	if err != nil {
		return err
	}
	*f = *nf
	syncDir(dir)
	if err := s.Commit(); err != nil {
		return err
	}
	return prune(dir, s.cfg.Keep)
}

// archivePath names a new rotated file after the current UTC time.
func archivePath(dir string) string {
	now := time.Now().UTC()
	for {
		p := filepath.Join(dir, archivePrefix+now.Format("20060102T150405.000000000Z")+archiveSuffix)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
		now = now.Add(time.Nanosecond)
	}
}

// Archives lists a service directory's rotated files, oldest first.
func Archives(dir string) ([]string, error) { return archivesIn(dir, archivePrefix, archiveSuffix) }

// archivesIn lists the regular files of dir named prefix…suffix, whose
// names sort oldest first (a UTC time between the two), as paths.
func archivesIn(dir, prefix, suffix string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, prefix) && strings.HasSuffix(n, suffix) && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// prune removes the oldest rotated files beyond keep.
func prune(dir string, keep int) error { return pruneArchives(dir, archivePrefix, archiveSuffix, keep) }

// pruneArchives removes the oldest of archivesIn(dir, prefix, suffix)
// beyond keep.
func pruneArchives(dir, prefix, suffix string, keep int) error {
	arch, err := archivesIn(dir, prefix, suffix)
	if err != nil {
		return fmt.Errorf("prune %s: %w", dir, err)
	}
	for len(arch) > keep {
		if err := os.Remove(arch[0]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("prune %s: %w", dir, err)
		}
		arch = arch[1:]
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Close commits, syncs every file and closes them.
func (s *JailStore) Close() error {
	var err error
	if !s.broken {
		err = s.Commit()
	}
	all := make([]*file, 0, len(s.files)+1)
	for _, f := range s.files {
		all = append(all, f)
	}
	if s.audit != nil {
		all = append(all, s.audit)
	}
	for _, f := range all {
		if serr := f.f.Sync(); serr != nil && err == nil {
			err = fmt.Errorf("sync %s: %w", f.path, serr)
		}
		f.f.Close()
	}
	s.files, s.audit = map[string]*file{}, nil
	syncDir(s.dir)
	return err
}
