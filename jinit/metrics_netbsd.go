package main

import "syscall"

// procGroups: per-process-group accounting on NetBSD needs kern.proc2
// records (KERN_PROC_PGRP); not written yet, so the services' CPU and
// memory are reported as not measured.
func procGroups() (map[int]groupUsage, bool) { return nil, false }

// selfUsage is jinit's own CPU time and peak resident memory (getrusage
// gives no current figure on NetBSD; ru_maxrss is in kilobytes).
func selfUsage() (rss int64, cpu float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return int64(ru.Maxrss) * 1024, rusageSeconds(&ru)
}
