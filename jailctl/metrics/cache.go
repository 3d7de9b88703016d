package metrics

import (
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
)

// Cache keeps, between scrapes, what cannot change while a jail runs: its
// runtime record and definition decoded (reloaded when the file's inode,
// size or modification time changes, so a restart or a hand edit is seen
// at once), and its kernel limits (read on the first scrape of a run).
// Figures are never cached: every scrape samples the kernel and asks jinit.
// Each jail is still checked for life (the start time of its jinit, or
// of the jailctl that keeps it) every time.
type Cache struct {
	mu   sync.Mutex
	jail map[string]*cachedJail
}

type cachedJail struct {
	rtKey, defKey fileKey
	rt            *store.Runtime
	sample        func(limits bool) (kmod.Usage, bool) // nil where there is no kernel accounting
	def           *store.Resolved                      // nil if it does not load
	limits        *kmod.Usage                          // MemLimit and PidsLimit of this run, once read
}

type fileKey struct {
	ino, size int64
	mtime     time.Time
}

func NewCache() *Cache { return &Cache{jail: map[string]*cachedJail{}} }

func keyOf(path string) (fileKey, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileKey{}, false
	}
	k := fileKey{size: fi.Size(), mtime: fi.ModTime()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.ino = int64(sys.Ino)
	}
	return k, true
}

// running returns the jail's runtime record if it is running, and the
// cache entry of that run.
func (c *Cache) running(st *store.Store, name string) (*store.Runtime, *cachedJail) {
	k, ok := keyOf(st.RuntimePath(name))
	if !ok {
		c.forget(name)
		return nil, nil
	}
	c.mu.Lock()
	e := c.jail[name]
	c.mu.Unlock()
	if e == nil || e.rtKey != k {
		rt, err := st.ReadRuntime(name)
		if err != nil {
			return nil, nil
		}
		e = &cachedJail{rtKey: k, rt: rt, sample: kernelSampler(rt)}
		c.mu.Lock()
		c.jail[name] = e
		c.mu.Unlock()
	}
	if !e.rt.Alive() {
		return nil, nil
	}
	return e.rt, e
}

// def returns the jail's definition, reloading it when the file changed.
func (c *Cache) def(st *store.Store, name string, e *cachedJail) *store.Resolved {
	k, ok := keyOf(st.DefPath(name))
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.defKey != k {
		e.def, _ = store.LoadDef(st.DefPath(name))
		e.defKey = k
	}
	return e.def
}

// usage samples the kernel, reading the limits only on the run's first scrape.
func (c *Cache) usage(e *cachedJail) (kmod.Usage, bool) {
	if e.sample == nil {
		return kmod.Usage{}, !kernelUsage // NetBSD: nothing to read yet; Linux: no cgroup, no jail
	}
	c.mu.Lock()
	lim := e.limits
	c.mu.Unlock()
	u, ok := e.sample(lim == nil)
	if !ok {
		return u, false
	}
	c.mu.Lock()
	if e.limits == nil {
		e.limits = &kmod.Usage{MemLimit: u.MemLimit, PidsLimit: u.PidsLimit}
	}
	u.MemLimit, u.PidsLimit = e.limits.MemLimit, e.limits.PidsLimit
	c.mu.Unlock()
	return u, true
}

func (c *Cache) forget(name string) {
	c.mu.Lock()
	delete(c.jail, name)
	c.mu.Unlock()
}

// keepOnly forgets the jails not in live.
func (c *Cache) keepOnly(live map[string]bool) {
	c.mu.Lock()
	for n := range c.jail {
		if !live[n] {
			delete(c.jail, n)
		}
	}
	c.mu.Unlock()
}
