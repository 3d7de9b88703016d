package jail

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jailsproject/jails/jailctl/store"
)

// createPrefix names the directories where creates build a jail before
// they rename it into place.
const createPrefix = ".create-"

// Create defines a jail from r (its id is assigned here) with the service
// directories of svcDir installed. The jail appears whole or not at all:
// it is built in a directory of its own and renamed into place, so a
// create killed at any point leaves at most such a directory, which the
// next create removes.
func (h *Host) Create(r *store.Resolved, svcDir string) error {
	name := r.Def.Name
	// Creates are serialised instance-wide: ids and port reservations are
	// checked against every other definition.
	lk, err := h.Store.LockCreate()
	if err != nil {
		return err
	}
	defer lk.Unlock()
	h.removeStaleCreates()
	if _, err := os.Lstat(h.Store.JailDir(name)); err == nil {
		if _, derr := os.Lstat(h.Store.DefPath(name)); derr != nil {
			return &Error{Op: "create", Name: name, Err: fmt.Errorf("%s exists but holds no jail.toml: remove it, or `jailctl destroy %s`", h.Store.JailDir(name), name)}
		}
		return &Error{Op: "create", Name: name, Err: ErrExist}
	}
	if err := h.Store.CheckPorts(name, r.Ports); err != nil {
		return opError("create", name, err)
	}
	if r.Def.ID, err = h.Store.NextID(); err != nil {
		return opError("create", name, err)
	}
	if store.UsesUserNS(r.Def.Profile) {
		base := h.UIDBase
		if base == 0 {
			base = store.DefaultUIDBase
		}
		if r.Def.UIDBase, err = h.Store.NextUIDBase(base); err != nil {
			return opError("create", name, err)
		}
	}
	tmp, err := os.MkdirTemp(h.Store.Lib, createPrefix+name+"-")
	if err != nil {
		return opError("create", name, err)
	}
	defer os.RemoveAll(tmp)
	staging := *h.Store
	staging.Lib = tmp
	err = staging.Materialise(r, svcDir)
	if err == nil {
		err = staging.Reserve(r)
	}
	if err == nil {
		err = os.Rename(staging.JailDir(name), h.Store.JailDir(name))
	}
	if err != nil {
		return opError("create", name, err)
	}
	return nil
}

// removeStaleCreates removes what creates killed half-way left; the
// create lock is held, so none is in progress.
func (h *Host) removeStaleCreates() {
	ents, _ := os.ReadDir(h.Store.Lib)
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), createPrefix) {
			if err := os.RemoveAll(filepath.Join(h.Store.Lib, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				h.Log.Warn("remove a killed create's directory", "dir", e.Name(), "error", err)
			}
		}
	}
}
