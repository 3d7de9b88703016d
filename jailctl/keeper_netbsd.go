package main

import (
	"errors"

	"github.com/jailsproject/jails/jailctl/store"

	"github.com/hashicorp/go-hclog"
)

// errNoBackend is returned until the NetBSD backend (secmodel_jail, issue
// 9) is wired into jailctl: the commands that only read definitions work.
var errNoBackend = errors.New("starting jails on NetBSD needs the secmodel_jail backend, which jailctl does not drive yet")

func keep(st *store.Store, r *store.Resolved, jinit string, noServices bool, report func(error), log hclog.Logger) error {
	report(errNoBackend)
	return errNoBackend
}
