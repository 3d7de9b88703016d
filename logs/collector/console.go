package collector

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/jailsproject/jails/logs"
)

// boundConsoles rotates the console.log of every running jail past its
// [logs] rotate_size, as a `jailctl run` keeper does for its own jail.
// jinit caps what it writes there itself, but a low jail's root can
// write to jinit's console behind its back (/proc/1/fd/2), and a started
// jail has no keeper: the collector, which already bounds the jail's
// other host files, is the host process that outlives the jail's starts.
// The rotation is the session's, read once; a console below it costs one
// lstat a poll.
func (c *Collector) boundConsoles() {
	c.mu.Lock()
	cfgs := make(map[string]logs.StoreConfig, len(c.sessions))
	for name, s := range c.sessions {
		cfgs[name] = s.cfg.WithDefaults()
	}
	c.mu.Unlock()
	for name, cfg := range cfgs {
		path := filepath.Join(c.cfg.Jails.LogDir(name), logs.ConsoleName)
		if fi, err := os.Lstat(path); err != nil || fi.Size() <= cfg.RotateSize {
			continue
		}
		if err := logs.RotateConsole(path, cfg.RotateSize, cfg.Keep); err != nil && !errors.Is(err, logs.ErrConsoleGrew) {
			c.warnEvery(logs.ConsoleName+"/"+name, "rotate console log", "jail", name, "error", err)
		}
	}
}
