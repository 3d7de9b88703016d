package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jailsproject/jails/jinit/control"
	"github.com/jailsproject/jails/services"
)

// runCtl drives a running jinit by hand: jinit ctl --control SOCK VERB [SERVICE] [SIG].
func runCtl(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("jinit ctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sock := fs.String("control", "", "control socket")
	timeout := fs.Duration("timeout", 0, "wait-ready timeout")
	asJSON := fs.Bool("json", false, "print the raw response")
	if err := fs.Parse(args); err != nil || *sock == "" || fs.NArg() < 1 {
		return exitCode{code: 2, err: fmt.Errorf("usage: jinit ctl --control SOCKET [--timeout D] [--json] VERB [SERVICE] [SIGNAL]")}
	}
	req := control.Request{Verb: fs.Arg(0), Service: fs.Arg(1), TimeoutMS: timeout.Milliseconds()}
	if req.Verb == services.VerbSignal {
		if fs.NArg() != 3 {
			return exitCode{code: 2, err: fmt.Errorf("usage: jinit ctl --control SOCKET signal SERVICE SIGNAL")}
		}
		req.Signal = fs.Arg(2)
	}
	c, err := control.Dial(ctx, *sock)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := c.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", req.Verb, err)
	}
	if *asJSON {
		return printJSON(os.Stdout, resp)
	}
	if req.Verb == services.VerbStatus {
		printStatus(os.Stdout, resp.Services, time.Now())
	}
	return nil
}

// printStatus prints one aligned line per service.
func printStatus(w io.Writer, st []services.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTATE\tPID\tUPTIME\tRESTARTS\tLAST-EXIT\tREADY")
	for _, s := range st {
		pid, last := "-", "-"
		if s.Pid > 0 {
			pid = fmt.Sprint(s.Pid)
		}
		if s.LastExit != nil {
			last = fmt.Sprintf("exit %d", s.LastExit.Code)
			if s.LastExit.Signal != "" {
				last = s.LastExit.Signal
			}
		}
		state := s.State
		if len(s.WaitingFor) > 0 {
			state += " (" + strings.Join(s.WaitingFor, ",") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%v\n", s.Name, state, pid,
			now.Sub(s.Since).Truncate(time.Second), s.Restarts, last, s.Ready)
	}
	tw.Flush()
}
