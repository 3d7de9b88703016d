package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jailsproject/jails/jailctl/store"
)

const setKeysHelp = `  KEY=VALUE sets a key of the jail's definition (jail.toml(5)); an empty VALUE
  removes it (back to the default). Lists are comma-separated.
    memory=512Mi  cpus=1.5  pids=256          limits (memory=, cpus=0, pids=0: none)
    profile=low|medium|high   net=host|none   hostname=H   root=DIR
    ports=8080/tcp,53/udp     mounts=/src:/dst:ro,...     allow_unreserved_ports=true|false
    autostart=true|false      logs.buffer=4M  logs.line_max=64K  logs.rotate_size=16M  logs.keep=10
  Every value is checked as create checks it, all or nothing. A running jail keeps its
  old definition until it is restarted (jailctl restart NAME); set says so. autostart
  takes effect at once.
`

// setKey applies one KEY=VALUE to a definition.
type setKey func(d *store.Def, v string) error

var setKeys = map[string]setKey{
	"memory":   func(d *store.Def, v string) error { d.Memory = v; return nil },
	"cpus":     func(d *store.Def, v string) error { return setFloat(&d.CPUs, v) },
	"pids":     func(d *store.Def, v string) error { return setInt(&d.Pids, v) },
	"profile":  func(d *store.Def, v string) error { d.Profile = v; return nil },
	"net":      func(d *store.Def, v string) error { d.Net = v; return nil },
	"hostname": func(d *store.Def, v string) error { d.Hostname = v; return nil },
	"root": func(d *store.Def, v string) error {
		if v != "" {
			v = filepath.Clean(v)
		}
		d.Root = v
		return nil
	},
	"ports":                  func(d *store.Def, v string) error { d.Ports = splitList(v); return nil },
	"mounts":                 func(d *store.Def, v string) error { d.Mounts = splitList(v); return nil },
	"autostart":              func(d *store.Def, v string) error { return setBool(&d.Autostart, v) },
	"allow_unreserved_ports": func(d *store.Def, v string) error { return setBool(&d.AllowUnreservedPorts, v) },
	"logs.buffer":            func(d *store.Def, v string) error { d.Logs.Buffer = v; return nil },
	"logs.line_max":          func(d *store.Def, v string) error { d.Logs.LineMax = v; return nil },
	"logs.rotate_size":       func(d *store.Def, v string) error { d.Logs.RotateSize = v; return nil },
	"logs.keep": func(d *store.Def, v string) error {
		var n int64
		err := setInt(&n, v)
		d.Logs.Keep = int(n)
		return err
	},
}

// liveKeys take effect without a restart: they are read by later
// commands, not by the running jail.
var liveKeys = map[string]bool{"autostart": true}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func setFloat(dst *float64, v string) error {
	if v == "" {
		*dst = 0
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	*dst = f
	return nil
}

func setInt(dst *int64, v string) error {
	if v == "" {
		*dst = 0
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

func setBool(dst *bool, v string) error {
	if v == "" {
		*dst = false
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%q: want true or false", v)
	}
	*dst = b
	return nil
}

// cmdSet changes keys of a jail's definition. The new definition is
// validated whole (as create validates) before it replaces the old one,
// so a bad value changes nothing.
func cmdSet(ctx context.Context, e *env, args []string) error {
	pos, err := parse(flag.NewFlagSet("set", flag.ContinueOnError), args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageError{"set takes a NAME and at least one KEY=VALUE"}
	}
	name := pos[0]
	if err := e.st.MustExist(name); err != nil {
		return err
	}
	lk, err := e.st.LockCreate() // ports are checked against every jail
	if err != nil {
		return err
	}
	defer lk.Unlock()
	jl, err := e.st.Lock(name)
	if err != nil {
		return err
	}
	defer jl.Unlock()
	old, err := store.LoadDef(e.st.DefPath(name))
	if err != nil {
		return fmt.Errorf("set %s: the current definition is invalid: %w", name, err)
	}
	d := old.Def
	keys, err := applySet(&d, pos[1:])
	if err != nil {
		return err
	}
	r, err := d.Resolve("set " + name)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := e.st.CheckPorts(name, r.Ports); err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	if err := r.Def.Save(e.st.DefPath(name)); err != nil {
		return err
	}
	if err := e.st.Reserve(r); err != nil { // the id and ports it now holds
		return fmt.Errorf("set %s: %w", name, err)
	}
	e.reportSet(name, keys)
	return nil
}

// applySet applies KEY=VALUE pairs and returns the keys, sorted.
func applySet(d *store.Def, pairs []string) ([]string, error) {
	seen := map[string]bool{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		set := setKeys[k]
		switch {
		case !ok:
			return nil, usageError{fmt.Sprintf("%q: want KEY=VALUE", kv)}
		case set == nil:
			return nil, usageError{fmt.Sprintf("unknown key %q (see 'jailctl help set')", k)}
		case seen[k]:
			return nil, usageError{fmt.Sprintf("key %q given twice", k)}
		}
		if err := set(d, strings.TrimSpace(v)); err != nil {
			return nil, usageError{fmt.Sprintf("key %q: %v", k, err)}
		}
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// reportSet says what changed and what needs a restart to take effect.
func (e *env) reportSet(name string, keys []string) {
	var later []string
	for _, k := range keys {
		if !liveKeys[k] {
			later = append(later, k)
		}
	}
	fmt.Fprintf(e.stdout, "set %s: %s\n", name, strings.Join(keys, ", "))
	switch {
	case len(later) == 0:
	case e.st.Running(name) != nil:
		fmt.Fprintf(e.stdout, "jail %s is running: %s take effect when it is restarted (jailctl restart %s)\n", name, strings.Join(later, ", "), name)
	default:
		fmt.Fprintf(e.stdout, "%s take effect when the jail starts\n", strings.Join(later, ", "))
	}
}
