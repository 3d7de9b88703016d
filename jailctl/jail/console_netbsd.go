package jail

import (
	"os"

	"golang.org/x/sys/unix"
)

const syscallNoFollow = unix.O_NOFOLLOW

// cutLength: NetBSD cannot collapse a range; the whole file is archived.
func cutLength(f *os.File, size int64) (int64, error) { return size, nil }

// cutFront empties f if it did not grow since n was taken.
func cutFront(f *os.File, n int64) error { return truncateIfSize(f, n) }
