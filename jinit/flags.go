package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
)

type options struct {
	// supervisor mode
	services  string
	control   string // socket path to listen on
	controlFD int    // or an inherited listening socket
	jail      string
	debug     bool

	// single-command mode
	subreaper bool
	group     bool
	verbose   bool
	remap     []int // -e CODE, may repeat
	cmd       []string
}

const usage = `usage:
  jinit [--services DIR] [--control SOCKET | --control-fd N] [--jail NAME]
  jinit [-s] [-g] [-e CODE] [-v] -- CMD [ARGS...]
  jinit ctl --control SOCKET VERB [SERVICE] [ARG]
`

type intList struct{ v *[]int }

func (l intList) String() string { return fmt.Sprint(*l.v) }
func (l intList) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 255 {
		return fmt.Errorf("exit code must be 0..255, not %q", s)
	}
	*l.v = append(*l.v, n)
	return nil
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("jinit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.services, "services", "/etc/service", "service scan directory")
	fs.StringVar(&o.control, "control", "", "control socket path to listen on")
	fs.IntVar(&o.controlFD, "control-fd", -1, "inherited listening control socket")
	fs.StringVar(&o.jail, "jail", "", "jail name (reported to clients)")
	fs.BoolVar(&o.debug, "debug", false, "log state changes")
	fs.BoolVar(&o.subreaper, "s", false, "register as a child subreaper")
	fs.BoolVar(&o.group, "g", false, "forward signals to the child's process group")
	fs.BoolVar(&o.verbose, "v", false, "verbose")
	fs.Var(intList{&o.remap}, "e", "map this exit code to 0")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w\n%s", err, usage)
	}
	o.cmd = fs.Args()
	if o.control != "" && o.controlFD >= 0 {
		return o, fmt.Errorf("--control and --control-fd are exclusive")
	}
	return o, nil
}
