package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jailsproject/jails/logs"
)

type options struct {
	// supervisor mode
	services  string
	control   string // socket path to listen on
	controlFD int    // or an inherited listening socket
	jail      string
	keeperFD  int // a socket from the jail's keeper (jailctl run): EOF ends the jail
	debug     bool
	// a jail that no keeper holds: jinit's last word goes to its console,
	// tagged with the start, and its console messages stop at consoleMax
	incarnation string
	consoleMax  int64

	// log capture (with a control socket)
	logBuffer  int64         // bytes buffered while no collector reads
	logLineMax int           // longer lines are split
	logDrain   time.Duration // how long a shutdown waits for the collector

	// single-command mode
	subreaper bool
	group     bool
	verbose   bool
	remap     []int // -e CODE, may repeat
	cmd       []string
}

const usage = `usage:
  jinit [--services DIR] [--control SOCKET | --control-fd N] [--jail NAME] [--keeper-fd N]
        [--incarnation ID] [--console-max SIZE] [--log-buffer SIZE] [--log-line-max SIZE] [--log-drain DURATION]
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
	fs.IntVar(&o.keeperFD, "keeper-fd", -1, "socket from the jail's keeper; end of file ends the jail")
	fs.BoolVar(&o.debug, "debug", false, "log state changes")
	fs.StringVar(&o.incarnation, "incarnation", "", "the jail's start, named in jinit's last word on its console")
	fs.Var(sizeFlag{&o.consoleMax, 1 << 10, 1 << 40}, "console-max", "stop writing messages to the console past this size")
	o.logBuffer = logs.DefaultBuffer
	lm := int64(logs.DefaultLineMax)
	logBuffer, lineMax := sizeFlag{&o.logBuffer, logs.MinBuffer, 1 << 30}, sizeFlag{&lm, 1 << 10, logs.MaxLineLimit}
	fs.Var(logBuffer, "log-buffer", "log buffer per jail, bytes (K, M, G suffixes)")
	fs.Var(lineMax, "log-line-max", "split log lines longer than this")
	fs.DurationVar(&o.logDrain, "log-drain", 5*time.Second, "at shutdown, wait this long for the collector")
	fs.BoolVar(&o.subreaper, "s", false, "register as a child subreaper")
	fs.BoolVar(&o.group, "g", false, "forward signals to the child's process group")
	fs.BoolVar(&o.verbose, "v", false, "verbose")
	fs.Var(intList{&o.remap}, "e", "map this exit code to 0")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w\n%s", err, usage)
	}
	o.cmd = fs.Args()
	o.logLineMax = int(*lineMax.v)
	if o.logBuffer < 2*int64(o.logLineMax) {
		return o, fmt.Errorf("--log-buffer must hold two lines of --log-line-max")
	}
	if o.control != "" && o.controlFD >= 0 {
		return o, fmt.Errorf("--control and --control-fd are exclusive")
	}
	return o, nil
}

// sizeFlag is a byte count with an optional K, M or G suffix, within bounds.
type sizeFlag struct {
	v        *int64
	min, max int64
}

func (f sizeFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strconv.FormatInt(*f.v, 10)
}

func (f sizeFlag) Set(s string) error {
	t, mult := strings.ToUpper(strings.TrimSpace(s)), int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMG", t[n-1]); i >= 0 {
			mult, t = int64(1)<<(10*(i+1)), t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > f.max/mult || n*mult < f.min {
		return fmt.Errorf("size %q: want %d to %d bytes (K, M, G suffixes)", s, f.min, f.max)
	}
	*f.v = n * mult
	return nil
}
