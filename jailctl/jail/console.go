package jail

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/logs"
)

// console.log holds jinit's own output and the keeper's: a service that
// keeps crashing makes jinit say so many times a second, for as long as
// the jail runs. jinit holds the file open (O_APPEND) from its start, so
// it cannot be renamed away: its keeper, which lives exactly as long as
// the jail, checks it each consoleCheck and moves everything beyond the
// jail's [logs] rotate_size into console.log.<UTC time>, keeping `keep`
// of those (docs/LOGS.md's settings, the collector's for service files).
const consoleCheck = time.Second

// ConsoleArchive names one rotated console file.
const ConsoleArchive = "console.log."

// consoleSettings are the jail's [logs] rotate_size and keep, for its
// console.
func consoleSettings(r *store.Resolved) (size int64, keep int) {
	size, keep = int64(logs.DefaultRotateSize), logs.DefaultKeep
	if r != nil && r.LogRotateSize > 0 {
		size = r.LogRotateSize
	}
	if r != nil && r.Def.Logs.Keep > 0 {
		keep = r.Def.Logs.Keep
	}
	return size, keep
}

// consoleMax is how much jinit may write on the console of a jail that
// runs on its own, which nothing rotates while it runs: one rotation's
// worth, past which it counts what it drops (jinit/console.go).
func consoleMax(r *store.Resolved) int64 {
	size, _ := consoleSettings(r)
	return size
}

// openConsole rotates the console of a jail about to start and opens it
// for jinit.
func openConsole(path string, r *store.Resolved) (*os.File, error) {
	size, keep := consoleSettings(r)
	if err := rotateConsole(path, size, keep); err != nil {
		return nil, fmt.Errorf("rotate console log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscallNoFollow, 0o640)
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
				if err := rotateConsole(st.ConsolePath(name), size, keep); err != nil {
					log.Warn("rotate console log", "jail", name, "error", err)
				}
			}
		}
	}()
	return func() { tick.Stop(); close(done) }
}

// rotateConsole moves the start of path into a new archive once path is
// larger than size, then prunes archives beyond keep. Nothing written
// meanwhile is lost: the archived bytes are cut from the front of the
// file (cutFront), behind which writers go on appending.
func rotateConsole(path string, size int64, keep int) error {
	f, err := os.OpenFile(path, os.O_RDWR|syscallNoFollow, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() <= size || !fi.Mode().IsRegular() {
		return err
	}
	n, err := cutLength(f, fi.Size())
	if err != nil || n == 0 {
		return err
	}
	archive := fmt.Sprintf("%s%s", filepath.Join(filepath.Dir(path), ConsoleArchive), time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := copyPrefix(f, archive, n); err != nil {
		return err
	}
	if err := cutFront(f, n); err != nil {
		os.Remove(archive) // the bytes are still in path
		return fmt.Errorf("rotate %s: %w", path, err)
	}
	return pruneConsole(filepath.Dir(path), keep)
}

// copyPrefix writes the first n bytes of f to a new file at dst.
func copyPrefix(f *os.File, dst string, n int64) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscallNoFollow, 0o640)
	if err != nil {
		return fmt.Errorf("rotate console: %w", err)
	}
	_, err = io.Copy(out, io.NewSectionReader(f, 0, n))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("rotate console: %w", err)
	}
	return nil
}

// pruneConsole removes the oldest console archives beyond keep.
func pruneConsole(dir string, keep int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var arch []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ConsoleArchive) && e.Type().IsRegular() {
			arch = append(arch, e.Name())
		}
	}
	sort.Strings(arch)
	for len(arch) > keep {
		os.Remove(filepath.Join(dir, arch[0]))
		arch = arch[1:]
	}
	return nil
}

// errConsoleGrew: the file grew between the copy and the cut; the
// archive is removed and the next check tries again.
var errConsoleGrew = errors.New("console log grew while being rotated; retrying")

// truncateIfSize empties f if its size is still n. The window between
// the check and the truncation is a few microseconds, on file systems
// that cannot collapse a range only.
func truncateIfSize(f *os.File, n int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != n {
		return errConsoleGrew
	}
	return f.Truncate(0)
}
