package logs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// cutLength is how much of a file of size bytes rotation can cut: whole
// blocks, which is what FALLOC_FL_COLLAPSE_RANGE removes (ext4, xfs), or
// everything where the file system cannot collapse. An archive may thus
// end inside a line, which the next archive (or the file) continues.
func cutLength(f *os.File, size int64) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return 0, err
	}
	if st.Bsize <= 0 {
		return size, nil
	}
	if collapsible(st.Type) {
		return size / st.Bsize * st.Bsize, nil
	}
	return size, nil
}

// collapsible: file systems whose fallocate can collapse a range.
func collapsible(fsType int64) bool {
	return fsType == unix.EXT4_SUPER_MAGIC || fsType == unix.XFS_SUPER_MAGIC
}

// cutFront removes the first n bytes of f. Collapsing the range is atomic
// with respect to the writers' appends; elsewhere the file is emptied
// only if it did not grow since n was taken, and left for the next check
// if it did, so that no line is ever lost.
func cutFront(f *os.File, n int64) error {
	err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_COLLAPSE_RANGE, 0, n)
	if err == nil || !(errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL)) {
		return err
	}
	return truncateIfSize(f, n)
}
