package services

import "golang.org/x/sys/unix"

// recordLock is a plain POSIX record lock: NetBSD has no open-file-description locks.
const recordLock = unix.F_SETLK
