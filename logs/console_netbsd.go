package logs

import "os"

// cutLength: NetBSD cannot collapse a range; the whole file is archived.
func cutLength(f *os.File, size int64) (int64, error) { return size, nil }

// cutFront empties f if it did not grow since n was taken.
func cutFront(f *os.File, n int64) error { return truncateIfSize(f, n) }
