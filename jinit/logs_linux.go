package main

import "golang.org/x/sys/unix"

// logPipeSize is the capacity asked for each log pipe (Linux's default is
// 64 KiB): a larger pipe lets a bursty writer run ahead of jinit's reads.
const logPipeSize = 256 << 10

// growPipe enlarges a log pipe; failure (a low pipe-max-size or a user's
// pipe quota) only leaves the default.
func growPipe(fd int) { unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, logPipeSize) }
