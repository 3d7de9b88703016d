package collector

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/jailsproject/jails/logs"
)

// boundConsoles rotates the console.log of every running jail past its
// [logs] rotate_size, as a `jailctl run` keeper does for its own jail.
// jinit caps what it writes there itself, but a low jail's root can
// write to jinit's console behind its back (/proc/1/fd/2), and a started
// jail has no keeper: the collector, which already bounds the jail's
// other host files, is the host process that outlives the jail's starts.
// A console below the smallest rotation size costs one lstat.
func (c *Collector) boundConsoles(names []string) {
	for _, name := range names {
		path := filepath.Join(c.cfg.Jails.LogDir(name), logs.ConsoleName)
		if fi, err := os.Lstat(path); err != nil || fi.Size() <= logs.MinRotateSize {
			continue
		}
		cfg := c.storeConfig(name).WithDefaults()
		if err := logs.RotateConsole(path, cfg.RotateSize, cfg.Keep); err != nil && !errors.Is(err, logs.ErrConsoleGrew) {
			c.warnConsole(name, err)
		}
	}
}

// warnConsole says, once per Report interval and jail, that its console
// could not be rotated.
func (c *Collector) warnConsole(name string, err error) {
	key := logs.ConsoleName + "/" + name
	c.mu.Lock()
	last := c.warned[key]
	due := time.Since(last) >= c.cfg.Report
	if due {
		c.warned[key] = time.Now()
	}
	c.mu.Unlock()
	if due {
		c.log.Warn("rotate console log", "jail", name, "error", err)
	}
}
