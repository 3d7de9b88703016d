// Package jail is the lifecycle of jails on a host: create, start, stop,
// destroy, inspect and recover, over the on-disk registry (jailctl/store)
// and the kernel (kmod). jailctl's commands, `jailctl run` among them,
// are thin users of it; it never prints.
//
// A started jail runs on its own: no host process holds it but its jinit
// (`jailctl run` keeps one in the foreground instead). The kernel is the
// truth: a jail whose runtime record is damaged or whose runtime directory
// is gone is found from its kernel state (Recover); one whose jinit has
// ended is removed by the next command that looks at it; and stop and
// destroy succeed only once nothing of it is left (Leftovers).
package jail

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
)

// Errors a caller can test with errors.Is.
var (
	ErrNotExist   = errors.New("no such jail")
	ErrExist      = errors.New("a jail with this name already exists")
	ErrRunning    = errors.New("the jail is running")
	ErrNotRunning = errors.New("the jail is not running")
)

// Error is a lifecycle operation that failed on a jail.
type Error struct {
	Op, Name string
	Err      error
}

func (e *Error) Error() string {
	if errors.Is(e.Err, ErrNotExist) {
		return "no such jail: " + e.Name
	}
	return e.Op + " " + e.Name + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func opError(op, name string, err error) error {
	var je *Error
	if err == nil || errors.As(err, &je) {
		return err
	}
	return &Error{Op: op, Name: name, Err: err}
}

// Host is the jails of one instance (one store) on this host.
type Host struct {
	Store *store.Store
	Log   hclog.Logger
	// Exe is the jailctl binary; jinit is looked for beside it
	// (FindJinit).
	Exe string
	// UIDBase is where Create allocates new jails' uid ranges from
	// (0: store.DefaultUIDBase).
	UIDBase uint32
	// HostPrivate are the host ports no jail may connect or send to
	// (ports.Options.HostPrivate), attached by Start.
	HostPrivate []ports.Port
}

// New returns the lifecycle of the jails in st.
func New(st *store.Store, log hclog.Logger, exe string) *Host {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Host{Store: st, Log: log, Exe: exe}
}

// mustExist checks the name and that the jail is defined.
func (h *Host) mustExist(op, name string) error {
	if err := store.ValidName(name); err != nil {
		return err
	}
	if _, err := os.Stat(h.Store.DefPath(name)); err != nil {
		return &Error{Op: op, Name: name, Err: ErrNotExist}
	}
	return nil
}

// lock takes the jail's command lock and then recovers whatever a dead
// predecessor left (Recover), so the caller sees the jail as it is.
func (h *Host) lock(name string) (*store.Lock, error) {
	lk, err := h.Store.Lock(name)
	if err != nil {
		return nil, err
	}
	if err := h.recover(name); err != nil {
		lk.Unlock()
		return nil, err
	}
	return lk, nil
}

// newIncarnation names one start of a jail.
func newIncarnation() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// FindJinit locates the jinit binary: $JAILS_JINIT, beside jailctl, or in
// the usual install locations.
func FindJinit(self string) (string, error) {
	cands := []string{os.Getenv("JAILS_JINIT"), filepath.Join(filepath.Dir(self), "jinit"),
		"/usr/local/libexec/jails/jinit", "/usr/libexec/jails/jinit", "/usr/local/sbin/jinit", "/usr/sbin/jinit"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", errors.New("jinit binary not found: set JAILS_JINIT or install it beside jailctl")
}

// Info is what Inspect knows of a jail.
type Info struct {
	Name  string
	State State
	// Def is the definition, nil if it is broken (DefErr says why).
	Def    *store.Resolved
	DefErr error
	// Runtime is the running jail's record, nil when it is not running.
	Runtime *store.Runtime
	Last    *store.LastExit
}

// State is a jail's state as the host sees it.
type State string

const (
	Stopped State = "stopped"
	Running State = "running"
	// Broken: stopped, and its definition cannot be loaded; it keeps its
	// id and ports until it is repaired or destroyed.
	Broken State = "broken"
)

// Inspect returns the jail's state. A jail nobody holds a lock on is
// recovered first, so what a jail that ended left is removed, and not
// shown as running.
func (h *Host) Inspect(name string) (*Info, error) {
	if err := h.mustExist("inspect", name); err != nil {
		return nil, err
	}
	if lk, err := h.Store.TryLock(name); err == nil {
		if err := h.recover(name); err != nil {
			h.Log.Warn("recover jail", "jail", name, "error", err)
		}
		lk.Unlock()
	}
	in := &Info{Name: name, State: Stopped}
	in.Def, in.DefErr = store.LoadDef(h.Store.DefPath(name))
	if in.DefErr != nil {
		in.Def, in.State = nil, Broken
	}
	if rt := h.Store.Running(name); rt != nil {
		in.State, in.Runtime = Running, rt
	}
	in.Last = h.Store.ReadLast(name)
	return in, nil
}

// destroyKernel removes the jail's kernel state: its host port programs
// (kmod/ports keys them on the cgroup id; its own go with its cgroup),
// its cgroups and processes, then the port reservations of every jail
// whose cgroup is gone. kmod itself stays free of the eBPF code, which
// jinit links and should not carry.
func destroyKernel(j *kmod.Jail, log hclog.Logger) error {
	if !j.Ours() {
		return kmod.ErrOtherIncarnation // a later start's: not ours to remove
	}
	var errs []error
	if err := removeGuard(j); err != nil {
		errs = append(errs, err)
	}
	if err := j.Destroy(log); err != nil {
		errs = append(errs, err)
	}
	if err := ports.Release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// waitExit waits up to within for a spawned jinit to exit.
func waitExit(p *kmod.Process, within time.Duration) bool {
	st, err := kmod.ProcStart(p.Pid())
	return err != nil || kmod.WaitGone(p.Pid(), st, within)
}
