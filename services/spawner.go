package services

import (
	"errors"
	"syscall"
	"time"
)

// The engine reaches processes and time only through a Spawner and a Clock,
// so that everything around Step (dependency order, shutdown, wait-ready,
// rescans) can be tested without starting a process or waiting. The real
// implementations are Processes and wallClock.

// ProcKind says which program of a service a Proc is.
type ProcKind uint8

const (
	ProcRun    ProcKind = iota // the run program (the service's main process)
	ProcFinish                 // the finish program
	ProcCheck                  // a readiness or `sv check` probe
)

// Proc is one process the engine starts. It always gets a new session, so
// its process group (pgid = pid) can be signalled as a whole.
type Proc struct {
	Kind    ProcKind
	Service string
	Path    string
	Argv    []string
	Dir     string
	Env     []string
	Files   []uintptr // descriptors 0, 1, 2, …; ^uintptr(0) leaves one closed
	Cred    *syscall.Credential
}

// Spawner starts and signals the engine's processes. Exits come back
// through the Reaper, never through the Spawner.
type Spawner interface {
	Start(p Proc) (pid int, err error)
	// SignalGroup signals process group pgid; it returns ESRCH once the
	// group is gone.
	SignalGroup(pgid int, sig syscall.Signal) error
	// SignalDescendants signals every process below the supervisor, and
	// AnyDescendants reports whether one is left (the end of a shutdown).
	SignalDescendants(sig syscall.Signal)
	AnyDescendants() bool
}

// Clock is the engine's time: now, and a callback after a delay.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending Clock callback.
type Timer interface{ Stop() bool }

// Processes is the real Spawner: fork+exec in a new session.
type Processes struct{}

func (Processes) Start(p Proc) (int, error) {
	return syscall.ForkExec(p.Path, p.Argv, &syscall.ProcAttr{
		Dir:   p.Dir,
		Env:   p.Env,
		Files: p.Files,
		Sys:   &syscall.SysProcAttr{Setsid: true, Credential: p.Cred},
	})
}

func (Processes) SignalGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 0 {
		return syscall.ESRCH // never kill(0) or kill(-1) by mistake
	}
	return syscall.Kill(-pgid, sig)
}

func (Processes) SignalDescendants(sig syscall.Signal) { killDescendants(sig) }
func (Processes) AnyDescendants() bool                 { return anyDescendants() }

type wallClock struct{}

func (wallClock) Now() time.Time                            { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// groupGone reports whether a SignalGroup error means the group no longer
// exists.
func groupGone(err error) bool { return errors.Is(err, syscall.ESRCH) }
