package main

import (
	"errors"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
)

// NetBSD has no pidfd: the keeper always builds the jail and is jinit's
// parent (launchKeeper).
func directStart() bool { return false }

var errNoDirect = errors.New("a keeper beside jinit needs Linux 6.15 pidfds; not on NetBSD")

// direct is never made on NetBSD.
type direct struct{}

func (e *env) launchDirect(r *store.Resolved, noServices bool) (*direct, error) {
	return nil, errNoDirect
}

func (d *direct) handOff(e *env) error { return errNoDirect }

func adoptJail(st *store.Store, name string, jinitPid, nLinks int, log hclog.Logger) error {
	return errNoDirect
}
