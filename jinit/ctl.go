package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
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
		services.WriteTable(os.Stdout, resp.Services, time.Now())
	}
	return nil
}
