// Package store is the on-disk state of a jails instance: jail
// definitions and writable layers, runtime records of running jails, and
// the paths jailctl and the collector agree on.
package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/logs"
)

// Store is the on-disk state of one jails instance: definitions and
// writable layers (lib), runtime files (run) and collected logs (log).
// --state-dir DIR puts all three under DIR so instances can run side by side.
type Store struct {
	Lib, Run, Log string
	// Dir is the --state-dir the store was opened with; "" for the
	// default layout.
	Dir string
}

// NewStore returns the default layout, or everything under dir.
func NewStore(dir string) *Store {
	if dir == "" {
		return &Store{Lib: "/var/lib/jails", Run: defaultRun, Log: "/var/log/jails"}
	}
	dir = filepath.Clean(dir)
	return &Store{Lib: filepath.Join(dir, "lib"), Run: filepath.Join(dir, "run"), Log: filepath.Join(dir, "log"), Dir: dir}
}

// CgroupGroup names the cgroup that holds this instance's jails.
func (s *Store) CgroupGroup() string {
	if s.Dir == "" {
		return "jails"
	}
	h := sha256.Sum256([]byte(s.Dir))
	return "jails-" + hex.EncodeToString(h[:4])
}

func (s *Store) JailDir(name string) string     { return filepath.Join(s.Lib, name) }
func (s *Store) DefPath(name string) string     { return filepath.Join(s.Lib, name, "jail.toml") }
func (s *Store) RWDir(name string) string       { return filepath.Join(s.Lib, name, "rw") }
func (s *Store) LastPath(name string) string    { return filepath.Join(s.Lib, name, "last-exit.json") }
func (s *Store) RunDir(name string) string      { return filepath.Join(s.Run, name) }
func (s *Store) SockPath(name string) string    { return filepath.Join(s.Run, name, "control.sock") }
func (s *Store) RuntimePath(name string) string { return filepath.Join(s.Run, name, "state.json") }
func (s *Store) MntDir(name string) string      { return filepath.Join(s.Run, name, "root") }
func (s *Store) LogDir(name string) string      { return filepath.Join(s.Log, name) }

// CollectorAddrPath is run/collector.addr: the HTTP address of this
// instance's running collector, for `jailctl stats` to find it.
func (s *Store) CollectorAddrPath() string { return filepath.Join(s.Run, "collector.addr") }

// CollectorAddr is the address a running collector recorded, "" if none.
func (s *Store) CollectorAddr() string {
	b, err := ReadSmall(s.CollectorAddrPath(), 256)
	if err != nil {
		return ""
	}
	addr := strings.TrimSpace(string(b))
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return ""
	}
	return addr
}

// Names lists the defined jails, sorted.
func (s *Store) Names() ([]string, error) {
	ents, err := os.ReadDir(s.Lib)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("list jails: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidName(e.Name()) == nil {
			if _, err := os.Stat(s.DefPath(e.Name())); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Lock serialises commands on one jail. The lock file lives beside the
// definition, so it outlives any runtime state; flock releases it if the
// holder dies.
type Lock struct{ f *os.File }

// Lock takes the jail's command lock, waiting for it.
func (s *Store) Lock(name string) (*Lock, error) {
	if err := os.MkdirAll(s.Lib, 0o700); err != nil {
		return nil, fmt.Errorf("lock jail %s: %w", name, err)
	}
	f, err := os.OpenFile(filepath.Join(s.Lib, "."+name+".lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock jail %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock jail %s: %w", name, err)
	}
	return &Lock{f: f}, nil
}

func (l *Lock) Unlock() { l.f.Close() }

// File is the locked file. A process that inherits it shares the lock:
// the lock is released once every copy is closed.
func (l *Lock) File() *os.File { return l.f }

// LockCreate serialises jail creation across the instance, so ids and port
// reservations are checked against a stable set of definitions.
func (s *Store) LockCreate() (*Lock, error) {
	if err := os.MkdirAll(s.Lib, 0o700); err != nil {
		return nil, fmt.Errorf("lock jail creation: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.Lib, ".create.lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock jail creation: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock jail creation: %w", err)
	}
	return &Lock{f: f}, nil
}

// tryLock takes the lock only if it is free.
func (s *Store) TryLock(name string) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(s.Lib, "."+name+".lock"), os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f: f}, nil
}

// Runtime is run/NAME/state.json: what a running jail is made of, so any
// later command can find it, or clean up after a crash. One start writes
// it in phases (Phase), each time whole and atomically.
type Runtime struct {
	// Incarnation names one start of the jail: a command acts only on a
	// record of the incarnation it knows.
	Incarnation string `json:"incarnation"`
	Phase       Phase  `json:"phase"`
	// KeeperPid is the jailctl that holds the jail: the start while it
	// builds it, or `jailctl run` for the jail's life. None once the jail
	// runs on its own (Released).
	KeeperPid   int       `json:"keeper_pid,omitempty"`
	KeeperStart uint64    `json:"keeper_start,omitempty"` // start time, against pid reuse
	JinitPid    int       `json:"jinit_pid,omitempty"`
	JinitStart  uint64    `json:"jinit_start,omitempty"`
	Started     time.Time `json:"started"`
	// Kernel is the jail's kernel state (Linux: its cgroup; NetBSD: its
	// secmodel_jail id and composed root), planned before anything is
	// made. The key keeps its first name, "cgroup".
	Kernel *kmod.Jail `json:"cgroup,omitempty"`
}

// Phase is how far a start has got.
type Phase string

const (
	// Planned: the kernel state is decided, perhaps partly made; the
	// starting jailctl holds it.
	Planned Phase = "planned"
	// Spawned: jinit runs (JinitPid); the starting jailctl still holds it.
	Spawned Phase = "spawned"
	// Kept: `jailctl run` holds the jail, in the foreground, for its life.
	Kept Phase = "kept"
	// Released: the services are up and the jail runs on its own, held
	// by no host process: it lives as long as its jinit.
	Released Phase = "released"
)

// LastExit is lib/NAME/last-exit.json: why the jail last stopped.
type LastExit struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

func (s *Store) ReadRuntime(name string) (*Runtime, error) {
	b, err := ReadSmall(s.RuntimePath(name), 1<<16)
	if err != nil {
		return nil, err
	}
	var rt Runtime
	if err := json.Unmarshal(b, &rt); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.RuntimePath(name), err)
	}
	return &rt, nil
}

