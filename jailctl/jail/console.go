package jail

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs"
)

// console.log holds jinit's own output (logs.RotateConsole). The start
// rotates it; a `jailctl run` keeper, which lives exactly as long as its
// jail, checks it each consoleCheck; the collector does the same for
// every running jail, kept or not, so a jail's root that writes there
// behind jinit's back is bounded too.
const consoleCheck = time.Second

// consoleSettings are the jail's [logs] rotate_size and keep, for its
// console.
func consoleSettings(r *store.Resolved) (size int64, keep int) {
	cfg := r.LogStore(logs.StoreConfig{}).WithDefaults()
	return cfg.RotateSize, cfg.Keep
}

// consoleMax is how much jinit may write on the console of a jail that
// runs on its own: one rotation's worth, past which it counts what it
// drops (jinit/console.go). The collector rotates it meanwhile where one
// runs; without one, only the next start does.
func consoleMax(r *store.Resolved) int64 {
	size, _ := consoleSettings(r)
	return size
}

// openConsole rotates the console of a jail about to start and opens it
// for jinit.
func openConsole(path string, r *store.Resolved) (*os.File, error) {
	size, keep := consoleSettings(r)
	// A console cut without an archive (a full disk) is bounded, and
	// says so itself: the start goes on.
	var cut *logs.ConsoleCut
	if err := logs.RotateConsole(path, size, keep); err != nil && !errors.As(err, &cut) {
		return nil, fmt.Errorf("rotate console log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open console log: %w", err)
	}
	return f, nil
}

// watchConsole starts bounding the console of jail name; stop ends it.
func watchConsole(st *store.Store, name string, log hclog.Logger) (stop func()) {
	r, _ := store.LoadDef(st.DefPath(name))
	size, keep := consoleSettings(r)
	done := make(chan struct{})
	tick := time.NewTicker(consoleCheck)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if err := logs.RotateConsole(st.ConsolePath(name), size, keep); err != nil {
					log.Warn("rotate console log", "jail", name, "error", err)
				}
			}
		}
	}()
	return func() { tick.Stop(); close(done) }
}
