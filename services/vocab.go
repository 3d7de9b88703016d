package services

import (
	"fmt"
	"syscall"
	"time"
)

// The vocabulary of the state machine (machine.go): its phases, events,
// timers and actions, with their names.

// Phase is where a service is in its life cycle.
type Phase uint8

const (
	PhaseDown      Phase = iota // not running and not wanted
	PhaseWaiting                // wanted, waiting for its dependencies
	PhaseStarting               // spawned, not ready yet
	PhaseRunning                // spawned and ready
	PhaseStopping               // stop signal sent, waiting for the exit
	PhaseFinishing              // the finish script is running
	PhaseBackoff                // waiting before the next start
	PhaseFailed                 // given up: start limit, finish 125, or a failure it may not restart from
	PhaseDone                   // a oneshot that exited 0
	numPhases
)

var phaseNames = [numPhases]string{"down", "waiting", "starting", "running", "stopping", "finishing", "backoff", "failed", "done"}

func (p Phase) String() string {
	if p < numPhases {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// Want is what the operator (or boot) asked for.
type Want uint8

const (
	WantDown Want = iota
	WantUp        // keep it running
	WantOnce      // run it once, do not restart
)

// EventKind enumerates what can happen to a service.
type EventKind uint8

const (
	EvUp          EventKind = iota // operator/boot: bring up and keep up
	EvDown                         // operator/shutdown: bring down
	EvOnce                         // operator: run once
	EvRestart                      // operator: stop, then start again at once
	EvDepsReady                    // every dependency is satisfied
	EvSpawned                      // the run program was started (Pid)
	EvSpawnFailed                  // fork/exec failed (Status carries 126/127)
	EvReady                        // the readiness mechanism reported ready
	EvExited                       // the main process exited (Status)
	EvFinished                     // the finish script exited (Status)
	EvTimer                        // a timer set by ActSetTimer fired (Timer, Gen)
	numEventKinds
)

var eventNames = [numEventKinds]string{"up", "down", "once", "restart", "deps-ready", "spawned", "spawn-failed", "ready", "exited", "finished", "timer"}

func (k EventKind) String() string {
	if k < numEventKinds {
		return eventNames[k]
	}
	return fmt.Sprintf("event(%d)", k)
}

// TimerKind names the one timer a service may have running.
type TimerKind uint8

const (
	TimerNone    TimerKind = iota
	TimerBackoff           // end of a restart delay
	TimerStop              // stop_timeout elapsed: SIGKILL the group
	TimerFinish            // finish_timeout elapsed: SIGKILL finish
	TimerReady             // readiness timeout elapsed
	TimerSettle            // a service without readiness has stayed up long enough
)

var timerNames = []string{"none", "backoff", "stop", "finish", "ready", "settle"}

func (k TimerKind) String() string {
	if int(k) < len(timerNames) {
		return timerNames[k]
	}
	return fmt.Sprintf("timer(%d)", k)
}

// ExitStatus is how a process ended: Code when it exited, Signal when killed.
type ExitStatus struct {
	Code   int
	Signal syscall.Signal
}

// Failed reports whether the exit counts as a failure.
func (e ExitStatus) Failed() bool { return e.Code != 0 || e.Signal != 0 }

func (e ExitStatus) String() string {
	if e.Signal != 0 {
		return "signal " + signalName(e.Signal)
	}
	return fmt.Sprintf("exit %d", e.Code)
}

// FromWaitStatus converts a wait(2) status.
func FromWaitStatus(ws syscall.WaitStatus) ExitStatus {
	if ws.Signaled() {
		return ExitStatus{Signal: ws.Signal()}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}

// Event is one input to Step.
type Event struct {
	Kind   EventKind
	Now    time.Time
	Pid    int
	Status ExitStatus
	Timer  TimerKind
	Gen    uint64 // generation of the timer that fired
	Cause  string // EvSpawnFailed: why (e.g. `look up user "www-data": unknown user`)
}

// ActionKind enumerates what the engine must do.
type ActionKind uint8

const (
	ActSpawn          ActionKind = iota // start the run program
	ActSignal                           // send Signal to the service's process group
	ActKillGroup                        // SIGKILL whatever is left of the process group
	ActRunFinish                        // run finish with Status as arguments
	ActKillFinish                       // SIGKILL the finish script
	ActStartReadiness                   // begin probing readiness
	ActStopReadiness                    // stop probing readiness
	ActSetTimer                         // arm Timer for Delay (Gen identifies it)
	ActCancelTimer                      // disarm the timer
	ActLog                              // write Message to the service's log
	numActionKinds
)

var actionNames = [numActionKinds]string{"spawn", "signal", "kill-group", "run-finish", "kill-finish",
	"start-readiness", "stop-readiness", "set-timer", "cancel-timer", "log"}

func (k ActionKind) String() string {
	if k < numActionKinds {
		return actionNames[k]
	}
	return fmt.Sprintf("action(%d)", k)
}

// Action is one output of Step.
type Action struct {
	Kind    ActionKind
	Signal  syscall.Signal
	Status  ExitStatus
	Timer   TimerKind
	Delay   time.Duration
	Gen     uint64
	Message string
}
