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
// applies), and waits until systemd has moved the process.
func StartScope(ctx context.Context, s Scope) error {
	conn, private, err := connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Subscribe before the call, so that the job's end cannot be missed.
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	if !private {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.systemd1.Manager"), dbus.WithMatchMember("JobRemoved")); err != nil {
			return fmt.Errorf("subscribe to systemd jobs: %w", err)
		}
	}
	mgr := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	if err := mgr.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.Subscribe", 0).Err; err != nil {
		return fmt.Errorf("subscribe to systemd jobs: %w", err)
	}
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
	err = mgr.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.StartTransientUnit", 0, s.Unit, "fail", props, aux).Store(&job)
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.systemd1.UnitExists" {
		return fmt.Errorf("create %s: %w", s.Unit, ErrUnitExists)
	} else if err != nil {
		return fmt.Errorf("create %s: %w", s.Unit, err)
	}
	return waitJob(ctx, signals, job, s.Unit)
}

// connect reaches systemd: on its private socket (root only, and no
// D-Bus daemon needed, as systemctl does), else through the system bus.
func connect(ctx context.Context) (conn *dbus.Conn, private bool, err error) {
	if c, err := dbus.Dial("unix:path=/run/systemd/private", dbus.WithContext(ctx)); err == nil {
		if err = c.Auth(nil); err == nil {
			return c, true, nil
		}
		c.Close()
	}
	c, err := dbus.ConnectSystemBus(dbus.WithContext(ctx))
	if err != nil {
		return nil, false, fmt.Errorf("connect to systemd: %w", err)
	}
	return c, false, nil
}

// waitJob waits for JobRemoved of job and checks its result.
func waitJob(ctx context.Context, signals <-chan *dbus.Signal, job dbus.ObjectPath, unit string) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("create %s: %w", unit, ctx.Err())
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("create %s: the system bus closed", unit)
			}
			// JobRemoved(u id, o job, s unit, s result)
			if sig.Name != "org.freedesktop.systemd1.Manager.JobRemoved" || len(sig.Body) < 4 {
				continue
			}
			if p, _ := sig.Body[1].(dbus.ObjectPath); p != job {
				continue
			}
			if result, _ := sig.Body[3].(string); result != "done" {
				return fmt.Errorf("create %s: systemd's job ended %q", unit, result)
			}
			return nil
		}
	}
}
