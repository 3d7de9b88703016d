package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jailsproject/jails/jailctl/jail"
	"github.com/jailsproject/jails/jailctl/store"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/logs/collector"
	"github.com/jailsproject/jails/services"
)

// JailInfo is one row of `jailctl list --json` (a stable, documented format).
type JailInfo struct {
	ID        int             `json:"id"`
	Name      string          `json:"name"`
	State     string          `json:"state"` // running | stopped
	Profile   string          `json:"profile"`
	Ports     []string        `json:"ports"`
	Autostart bool            `json:"autostart"`
	Hostname  string          `json:"hostname,omitempty"`
	Root      string          `json:"root,omitempty"` // "" is the host's / read-only
	Net       string          `json:"net,omitempty"`
	Memory    string          `json:"memory,omitempty"` // limits as defined
	CPUs      float64         `json:"cpus,omitempty"`
	Pids      int64           `json:"pids,omitempty"`
	Usage     kmod.Usage      `json:"usage"`
	Started   *time.Time      `json:"started,omitempty"`
	UptimeSec int64           `json:"uptime_seconds,omitempty"`
	LastExit  *store.LastExit `json:"last_exit,omitempty"`
	ConfigErr string          `json:"config_error,omitempty"`
	// LogStore is set while the collector cannot store the jail's logs.
	LogStore *collector.StoreState `json:"log_store,omitempty"`
}

func (e *env) info(name string) JailInfo {
	ji := JailInfo{Name: name, State: string(jail.Stopped), Ports: []string{}}
	in, err := e.jails.Inspect(name)
	if err != nil {
		ji.State, ji.ConfigErr = string(jail.Broken), err.Error()
		return ji
	}
	ji.State = string(in.State)
	if in.DefErr != nil {
		ji.ConfigErr = in.DefErr.Error()
	} else {
		d := in.Def.Def
		ji.ID, ji.Profile, ji.Autostart = d.ID, d.Profile, d.Autostart
		ji.Hostname, ji.Root, ji.Net = d.HostnameOrName(), d.Root, d.Net
		ji.Memory, ji.CPUs, ji.Pids = d.Memory, d.CPUs, d.Pids
		for _, p := range in.Def.Ports {
			ji.Ports = append(ji.Ports, p.String())
		}
	}
	if rt := in.Runtime; rt != nil {
		ji.Usage = rt.Usage()
		started := rt.Started
		ji.Started, ji.UptimeSec = &started, int64(time.Since(started).Seconds())
		ji.LogStore = e.logStoreState(name)
	}
	ji.LastExit = in.Last
	return ji
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%c", float64(n)/float64(div), "KMGTPE"[exp])
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// dial connects to a running jail's jinit.
func (e *env) dial(ctx context.Context, name string) (*control.Client, error) {
	if err := e.st.MustExist(name); err != nil {
		return nil, err
	}
	if e.st.Running(name) == nil {
		return nil, fmt.Errorf("%s: %w", name, jail.ErrNotRunning)
	}
	return control.Dial(ctx, e.st.SockPath(name))
}

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "machine-readable output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"status takes exactly one NAME"}
	}
	if err := e.st.MustExist(pos[0]); err != nil {
		return err
	}
	if e.st.Running(pos[0]) == nil {
		return e.statusStopped(pos[0], *asJSON)
	}
	c, err := e.dial(ctx, pos[0])
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.Do(ctx, control.Request{Verb: services.VerbStatus})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, resp.Services)
	}
	services.WriteTable(e.stdout, resp.Services, time.Now())
	e.printOOM(pos[0], resp.Services)
	e.printLogLoss(ctx, c, pos[0])
	if st := e.logStoreState(pos[0]); st != nil {
		fmt.Fprintf(e.stdout, "\nlogs: %s since %s: %s; the lines wait in jinit's buffer\n",
			logStoreProblem(st), st.Since.Local().Format(time.DateTime), st.Error)
	}
	return nil
}

// statusStopped says that the jail is not running, and why it last
// stopped, and exits 3 as `systemctl status` does for an inactive unit.
func (e *env) statusStopped(name string, asJSON bool) error {
	last := e.st.ReadLast(name)
	if asJSON {
		writeJSON(e.stdout, []services.Status{})
		return exitStatus(exitNotRunning)
	}
	msg := fmt.Sprintf("jail %s is not running", name)
	if last != nil {
		msg += fmt.Sprintf(" (last stop: %s", last.Reason)
		if !last.At.IsZero() {
			msg += ", " + last.At.Local().Format(time.DateTime)
		}
		msg += ")"
	}
	fmt.Fprintln(e.stdout, msg)
	return exitStatus(exitNotRunning)
}

func cmdSvc(ctx context.Context, e *env, args []string) error {
	if len(args) < 3 {
		return usageError{"svc NAME SERVICE up|down|restart|once|signal SIG"}
	}
	name, svc, verb := args[0], args[1], args[2]
	req := control.Request{Verb: verb, Service: svc}
	switch verb {
	case services.VerbUp, services.VerbDown, services.VerbRestart, services.VerbOnce:
		if len(args) != 3 {
			return usageError{"svc NAME SERVICE " + verb + " takes no more arguments"}
		}
	case services.VerbSignal:
		if len(args) != 4 {
			return usageError{"svc NAME SERVICE signal SIG"}
		}
		req.Signal = args[3]
	default:
		return usageError{fmt.Sprintf("unknown service verb %q", verb)}
	}
	c, err := e.dial(ctx, name)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(ctx, req)
	return err
}
