package services

import "golang.org/x/sys/unix"

// NetBSD has no locks, msgqueue, nice, rtprio, rttime or sigpending limits.
var rlimitResources = map[string]int{
	"as":      unix.RLIMIT_AS,
	"core":    unix.RLIMIT_CORE,
	"cpu":     unix.RLIMIT_CPU,
	"data":    unix.RLIMIT_DATA,
	"fsize":   unix.RLIMIT_FSIZE,
	"memlock": unix.RLIMIT_MEMLOCK,
	"nofile":  unix.RLIMIT_NOFILE,
	"nproc":   unix.RLIMIT_NPROC,
	"rss":     unix.RLIMIT_RSS,
	"stack":   unix.RLIMIT_STACK,
}
