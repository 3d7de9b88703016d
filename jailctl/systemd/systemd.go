// Package systemd is what jailctl asks of systemd when it is the host's
// init: a transient scope of its own for each jail started outside a unit,
// so that the end of a login session (KillUserProcesses=yes) or of the
// unit that ran `jailctl start` does not end the jail, and so that systemd
// delegates the scope's cgroup to it (Delegate=yes) as cgroup v2 requires.
//
// It talks to systemd's D-Bus API with a pure-Go client; jinit never
// imports it.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Booted reports whether systemd is the host's init, as sd_booted(3) does.
func Booted() bool {
	fi, err := os.Lstat("/run/systemd/system")
	return err == nil && fi.IsDir()
}

// ErrUnitExists is returned when the scope's unit name is taken.
var ErrUnitExists = errors.New("unit already exists")

// Scope is a transient scope unit to create around a process.
type Scope struct {
	Unit        string // e.g. jail-web.scope
	Description string
	Slice       string // e.g. system-jail.slice
	PID         int
}

// UnitName makes a valid scope name from parts (jail names are already
// restricted to [A-Za-z0-9._-], which unit names allow).
func UnitName(parts ...string) string {
	return strings.Join(parts, "-") + ".scope"
}

// StartScope asks systemd to create the transient scope with the process
// in it, delegated, without a task limit (the jail's own pids limit
// applies), and waits until systemd has moved the process there. It does
// not subscribe to systemd's signals (a busy systemd sends many): it
// watches the process's own cgroup and the unit's state instead.
func StartScope(ctx context.Context, s Scope) error {
	conn, err := connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	type property struct {
		Name  string
		Value dbus.Variant
	}
	props := []property{
		{"Description", dbus.MakeVariant(s.Description)},
		{"Slice", dbus.MakeVariant(s.Slice)},
		{"PIDs", dbus.MakeVariant([]uint32{uint32(s.PID)})},
		{"Delegate", dbus.MakeVariant(true)},
		{"TasksMax", dbus.MakeVariant(uint64(math.MaxUint64))},
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
	}
	aux := []struct {
		Name  string
		Props []property
	}{}
	var job dbus.ObjectPath
	mgr := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	err = mgr.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.StartTransientUnit", 0, s.Unit, "fail", props, aux).Store(&job)
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.systemd1.UnitExists" {
		return fmt.Errorf("create %s: %w", s.Unit, ErrUnitExists)
	} else if err != nil {
		return fmt.Errorf("create %s: %w", s.Unit, err)
	}
	return waitMoved(ctx, conn, s)
}

// waitMoved waits until the process is in the scope's cgroup, or the
// scope failed.
func waitMoved(ctx context.Context, conn *dbus.Conn, s Scope) error {
	cgfile := fmt.Sprintf("/proc/%d/cgroup", s.PID)
	for i := 0; ; i++ {
		if b, err := os.ReadFile(cgfile); err == nil && strings.Contains(string(b), "/"+s.Unit+"\n") {
			return nil
		}
		if i%20 == 19 {
			if state := unitState(ctx, conn, s.Unit); state == "failed" || state == "inactive" {
				return fmt.Errorf("create %s: the scope is %s", s.Unit, state)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create %s: %w", s.Unit, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// unitState is the unit's ActiveState, "" if it cannot be read.
func unitState(ctx context.Context, conn *dbus.Conn, unit string) string {
	var path dbus.ObjectPath
	mgr := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	if mgr.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.GetUnit", 0, unit).Store(&path) != nil {
		return ""
	}
	v, err := conn.Object("org.freedesktop.systemd1", path).GetProperty("org.freedesktop.systemd1.Unit.ActiveState")
	if err != nil {
		return ""
	}
	state, _ := v.Value().(string)
	return state
}

// connect reaches systemd: on its private socket (root only, and no
// D-Bus daemon needed, as systemctl does), else through the system bus.
func connect(ctx context.Context) (*dbus.Conn, error) {
	if c, err := dbus.Dial("unix:path=/run/systemd/private", dbus.WithContext(ctx)); err == nil {
		if err = c.Auth(nil); err == nil {
			return c, nil
		}
		c.Close()
	}
	c, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("connect to systemd: %w", err)
	}
	return c, nil
}
