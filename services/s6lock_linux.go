package services

import "golang.org/x/sys/unix"

// recordLock is an open-file-description lock (Linux 3.15): it belongs to
// the open file, not to jinit's process, as s6-supervise's does.
const recordLock = unix.F_OFD_SETLK
