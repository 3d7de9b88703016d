package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jailsproject/jails/logs"
	"golang.org/x/sys/unix"
)

// maxSpill bounds a spill the collector reads: jinit's buffer is at most a
// few times [logs] buffer, and the jail writes the file.
const maxSpill = 1 << 30

// The spill directory is in the jail's writable layer, which the jail
// controls: it is opened beneath the layer with no symlink, magic link or
// mount crossing on the way, and a spill must be a regular file.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// spillDir opens the jail's spill directory; ENOENT where there is none.
func (j storeJails) spillDir(name string) (*os.File, error) {
	rw, err := unix.Open(j.st.RWDir(name), unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rw)
	fd, err := unix.Openat2(rw, logs.SpillDir, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: beneath})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), logs.SpillDir), nil
}

func (j storeJails) Spilled() ([]string, error) {
	all, err := names(j.st.Lib)
	var out []string
	for _, n := range all {
		if b, _ := j.Spills(n); len(b) > 0 {
			out = append(out, n)
		}
	}
	return out, err
}

func (j storeJails) Spills(name string) ([]string, error) {
	d, err := j.spillDir(name)
	if err != nil {
		if err == unix.ENOENT {
			return nil, nil
		}
		return nil, fmt.Errorf("open spill directory of %s: %w", name, err)
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	var boots []string
	for _, e := range ents {
		if b, ok := strings.CutSuffix(e.Name(), logs.SpillSuffix); ok && logs.ValidBoot(b) && e.Type().IsRegular() {
			boots = append(boots, b)
		}
	}
	return boots, err
}

func (j storeJails) OpenSpill(name, boot string) (io.ReadCloser, error) {
	if !logs.ValidBoot(boot) {
		return nil, fmt.Errorf("spill %q: not a boot id", boot)
	}
	d, err := j.spillDir(name)
	if err != nil {
		return nil, fmt.Errorf("open spill of %s: %w", name, err)
	}
	defer d.Close()
	fd, err := unix.Openat2(int(d.Fd()), boot+logs.SpillSuffix, &unix.OpenHow{
		Flags: unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC, Resolve: beneath})
	if err != nil {
		return nil, fmt.Errorf("open spill of %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), boot+logs.SpillSuffix)
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxSpill {
		f.Close()
		return nil, fmt.Errorf("spill of %s: not a regular file of at most %d bytes", name, maxSpill)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, maxSpill), f}, nil
}

func (j storeJails) RemoveSpill(name, boot string) error {
	if !logs.ValidBoot(boot) {
		return fmt.Errorf("spill %q: not a boot id", boot)
	}
	d, err := j.spillDir(name)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Unlinkat(int(d.Fd()), boot+logs.SpillSuffix, 0)
}
