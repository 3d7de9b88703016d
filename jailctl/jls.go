package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jailsproject/jails/jailctl/store"
)

const listHelp = `  -d          also list jails that are not running (the default for
              'jailctl list'; FreeBSD's jls lists running jails only)
  -v          more columns: hostname, root, network and limits
  -n          one jail per line as PARAM=VALUE pairs
  -q          with -n or PARAMs: quote values that are empty or hold spaces or quotes
  -j JAIL     only the jail with this JID or name (exit 1 if there is none)
  --json      machine-readable output (every field, see jailctl(8))
PARAMs pick the values printed, in order: ` + "jid name state hostname path profile net ports memory cpus pids autostart procs uptime" + `
`

// listParams are the parameters jls prints with -n or by name.
var listParams = []string{"jid", "name", "state", "hostname", "path", "profile", "net", "ports", "memory", "cpus", "pids", "autostart", "procs", "uptime"}

type listOpts struct {
	all, verbose, names, quote, asJSON bool
	jail                               string
	params                             []string
}

// cmdList lists jails with FreeBSD jls(8)'s options. As jls it lists
// running jails unless -d is given; as `jailctl list` every defined jail.
func cmdList(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	var o listOpts
	fs.BoolVar(&o.all, "d", false, "also jails that are not running")
	fs.BoolVar(&o.verbose, "v", false, "more columns")
	fs.BoolVar(&o.names, "n", false, "PARAM=VALUE pairs")
	fs.BoolVar(&o.quote, "q", false, "quote values with spaces")
	fs.StringVar(&o.jail, "j", "", "only this jail (JID or name)")
	fs.BoolVar(&o.asJSON, "json", false, "machine-readable output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	for _, p := range pos {
		if !isListParam(p) {
			return usageError{fmt.Sprintf("unknown parameter %q (want one of: %s)", p, strings.Join(listParams, " "))}
		}
	}
	o.params = pos
	if e.prog != "jls" {
		o.all = true
	}
	infos, err := e.listInfos(o)
	if err != nil {
		return err
	}
	switch {
	case o.asJSON:
		return writeJSON(e.stdout, infos)
	case o.names || len(o.params) > 0:
		writeParams(e, infos, o)
		return nil
	case o.verbose:
		return writeVerbose(e, infos)
	}
	return writeTable(e, infos)
}

func isListParam(p string) bool {
	for _, q := range listParams {
		if p == q {
			return true
		}
	}
	return false
}

// listInfos gathers the jails to list: one with -j, else every running
// one, or every defined one with -d.
func (e *env) listInfos(o listOpts) ([]JailInfo, error) {
	var names []string
	if o.jail != "" {
		n, err := e.resolveJail(o.jail)
		if err != nil {
			return nil, err
		}
		names = []string{n}
	} else {
		var err error
		if names, err = e.st.Names(); err != nil {
			return nil, err
		}
	}
	infos := make([]JailInfo, 0, len(names))
	for _, n := range names {
		ji := e.info(n)
		if o.all || o.jail != "" || ji.State == "running" {
			infos = append(infos, ji)
		}
	}
	return infos, nil
}

// resolveJail finds a jail by name or, failing that, by JID.
func (e *env) resolveJail(jail string) (string, error) {
	if store.ValidName(jail) == nil && e.st.MustExist(jail) == nil {
		return jail, nil
	}
	if id, err := strconv.Atoi(jail); err == nil && id > 0 {
		names, err := e.st.Names()
		if err != nil {
			return "", err
		}
		for _, n := range names {
			if r, err := store.LoadDef(e.st.DefPath(n)); err == nil && r.Def.ID == id {
				return n, nil
			}
		}
		return "", fmt.Errorf("no such jail: %s (neither a name nor a JID)", jail)
	}
	return "", e.st.MustExist(jail)
}

func writeTable(e *env, infos []JailInfo) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tPROFILE\tPORTS\tPROCS\tCPU\tMEM\tUPTIME")
	for _, j := range infos {
		procs, cpu, mem, up := "-", "-", "-", "-"
		if j.State == "running" {
			procs = fmt.Sprint(j.Usage.Procs)
			cpu = j.Usage.CPU.Truncate(time.Millisecond).String()
			mem = humanBytes(j.Usage.MemBytes)
			up = (time.Duration(j.UptimeSec) * time.Second).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Name, stateText(j), orDash(j.Profile), orDash(strings.Join(j.Ports, ",")), procs, cpu, mem, up)
	}
	return tw.Flush()
}

// writeVerbose is -v: what the jail is (hostname, root, network, limits)
// rather than what it uses.
func writeVerbose(e *env, infos []JailInfo) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tHOSTNAME\tPATH\tPROFILE\tNET\tPORTS\tMEMORY\tCPUS\tPIDS\tAUTOSTART")
	for _, j := range infos {
		v := paramValues(j)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.Name, stateText(j),
			orDash(v["hostname"]), orDash(v["path"]), orDash(v["profile"]), orDash(v["net"]), orDash(v["ports"]),
			orDash(v["memory"]), orDash(v["cpus"]), orDash(v["pids"]), v["autostart"])
	}
	return tw.Flush()
}

func stateText(j JailInfo) string {
	state := j.State
	if j.State != "running" && j.LastExit != nil && j.LastExit.Reason != "stopped" {
		state = "stopped (" + j.LastExit.Reason + ")"
	}
	if j.State == "running" && j.LogStore != nil {
		state += " (" + logStoreProblem(j.LogStore) + ")"
	}
	if j.ConfigErr != "" {
		state += " [invalid definition]"
	}
	return state
}

// writeParams is -n (PARAM=VALUE) and the PARAM... form (values only),
// one jail a line, like jls -n and jls PARAM...
func writeParams(e *env, infos []JailInfo, o listOpts) {
	params := o.params
	if len(params) == 0 {
		params = listParams
	}
	for _, j := range infos {
		v := paramValues(j)
		fields := make([]string, len(params))
		for i, p := range params {
			val := v[p]
			if o.quote && (val == "" || strings.ContainsAny(val, " \t\"'")) {
				val = strconv.Quote(val)
			}
			if o.names {
				val = p + "=" + val
			}
			fields[i] = val
		}
		fmt.Fprintln(e.stdout, strings.Join(fields, " "))
	}
}

// paramValues is a jail's parameters as jls prints them.
func paramValues(j JailInfo) map[string]string {
	v := map[string]string{
		"jid": strconv.Itoa(j.ID), "name": j.Name, "state": j.State,
		"hostname": j.Hostname, "path": orSlash(j.Root), "profile": j.Profile, "net": j.Net,
		"ports": strings.Join(j.Ports, ","), "memory": j.Memory, "autostart": strconv.FormatBool(j.Autostart),
	}
	if j.CPUs > 0 {
		v["cpus"] = strconv.FormatFloat(j.CPUs, 'f', -1, 64)
	}
	if j.Pids > 0 {
		v["pids"] = strconv.FormatInt(j.Pids, 10)
	}
	if j.State == "running" {
		v["procs"] = strconv.Itoa(j.Usage.Procs)
		v["uptime"] = strconv.FormatInt(j.UptimeSec, 10)
	}
	return v
}

// orSlash is a jail's root as jls shows it: "" is the host's / (read-only).
func orSlash(root string) string {
	if root == "" {
		return "/"
	}
	return root
}
