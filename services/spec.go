// Package services defines the service-directory contract (s6/runit files plus
// an optional service.toml) and the supervision engine that runs it.
package services

import (
	"syscall"
	"time"
)

// Restart says when a service that exited is started again.
type Restart string

const (
	RestartAlways    Restart = "always"     // whatever the exit status (runit/s6 default)
	RestartOnFailure Restart = "on-failure" // only after a non-zero exit or a signal
	RestartNever     Restart = "never"      // never; the service stays down (or failed)
)

// Readiness says how jinit learns that a started service is ready to serve.
type Readiness struct {
	// NotificationFD is the s6 convention: the daemon writes a newline to
	// this descriptor when ready. 0 means unset (fd 0 is stdin, never valid).
	NotificationFD int
	// Check is a command (argv) run periodically until it exits 0.
	Check []string
	// TCPPort is a port on 127.0.0.1 that accepts connections once ready.
	TCPPort int
	// Interval between check/TCP probes.
	Interval time.Duration
	// Timeout is how long a service may take to become ready before it is
	// treated as failed and restarted; 0 means no limit.
	Timeout time.Duration
}

// Mechanism reports whether any readiness mechanism is configured. A service
// without one is ready as soon as it has been spawned (runit semantics).
func (r Readiness) Mechanism() bool {
	return r.NotificationFD > 0 || len(r.Check) > 0 || r.TCPPort > 0
}

// Rlimit is one resource limit applied to the service before exec.
type Rlimit struct {
	Resource int // unix.RLIMIT_*
	Name     string
	Soft     uint64
	Hard     uint64
}

// Policy is the restart and stop behaviour of a service: the part of the
// definition the pure state machine needs.
type Policy struct {
	Restart Restart
	Oneshot bool

	BackoffInitial time.Duration // delay before the second consecutive restart
	BackoffMax     time.Duration // cap of the exponential growth
	BackoffReset   time.Duration // uptime after which the service counts as stable again

	StartLimitBurst    int           // deaths within StartLimitInterval that mark it failed
	StartLimitInterval time.Duration //

	StopSignal    syscall.Signal
	StopTimeout   time.Duration // stop signal → SIGKILL to the process group
	FinishTimeout time.Duration // finish script → SIGKILL

	HasFinish    bool // a finish script exists
	HasReadiness bool // a readiness mechanism is configured
	ReadyTimeout time.Duration

	// Settle is how long a service without a readiness mechanism must stay
	// up before it counts as started (what `jailctl start` waits for).
	Settle time.Duration
	// KillLeftovers: when the main process dies, SIGKILL what is left of
	// its process group before anything else happens (finish, restart).
	KillLeftovers bool
}

// Style is the supervisor a service directory was written for, which
// decides the few places where runit and s6 differ (finish's arguments).
type Style uint8

const (
	StyleS6    Style = iota // an s6 file is present (notification-fd, down-signal, timeout-*, type, …)
	StyleRunit              // none is: a runit directory, as Debian's runit-services ships
)

// Service is one loaded service directory.
type Service struct {
	Name  string
	Dir   string // absolute path of the service directory
	Style Style

	Run     string   // path of the run program
	RunArgs []string // its argv when it is not ./run (s6-rc oneshots and bundles)
	LogFor  string   // a log/ service: the service whose stdout it reads
	Finish  string   // path of the finish program, "" if none

	// Down is true when a `down` file exists: the service is not started
	// at boot, only on an explicit up/once.
	Down bool

	Env      []string // KEY=VALUE from env/, applied over jinit's environment
	EnvUnset []string // variables named by empty env/ files: removed

	Depends   []string
	Readiness Readiness
	Policy    Policy

	User    string // user name or numeric uid; "" keeps jinit's
	Group   string // group name or numeric gid; "" uses the user's primary group
	Rlimits []Rlimit

	// LogDrop makes the log buffer drop the oldest lines instead of
	// blocking the service when it is full.
	LogDrop bool
}

// Defaults for fields service.toml leaves unset.
const (
	DefaultBackoffInitial     = 100 * time.Millisecond
	DefaultBackoffMax         = 30 * time.Second
	DefaultBackoffReset       = 10 * time.Second
	DefaultStartLimitBurst    = 10
	DefaultStartLimitInterval = 60 * time.Second
	DefaultStopTimeout        = 10 * time.Second
	DefaultFinishTimeout      = 5 * time.Second
	DefaultReadyInterval      = 200 * time.Millisecond
	DefaultSettle             = 300 * time.Millisecond
)

// DefaultPolicy is the policy of a plain runit/s6 directory.
func DefaultPolicy() Policy {
	return Policy{
		Restart:            RestartAlways,
		BackoffInitial:     DefaultBackoffInitial,
		BackoffMax:         DefaultBackoffMax,
		BackoffReset:       DefaultBackoffReset,
		StartLimitBurst:    DefaultStartLimitBurst,
		StartLimitInterval: DefaultStartLimitInterval,
		StopSignal:         syscall.SIGTERM,
		StopTimeout:        DefaultStopTimeout,
		FinishTimeout:      DefaultFinishTimeout,
		Settle:             DefaultSettle,
		KillLeftovers:      true,
	}
}
