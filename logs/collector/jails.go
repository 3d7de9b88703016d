package collector

import (
	"context"
	"io"
	"time"

	"github.com/jailsproject/jails/logs"
)

// Jails is what the collector needs of a jails instance: which jails run,
// where their logs go, and their log streams. The host side (the
// collector binary, over jailctl/store and jinit's control socket)
// implements it; tests implement it without jails. Nothing here names a
// jail but the implementation: a stream's records carry service names
// only, so nothing a jail sends can put a line under another jail.
type Jails interface {
	// Running lists the jails whose log stream can be subscribed to now.
	Running() ([]string, error)
	// Alive reports whether the jail still runs (its stream may come back).
	Alive(name string) bool
	// LogRoot is the directory of every jail's log directory; LogDir is
	// one jail's, below it. Collected lists the jails that have one.
	LogRoot() string
	LogDir(name string) string
	Collected() ([]string, error)
	// StoreConfig is the jail's rotation and retention, def where the jail
	// does not set its own.
	StoreConfig(name string, def logs.StoreConfig) logs.StoreConfig
	// LastExit is how the jail's last run ended, if it is recorded.
	LastExit(name string) (at time.Time, reason string, ok bool)
	// Started is when the jail's current run started (zero if unknown).
	Started(name string) time.Time
	// Subscribe opens the jail's log stream after the checkpoint.
	Subscribe(ctx context.Context, name string, cp logs.Checkpoint) (Stream, error)
	// Spilled lists the jails in which jinit left spills (the records it
	// could not hand over before it ended); Spills lists one jail's, by
	// boot. OpenSpill opens one (read-only, bounded: the jail wrote it),
	// and RemoveSpill deletes it once it is stored.
	Spilled() ([]string, error)
	Spills(name string) ([]string, error)
	OpenSpill(name, boot string) (io.ReadCloser, error)
	RemoveSpill(name, boot string) error
	// ReportStore publishes the state of the jail's log store where
	// `jailctl list` and `status` see it: st while it is failing, nil once
	// it takes batches again.
	ReportStore(name string, st *StoreState)
}

// StoreState is a log store that does not take the jail's batches.
type StoreState struct {
	Full   bool      `json:"full"` // out of space (ENOSPC, EDQUOT)
	Since  time.Time `json:"since"`
	Errors uint64    `json:"errors"` // batches refused since the collector started
	Error  string    `json:"error"`  // the last error
}

// StoreStateFile is where the host side publishes a StoreState, in the
// jail's run directory (not the log store, which may be the full disk).
const StoreStateFile = "log-store.json"

// Stream is one subscription to a jail's log stream (docs/LOGS.md).
type Stream interface {
	// Boot names the stream jinit is on (a new one per jinit start).
	Boot() string
	// Next returns the next encoded batch (logs.DecodeBatch), which may
	// alias buf's memory until the next call.
	Next(buf *[]byte) ([]byte, error)
	// Ack acknowledges every record up to seq: they are stored.
	Ack(seq uint64) error
	Close() error
}