// WriteRuntime records rt, with the start times of its keeper and jinit
// (taken once), atomically.
func (s *Store) WriteRuntime(name string, rt *Runtime) error {
	rt.KeeperStart = 0
	if rt.KeeperPid > 0 {
		start, err := procStart(rt.KeeperPid)
		if err != nil {
			return fmt.Errorf("record jail %s: keeper: %w", name, err)
		}
		rt.KeeperStart = start
	}
	if rt.JinitPid > 0 && rt.JinitStart == 0 {
		// A jinit already gone is recorded so: a released jail whose
		// jinit has no start time is not alive (JinitAlive).
		rt.JinitStart, _ = procStart(rt.JinitPid)
	}
	b, err := json.Marshal(rt)
	if err != nil {
		return fmt.Errorf("record jail %s: %w", name, err)
	}
	return WriteAtomic(s.RuntimePath(name), b, 0o600)
}

func (s *Store) ReadLast(name string) *LastExit {
	b, err := ReadSmall(s.LastPath(name), 1<<16)
	if err != nil {
		return nil
	}
	var l LastExit
	if json.Unmarshal(b, &l) != nil {
		return nil
	}
	return &l
}

func (s *Store) WriteLast(name, reason string) {
	b, _ := json.Marshal(LastExit{At: time.Now().UTC(), Reason: reason})
	WriteAtomic(s.LastPath(name), b, 0o644)
}

// Alive reports whether the jail is still held as recorded: by its
// keeper, or, released, by its jinit.
func (rt *Runtime) Alive() bool {
	if rt == nil {
		return false
	}
	if rt.Phase == Released {
		return rt.JinitAlive()
	}
	if rt.KeeperPid <= 0 {
		return false
	}
	st, err := procStart(rt.KeeperPid)
	return err == nil && st == rt.KeeperStart
}

// JinitAlive reports whether the recorded jinit still runs.
func (rt *Runtime) JinitAlive() bool {
	if rt == nil || rt.JinitPid <= 0 || rt.JinitStart == 0 {
		return false
	}
	st, err := procStart(rt.JinitPid)
	return err == nil && st == rt.JinitStart
}

// running returns the runtime of a running jail, or nil.
func (s *Store) Running(name string) *Runtime {
	rt, err := s.ReadRuntime(name)
	if err != nil || !rt.Alive() {
		return nil
	}
	return rt
}

// RemoveRunDir removes a jail's runtime directory, unless something is
// still mounted below it: removing through a mount deletes what the mount
// shows. On NetBSD a jail's root there is null mounts of the host's base
// and of the writable layer, in the host's only mount namespace; on Linux
// the root lives in the jail's own namespace and nothing should ever be
// mounted here, which this checks too.
func (s *Store) RemoveRunDir(name string) error {
	dir := s.RunDir(name)
	real, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	mounts, err := kmod.MountsUnder(real)
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	if len(mounts) > 0 {
		return fmt.Errorf("remove %s: still mounted there: %s (unmount, then retry)", dir, strings.Join(mounts, ", "))
	}
	return os.RemoveAll(dir)
}

// MarkStopping records that an operator asked the jail to stop, so its
// end is recorded as "stopped" rather than an unexpected exit.
func (s *Store) MarkStopping(name string) {
	os.WriteFile(filepath.Join(s.RunDir(name), "stopping"), nil, 0o600)
}

func (s *Store) Stopping(name string) bool {
	_, err := os.Stat(filepath.Join(s.RunDir(name), "stopping"))
	return err == nil
}

// ConsolePath is where jinit's own output and the keeper's go.
func (s *Store) ConsolePath(name string) string {
	return filepath.Join(s.LogDir(name), logs.ConsoleName)
}

// Usage reads a running jail's accounting from the kernel.
func (rt *Runtime) Usage() kmod.Usage {
	if rt.Kernel == nil {
		return kmod.Usage{}
	}
	return rt.Kernel.Usage()
}
