package logs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// A jail's console.log (in its log directory) holds jinit's own output: a
// service that keeps crashing makes jinit say so many times a second, for
// as long as the jail runs, and in a low jail the jail's root can write
// there too (through /proc/1/fd/2). jinit holds the file open (O_APPEND)
// from its start, so it cannot be renamed away: whoever bounds it (the
// start, a `jailctl run` keeper, the collector) moves everything beyond
// the jail's [logs] rotate_size into console.log.<UTC time> and keeps
// `keep` of those (RotateConsole).
const (
	ConsoleName    = "console.log"
	ConsoleArchive = ConsoleName + "."
)

// ErrConsoleGrew: the file grew between the copy and the cut, on a file
// system that cannot collapse a range; the archive is removed and the
// next rotation tries again.
var ErrConsoleGrew = errors.New("console log grew while being rotated; retrying")

// RotateConsole moves the start of path into a new archive once path is
// larger than size, then prunes archives beyond keep. Nothing written
// meanwhile is lost: the archived bytes are cut from the front of the
// file (cutFront), behind which writers go on appending. Rotators
// exclude each other with a lock on the file (two would archive the same
// bytes and cut twice); one that finds it taken leaves the work to the
// holder. An archive holds at most archiveMax, the newest bytes of a
// flood; where none fits (a full file system) the front is cut all the
// same; either loss is counted in the console (*ConsoleCut). path is
// opened without following links, and anything but a regular file is
// left alone: its directory is the host's, its content the jail's.
func RotateConsole(path string, size int64, keep int) error {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("rotate console: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); errors.Is(err, unix.EWOULDBLOCK) {
		return nil // another rotator is at it
	} else if err != nil {
		return fmt.Errorf("rotate console: lock %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() <= size || !fi.Mode().IsRegular() {
		return err
	}
	n, err := cutLength(f, fi.Size())
	if err != nil || n == 0 {
		return err
	}
	dir := filepath.Dir(path)
	// A flood (more than an archive holds since the last rotation): only
	// its newest bytes are archived, so keep archives bound the disk.
	skip := max(0, n-archiveMax(size))
	archive := filepath.Join(dir, ConsoleArchive+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := archiveRange(f, filepath.Join(dir, consolePart), archive, skip, n); noSpace(err) {
		return cutUnarchived(f, path, n, err)
	} else if err != nil {
		return err
	}
	if err := cutFront(f, n); err != nil {
		os.Remove(archive) // the bytes are still in path
		return fmt.Errorf("rotate %s: %w", path, err)
	}
	if err := pruneArchives(dir, ConsoleArchive, "", keep); err != nil || skip == 0 {
		return err
	}
	return noteLoss(path, skip, ErrConsoleFlood)
}

// archiveMax is the most one console archive holds: four rotations'
// worth, at least 1 MiB. jinit's own messages never come near it (it
// stops writing past one rotate_size); only a writer behind its back
// does.
func archiveMax(size int64) int64 { return max(4*size, 1<<20) }

// ErrConsoleFlood: more was written between two rotations than an archive
// holds (archiveMax); the older part was cut without an archive.
var ErrConsoleFlood = errors.New("more than an archive holds (4 rotate_size, at least 1 MiB) was written since the last rotation")

// consolePart is the archive being written. It takes its archive's name
// only once whole, so a rotator killed while it copies leaves no partial
// archive beside bytes still in the console; the next rotation writes
// over it (rotators hold the console's lock).
const consolePart = "." + ConsoleName + ".part"

// archiveRange writes bytes [from, to) of f to part, then names it dst.
func archiveRange(f *os.File, part, dst string, from, to int64) error {
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, 0o640)
	if err != nil {
		return fmt.Errorf("rotate console: %w", err)
	}
	_, err = io.Copy(out, io.NewSectionReader(f, from, to-from))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(part, dst) // never over an existing archive
	}
	os.Remove(part)
	if err != nil {
		return fmt.Errorf("rotate console: %w", err)
	}
	return nil
}

// noSpace: the file system (or the owner's quota) is full.
func noSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// cutUnarchived cuts the first n bytes of a console that no archive fits
// in. Whoever writes the console (jinit's cap aside, the root of a low
// jail can) must not keep the log file system full for every other jail.
func cutUnarchived(f *os.File, path string, n int64, cause error) error {
	if err := cutFront(f, n); err != nil {
		return fmt.Errorf("rotate %s: %w (and no room for an archive: %w)", path, err, cause)
	}
	return noteLoss(path, n, cause)
}

// noteLoss appends a line to the console counting the bytes cut from it
// without an archive, where its reader looks, and returns the loss.
func noteLoss(path string, lost int64, cause error) error {
	note := fmt.Sprintf("jails: %d bytes cut from the front of this console without an archive: %v\n", lost, unwrapAll(cause))
	if w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|unix.O_NOFOLLOW, 0); err == nil {
		w.WriteString(note)
		w.Close()
	}
	return &ConsoleCut{Path: path, Lost: lost, Err: cause}
}

// ConsoleCut is a rotation that cut part of the console's front without
// an archive: no room for one (cutUnarchived), or a flood beyond
// archiveMax. The console is bounded, and says what it lost.
type ConsoleCut struct {
	Path string
	Lost int64 // bytes cut without an archive
	Err  error // why: ENOSPC, EDQUOT or ErrConsoleFlood
}

func (e *ConsoleCut) Error() string {
	return fmt.Sprintf("rotate %s: %d bytes cut without an archive: %v", e.Path, e.Lost, e.Err)
}

func (e *ConsoleCut) Unwrap() error { return e.Err }

// unwrapAll is the innermost error of a chain (the errno).
func unwrapAll(err error) error {
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err
}

// ConsoleArchives lists the console archives in dir, oldest first, as
// paths.
func ConsoleArchives(dir string) ([]string, error) { return archivesIn(dir, ConsoleArchive, "") }

// truncateIfSize empties f if its size is still n. The window between
// the check and the truncation is a few microseconds, on file systems
// that cannot collapse a range only.
func truncateIfSize(f *os.File, n int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != n {
		return ErrConsoleGrew
	}
	return f.Truncate(0)
}
