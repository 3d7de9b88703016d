package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod/ports"
)

// checkReservations refuses reservations that cannot work and returns
// warnings, each naming the port and why, for those that may not work as
// the operator expects.
func checkReservations(r *store.Resolved) (warnings []string, err error) {
	private, err := hostPrivatePorts()
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, p := range r.Ports {
		if slices.Contains(private, p) {
			errs = append(errs, fmt.Errorf("port %s is host-private (JAILS_HOST_PRIVATE_PORTS; 9750/tcp is the collector's): no jail may reserve or reach it", p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(r.Ports) > 0 && r.Def.Net == "none" {
		warnings = append(warnings, "the jail has --net none: its sockets live in a network namespace of their own, "+
			"so its reservations keep the host's ports from everyone and serve nobody")
	}
	lo, hi := ephemeralRange()
	for _, p := range r.Ports {
		if inUseOnHost(p) {
			warnings = append(warnings, fmt.Sprintf("port %s is in use on the host now: the jail cannot bind it until that socket is closed", p))
		}
		if lo > 0 && int(p.Num) >= lo && int(p.Num) <= hi {
			warnings = append(warnings, fmt.Sprintf("port %s is inside the ephemeral range %d-%d: while the jail runs it is "+
				"kept from automatic allocation (ip_local_reserved_ports), but a connection made before may hold it", p, lo, hi))
		}
	}
	return warnings, nil
}

// inUseOnHost reports whether binding p on the wildcard address fails
// because something holds it.
func inUseOnHost(p ports.Port) bool {
	addr := ":" + strconv.Itoa(int(p.Num))
	if p.Proto == ports.UDP {
		c, err := net.ListenPacket("udp", addr)
		if err == nil {
			c.Close()
		}
		return isAddrInUse(err)
	}
	l, err := net.Listen("tcp", addr)
	if err == nil {
		l.Close()
	}
	return isAddrInUse(err)
}

func isAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE)
}

// ephemeralRange is net.ipv4.ip_local_port_range, or 0, 0 where there is
// no such file.
func ephemeralRange() (lo, hi int) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0
	}
	lo, _ = strconv.Atoi(f[0])
	hi, _ = strconv.Atoi(f[1])
	return lo, hi
}
