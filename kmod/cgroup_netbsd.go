package kmod

// EnterDelegatedLeaf does nothing on NetBSD: it has no cgroups to delegate.
func EnterDelegatedLeaf() error { return nil }
