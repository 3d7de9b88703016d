package kmod

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoStatus: a process has exited, but how could not be learned.
var ErrNoStatus = errors.New("exit status unavailable")

// KeeperWord is what jinit writes on the keeper socket just before it
// exits with code: the keeper's source of jinit's status where the kernel
// keeps none for it (see WaitExit).
func KeeperWord(code int) []byte { return []byte("exit " + strconv.Itoa(code) + "\n") }

// maxKeeperWord bounds what a keeper reads: jinit runs the jail's code,
// the keeper is on the host.
const maxKeeperWord = 32

// ReadKeeperWord reads jinit's last word from the keeper's end of the
// keeper socket, once jinit has exited, and returns it as a wait status.
// Anything else than one KeeperWord is no word.
func ReadKeeperWord(f *os.File) (syscall.WaitStatus, bool) {
	f.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	b := make([]byte, maxKeeperWord)
	n, _ := f.Read(b)
	return ParseKeeperWord(b[:n])
}

// ParseKeeperWord parses one KeeperWord.
func ParseKeeperWord(b []byte) (syscall.WaitStatus, bool) {
	s, ok := strings.CutPrefix(string(b), "exit ")
	if !ok || !strings.HasSuffix(s, "\n") {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSuffix(s, "\n"))
	if err != nil || code < 0 || code > 255 {
		return 0, false
	}
	return syscall.WaitStatus(code << 8), true // WIFEXITED with code
}

// WaitJinit waits for a jail's jinit to exit and returns how it ended: from
// the kernel where it can tell (WaitExit), else from jinit's last word on
// keeper, else ErrNoStatus (it was killed, or crashed).
func WaitJinit(pidfd *os.File, pid int, keeper *os.File) (syscall.WaitStatus, error) {
	ws, err := WaitExit(pidfd, pid)
	if !errors.Is(err, ErrNoStatus) {
		return ws, err
	}
	if ws, ok := ReadKeeperWord(keeper); ok {
		return ws, nil
	}
	return 0, fmt.Errorf("jinit ended without a word (killed, or crashed): %w", ErrNoStatus)
}

// ConsoleWord is what jinit writes on its console just before it exits
// with code when no keeper holds the jail: the next command that finds
// the jail gone learns from it how jinit ended. incarnation names the
// start, since the console outlives many.
func ConsoleWord(incarnation string, code int) []byte {
	return []byte(fmt.Sprintf("jinit: exit status %d, start %s\n", code, incarnation))
}

// FindConsoleWord looks in tail, the end of a jail's console, for the last
// word of jinit's incarnation and returns it as a wait status. A console
// is the jail's to write: only a whole line of exactly ConsoleWord's form
// counts, and the last one wins.
func FindConsoleWord(tail []byte, incarnation string) (syscall.WaitStatus, bool) {
	if incarnation == "" {
		return 0, false
	}
	lines := strings.Split(string(tail), "\n")
	for i := len(lines) - 2; i >= 0; i-- { // the last element follows the last newline
		rest, ok := strings.CutPrefix(lines[i], "jinit: exit status ")
		if !ok {
			continue
		}
		num, inc, ok := strings.Cut(rest, ", start ")
		code, err := strconv.Atoi(num)
		if !ok || inc != incarnation || err != nil || code < 0 || code > 255 || strconv.Itoa(code) != num {
			continue
		}
		return syscall.WaitStatus(code << 8), true
	}
	return 0, false
}
