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
// holder. Where no archive fits (a full file system), the front is cut
// all the same and the loss counted in the console (*ConsoleCut). path is
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
	archive := filepath.Join(dir, ConsoleArchive+time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := archiveFront(f, filepath.Join(dir, consolePart), archive, n); noSpace(err) {
		return cutUnarchived(f, path, n, err)
	} else if err != nil {
		return err
	}
	if err := cutFront(f, n); err != nil {
		os.Remove(archive) // the bytes are still in path
		return fmt.Errorf("rotate %s: %w", path, err)
	}
	return pruneArchives(dir, ConsoleArchive, "", keep)
}

// consolePart is the archive being written. It takes its archive's name
// only once whole, so a rotator killed while it copies leaves no partial
// archive beside bytes still in the console; the next rotation writes
// over it (rotators hold the console's lock).
const consolePart = "." + ConsoleName + ".part"

// archiveFront writes the first n bytes of f to part, then names it dst.
func archiveFront(f *os.File, part, dst string, n int64) error {
	out, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, 0o640)
	if err != nil {
		return fmt.Errorf("rotate console: %w", err)
	}
	_, err = io.Copy(out, io.NewSectionReader(f, 0, n))
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
// in, and appends a line counting them. Whoever writes the console
// (jinit's cap aside, the root of a low jail can) must not keep the log
// file system full for every other jail; what it loses this way is
// counted where its reader looks, and returned as the error.
func cutUnarchived(f *os.File, path string, n int64, cause error) error {
	if err := cutFront(f, n); err != nil {
		return fmt.Errorf("rotate %s: %w (and no room for an archive: %w)", path, err, cause)
	}
	note := fmt.Sprintf("jails: %d bytes cut from the front of this console without an archive: %v\n", n, unwrapAll(cause))
	if w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|unix.O_NOFOLLOW, 0); err == nil {
		w.WriteString(note)
		w.Close()
	}
	return &ConsoleCut{Path: path, Lost: n, Err: cause}
}

// ConsoleCut is a rotation that found no room for its archive and cut
// the console's front all the same (cutUnarchived); the console is
// bounded, and says what it lost.
type ConsoleCut struct {
	Path string
	Lost int64 // bytes cut without an archive
	Err  error // why no archive fits (ENOSPC, EDQUOT)
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
