package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/jailsproject/jails/jailctl/jail"
	"github.com/jailsproject/jails/jailctl/store"

	"github.com/hashicorp/go-hclog"
)

// version is set by the Makefile (-X main.version=...); a plain `go build`
// falls back to the module's build information.
var version = ""

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "" {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = s.Value[:12]
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	return v
}

// Exit codes, as documented in jailctl(8): 0 success, 1 failure, 2 usage
// (an unknown command or flag, a malformed or out-of-range value, missing or
// extra arguments), 3 `status` of a jail that is not running (as systemctl
// status does); exec, attach and apply return the command's own status.
const (
	exitFailure    = 1
	exitUsage      = 2
	exitNotRunning = 3
)

// usageError is a wrong command line: exit 2, with the command's synopsis.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// helpRequested asks main to print a command's help on stdout (exit 0).
type helpRequested struct {
	cmd string
	fs  *flag.FlagSet // the command's flags, nil for hand-parsed commands
}

func (h helpRequested) Error() string { return "help requested" }

// exitStatus is a status to exit with and nothing more to say.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// cmdDoc is one command's line in the usage and the head of its help.
type cmdDoc struct {
	name, args, summary string
	// options describes the flags of commands that parse their own
	// syntax (no FlagSet to list).
	options string
}

var cmdDocs = []cmdDoc{
	{name: "create", args: "NAME [--root DIR] [--profile low|medium|high] [--port 8080[/tcp|/udp]]... [--services DIR] [--hostname H] [--autostart] [--mount SRC:DST[:ro]]... [--memory 512Mi] [--cpus 1.5] [--pids 256] [--net host|none] [--allow-unreserved-ports]",
		summary: "define a jail; every value is checked before anything is written"},
	{name: "set", args: "NAME KEY=VALUE...", summary: "change a jail's definition (checked like create) and say what needs a restart",
		options: setKeysHelp},
	{name: "start", args: "NAME...|--all [--timeout 60s]", summary: "start jails and wait until their services are ready"},
	{name: "run", args: "NAME", summary: "start a jail in the foreground (for service managers); SIGTERM stops it"},
	{name: "stop", args: "NAME...|--all [--timeout 30s]", summary: "stop jails: services in reverse dependency order"},
	{name: "restart", args: "NAME...|--all", summary: "stop and start jails"},
	{name: "destroy", args: "NAME [--force]", summary: "remove a stopped jail and its writable layer"},
	{name: "list", args: "[-d] [-v] [-n] [-q] [-j JID|NAME] [--json] [PARAM...]", summary: "list jails, like FreeBSD's jls(8) (alias: jls)", options: listHelp},
	{name: "status", args: "NAME [--json]", summary: "the jail's services; exit 3 if the jail is not running"},
	{name: "svc", args: "NAME SERVICE up|down|restart|once|signal SIG", summary: "control one service of a running jail"},
	{name: "exec", args: "[-l] [-t] [-u USER|-U USER] JAIL [--] [CMD...]", summary: "run a command in a jail given by JID or name; no command: the user's shell (alias: jexec)",
		options: execHelp},
	{name: "attach", args: "NAME [-u USER]", summary: "an interactive login shell in the jail", options: "  -u, --user USER   a user of the jail's /etc/passwd (default root)\n"},
	{name: "apply", args: "[--ephemeral] [-u USER] NAME SCRIPT|- [ARGS...]", summary: "run a script in the jail; a stopped jail is started without its services (--ephemeral: and stopped again)",
		options: "  --ephemeral       stop the jail again if apply started it\n  -u, --user USER   run the script as USER\n"},
	{name: "logs", args: "NAME [SERVICE] [-f] [-n N] [--since T] [--json]", summary: "collected logs of a jail"},
	{name: "stats", args: "[NAME] [--json|--prometheus [--http]] [--collector ADDR]", summary: "CPU (1 s, 10 s), processes, memory, uptime, services"},
	{name: "collector", args: "[--listen 127.0.0.1:9750] [--rotate-size 16M] [--keep 10] [--syslog unix:/dev/log|udp:HOST:PORT|tcp:HOST:PORT|journald] [--max-conns 512]", summary: "the host log and metrics collector (foreground)",
		options: "  runs jails-collector, installed beside jailctl, with these arguments;\n  'jails-collector -h' lists its options\n"},
	{name: "help", args: "[COMMAND]", summary: "this text, or a command's help"},
}

func docOf(cmd string) (cmdDoc, bool) {
	for _, d := range cmdDocs {
		if d.name == cmd {
			return d, true
		}
	}
	return cmdDoc{}, false
}

