package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/jailsproject/jails/jailctl/store"
)

// allocUIDRange gives a new jail its private uid range: the first free
// one from JAILS_UID_BASE (default store.DefaultUIDBase), like the
// ranges of /etc/subuid. Instances that share a host (several
// --state-dir) should be given bases far enough apart.
func allocUIDRange(st *store.Store) (uint32, error) {
	base := uint64(store.DefaultUIDBase)
	if v := os.Getenv("JAILS_UID_BASE"); v != "" {
		b, err := strconv.ParseUint(v, 10, 32)
		if err != nil || b < 1<<16 {
			return 0, fmt.Errorf("JAILS_UID_BASE=%q: want a uid of 65536 or more", v)
		}
		base = b
	}
	return st.NextUIDBase(uint32(base))
}
