package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jailsproject/jails/jailctl/jail"
	"github.com/jailsproject/jails/jailctl/store"

	"github.com/hashicorp/go-hclog"
)

const usage = `usage: jailctl [--state-dir DIR] [--debug] COMMAND [ARGS]

  create NAME [--root DIR] [--profile low|medium|high] [--port 8080[/tcp|/udp]]...
              [--services DIR] [--hostname H] [--autostart] [--mount SRC:DST[:ro]]...
              [--memory 512M] [--cpus 1.5] [--pids 256] [--net host|none] [--allow-unreserved-ports]
  start NAME...|--all [--timeout 60s]     start and wait until the services are ready
  run NAME                                the same in the foreground; SIGTERM stops the jail
  stop NAME...|--all [--timeout 30s]
  restart NAME...|--all
  destroy NAME [--force]
  list [--json]                           (alias: jls)
  status NAME [--json]
  svc NAME SERVICE up|down|restart|once|signal SIG
  exec NAME [-t] [-u USER] [--] CMD...    (alias: jexec)
  attach NAME [-u USER]
  apply [--ephemeral] [-u USER] NAME SCRIPT|- [ARGS...]
                                          run a script in the jail; a stopped jail is started
                                          without its services (--ephemeral: and stopped again)
  logs NAME [SERVICE] [-f] [-n N] [--since T] [--json]
  stats [NAME] [--json|--prometheus [--http]] [--collector ADDR]
                                          CPU (1 s, 10 s), processes, memory, uptime, services
  collector [--listen 127.0.0.1:9750] [--rotate-size 16M] [--keep 10]
            [--syslog unix:/dev/log|udp:127.0.0.1:514] [--syslog-facility F] [--syslog-tag T]
                                          the host log collector (foreground)
`

// env carries what every command needs.
type env struct {
	st     *store.Store
	jails  *jail.Host
	log    hclog.Logger
	stdout io.Writer
	stderr io.Writer
	self   string // this executable, re-executed as the keeper
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("jailctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stateDir := fs.String("state-dir", os.Getenv("JAILS_STATE_DIR"), "put lib, run and log under DIR")
	debug := fs.Bool("debug", false, "verbose diagnostics")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return usageError{"no command"}
	}
	lvl := hclog.Warn
	if *debug {
		lvl = hclog.Debug
	}
	self, _ := os.Executable()
	e := &env{
		st:     store.NewStore(*stateDir),
		log:    hclog.New(&hclog.LoggerOptions{Name: "jailctl", Output: os.Stderr, Level: lvl}),
		stdout: os.Stdout, stderr: os.Stderr, self: self,
	}
	e.jails = jail.New(e.st, e.log, self)
	var err error
	if e.jails.HostPrivate, err = hostPrivatePorts(); err != nil {
		return err
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	h, ok := commands[cmd]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	return h(ctx, e, rest)
}

var commands map[string]func(context.Context, *env, []string) error

func init() {
	commands = map[string]func(context.Context, *env, []string) error{
		"create": cmdCreate, "destroy": cmdDestroy,
		"start": cmdStart, "stop": cmdStop, "restart": cmdRestart, "run": cmdRun,
		"list": cmdList, "status": cmdStatus, "svc": cmdSvc,
		"exec": cmdExec, "attach": cmdAttach, "apply": cmdApply,
		"logs": cmdLogs, "collector": cmdCollector, "stats": cmdStats,
		jail.KeeperCommand: cmdKeeper,
	}
}

// parse parses flags that may come before or after positional arguments
// (jailctl create NAME --port 80 as well as jailctl create --port 80 NAME);
// a "--" ends flag parsing.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" || (len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-") {
			return append(pos, args...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
