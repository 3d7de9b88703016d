package collector

import (
	"context"
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
}

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
