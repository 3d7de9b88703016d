package kmod

import (
	"strings"

	"github.com/jailsproject/jails/kmod/mountinfo"
)

// MountsUnder lists the mount points at or below dir in this process's
// mount namespace, from mountinfo.
func MountsUnder(dir string) ([]string, error) {
	ms, err := mountinfo.Read("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			out = append(out, m.Point)
		}
	}
	return out, nil
}