// writeUsage is the global usage: every command and the exit codes.
func writeUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: jailctl [--state-dir DIR] [--debug] COMMAND [ARGS]\n       jailctl --version | -h | help COMMAND\n\nCommands:\n")
	for _, d := range cmdDocs {
		fmt.Fprintf(w, "  %-10s %s\n", d.name, d.summary)
	}
	fmt.Fprint(w, "\nExit status: 0 success, 1 failure, 2 usage error, 3 status of a jail that is not running;\nexec, attach and apply exit with the command's status.\nRun 'jailctl help COMMAND' (or 'jailctl COMMAND -h') for a command's options.\n")
}

// writeHelp is one command's help: synopsis, summary, options.
func writeHelp(w io.Writer, cmd string, fs *flag.FlagSet) {
	d, _ := docOf(cmd)
	fmt.Fprintf(w, "usage: jailctl %s %s\n\n%s\n", d.name, d.args, d.summary)
	if d.options != "" {
		fmt.Fprintf(w, "\nOptions:\n%s", d.options)
		return
	}
	if fs == nil {
		return
	}
	var opts strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		arg := ""
		if name != "" {
			arg = " " + strings.ToUpper(name)
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&opts, "  --%s%s\n        %s%s\n", f.Name, arg, use, def)
	})
	if opts.Len() > 0 {
		fmt.Fprintf(w, "\nOptions:\n%s", opts.String())
	}
}

// env carries what every command needs.
type env struct {
	st     *store.Store
	jails  *jail.Host
	log    hclog.Logger
	stdout io.Writer
	stderr io.Writer
	self   string // this executable, re-executed as the keeper
	prog   string // the name this binary was called by: jailctl, jls or jexec
}

// cmdError is a command's error with the command's name, so main can
// print that command's synopsis with a usage error.
type cmdError struct {
	cmd string
	err error
}

func (c cmdError) Error() string { return c.err.Error() }
func (c cmdError) Unwrap() error { return c.err }

func run(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jailctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stateDir := fs.String("state-dir", os.Getenv("JAILS_STATE_DIR"), "put lib, run and log under DIR")
	debug := fs.Bool("debug", false, "verbose diagnostics")
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return helpRequested{}
	} else if err != nil {
		return usageError{err.Error()}
	}
	if *showVersion {
		fmt.Fprintf(stdout, "%s %s\n", prog, versionString())
		return nil
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
		log:    hclog.New(&hclog.LoggerOptions{Name: "jailctl", Output: stderr, Level: lvl}),
		stdout: stdout, stderr: stderr, self: self, prog: prog,
	}
	e.jails = jail.New(e.st, e.log, self)
	var err error
	if e.jails.HostPrivate, err = hostPrivatePorts(); err != nil {
		return err
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	if cmd == "help" {
		return cmdHelpOf(rest)
	}
	h, ok := commands[cmd]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	if handParsed[cmd] && len(rest) > 0 && isHelpFlag(rest[0]) {
		return helpRequested{cmd: cmd}
	}
	if err := h(ctx, e, rest); err != nil {
		return cmdError{cmd, err}
	}
	return nil
}

func isHelpFlag(a string) bool { return a == "-h" || a == "--help" || a == "-help" }

// handParsed commands parse their own syntax (everything after the command
// to run belongs to it; collector's belongs to jails-collector), so they
// have no FlagSet to list in their help.
var handParsed = map[string]bool{"exec": true, "attach": true, "apply": true, "svc": true, "collector": true}

func cmdHelpOf(args []string) error {
	switch {
	case len(args) == 0:
		return helpRequested{}
	case len(args) > 1:
		return usageError{"help takes at most one COMMAND"}
	}
	if _, ok := docOf(args[0]); !ok && !isHelpFlag(args[0]) {
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if isHelpFlag(args[0]) {
		return helpRequested{cmd: "help"}
	}
	if handParsed[args[0]] || args[0] == "help" {
		return helpRequested{cmd: args[0]}
	}
	// The command's own parser lists its flags: it returns helpRequested
	// with them before it uses its environment.
	err := commands[args[0]](context.Background(), nil, []string{"--help"})
	var h helpRequested
	if errors.As(err, &h) {
		return h
	}
	return helpRequested{cmd: args[0]}
}

var commands map[string]func(context.Context, *env, []string) error

func init() {
	commands = map[string]func(context.Context, *env, []string) error{
		"create": cmdCreate, "destroy": cmdDestroy, "set": cmdSet,
		"start": cmdStart, "stop": cmdStop, "restart": cmdRestart, "run": cmdRun,
		"list": cmdList, "status": cmdStatus, "svc": cmdSvc,
		"exec": cmdExec, "attach": cmdAttach, "apply": cmdApply,
		"logs": cmdLogs, "collector": cmdCollector, "stats": cmdStats,
	}
}

// parse parses flags that may come before or after positional arguments
// (jailctl create NAME --port 80 as well as jailctl create --port 80 NAME);
// a "--" ends flag parsing. -h and --help ask for the command's help.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, helpRequested{cmd: fs.Name(), fs: fs}
		} else if err != nil {
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

// flagSet reports whether the command line gave the flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
