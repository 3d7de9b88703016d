package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/jailsproject/jails/jailctl/store"
)

// uidBase is where new jails' uid ranges start: JAILS_UID_BASE, or
// store.DefaultUIDBase, like the ranges of /etc/subuid. Instances that
// share a host (several --state-dir) should be given bases far enough
// apart.
func uidBase() (uint32, error) {
	v := os.Getenv("JAILS_UID_BASE")
	if v == "" {
		return store.DefaultUIDBase, nil
	}
	b, err := strconv.ParseUint(v, 10, 32)
	if err != nil || b < 1<<16 {
		return 0, fmt.Errorf("JAILS_UID_BASE=%q: want a uid of 65536 or more", v)
	}
	return uint32(b), nil
}
