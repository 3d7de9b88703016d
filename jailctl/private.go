package main

import (
	"fmt"
	"os"

	"github.com/jailsproject/jails/kmod/ports"
)

// hostPrivatePorts are the host ports no jail may connect or send to:
// JAILS_HOST_PRIVATE_PORTS ("9750/tcp,5432", empty for none) or, unset,
// the collector's default port. A collector on another port needs it
// listed here.
func hostPrivatePorts() ([]ports.Port, error) {
	v, ok := os.LookupEnv("JAILS_HOST_PRIVATE_PORTS")
	if !ok {
		return ports.DefaultHostPrivate, nil
	}
	ps, err := ports.ParsePorts(v)
	if err != nil {
		return nil, fmt.Errorf("JAILS_HOST_PRIVATE_PORTS: %w", err)
	}
	return ps, nil
}
