package services

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// rlimitNames are the [rlimits] keys of service.toml. A platform's
// rlimitResources maps those it supports to unix.RLIMIT_* values.
var rlimitNames = []string{"as", "core", "cpu", "data", "fsize", "locks", "memlock",
	"msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}

// tomlRlimits reads [rlimits]: a number sets soft = hard, [soft, hard] sets
// both, and "unlimited" stands for RLIM_INFINITY anywhere a number may.
func (l *loader) tomlRlimits(t *tomlFile) error {
	names := make([]string, 0, len(t.Rlimits))
	for name := range t.Rlimits {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic order and first error
	for _, name := range names {
		key := "rlimits." + name
		res, ok := rlimitResources[name]
		if !ok {
			if slices.Contains(rlimitNames, name) {
				return l.errf(tomlName, key, "resource not supported on this system")
			}
			return l.errf(tomlName, key, "unknown resource (known: %v)", rlimitNames)
		}
		soft, hard, err := rlimitValue(t.Rlimits[name])
		if err != nil {
			return l.errf(tomlName, key, "%w", err)
		}
		l.svc.Rlimits = append(l.svc.Rlimits, Rlimit{Resource: res, Name: name, Soft: soft, Hard: hard})
	}
	return nil
}

func rlimitValue(v any) (soft, hard uint64, err error) {
	a, ok := v.([]any)
	if !ok {
		n, err := rlimitNumber(v)
		return n, n, err
	}
	if len(a) != 2 {
		return 0, 0, fmt.Errorf("want [soft, hard], got %d elements", len(a))
	}
	if soft, err = rlimitNumber(a[0]); err != nil {
		return 0, 0, err
	}
	if hard, err = rlimitNumber(a[1]); err != nil {
		return 0, 0, err
	}
	if soft > hard {
		return 0, 0, fmt.Errorf("soft limit %s above hard limit %s", rlimitString(soft), rlimitString(hard))
	}
	return soft, hard, nil
}

func rlimitNumber(v any) (uint64, error) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("negative limit %d", v)
		}
		return min(uint64(v), unix.RLIM_INFINITY), nil
	case string:
		if v == "unlimited" {
			return unix.RLIM_INFINITY, nil
		}
		return 0, fmt.Errorf("invalid limit %q: want a number or \"unlimited\"", v)
	}
	return 0, fmt.Errorf("want a number, \"unlimited\" or [soft, hard], got %s", tomlType(v))
}

func rlimitString(n uint64) string {
	if n == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return fmt.Sprint(n)
}
