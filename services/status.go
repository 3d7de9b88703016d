package services

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Status is the public view of one service, as the control protocol sends it.
type Status struct {
	Name       string      `json:"name"`
	State      string      `json:"state"`
	Want       string      `json:"want"`
	Pid        int         `json:"pid"`
	Since      time.Time   `json:"since"`
	Ready      bool        `json:"ready"`
	Restarts   int         `json:"restarts"`
	LastExit   *ExitReport `json:"last_exit,omitempty"`
	WaitingFor []string    `json:"waiting_for,omitempty"`
	Oneshot    bool        `json:"oneshot,omitempty"`
}

// ExitReport is an exit status in wire form.
type ExitReport struct {
	Code   int    `json:"code"`
	Signal string `json:"signal,omitempty"`
}

func (s *State) report() *ExitReport {
	if s.LastExit == nil {
		return nil
	}
	r := &ExitReport{Code: s.LastExit.Code}
	if s.LastExit.Signal != 0 {
		r.Code = -1
		r.Signal = signalName(s.LastExit.Signal)
	}
	return r
}

func (w Want) String() string {
	switch w {
	case WantUp:
		return "up"
	case WantOnce:
		return "once"
	}
	return "down"
}

// Stats are the supervisor's own counters.
type Stats struct {
	OrphansReaped uint64    `json:"orphans_reaped"`
	Started       time.Time `json:"started"`
	ShuttingDown  bool      `json:"shutting_down"`
}

// WriteTable formats statuses as the aligned table `jailctl status` and
// `jinit ctl status` show: SERVICE STATE PID UPTIME RESTARTS LAST-EXIT READY.
func WriteTable(w io.Writer, st []Status, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTATE\tPID\tUPTIME\tRESTARTS\tLAST-EXIT\tREADY")
	for _, s := range st {
		pid, last, ready := "-", "-", "no"
		if s.Pid > 0 {
			pid = fmt.Sprint(s.Pid)
		}
		if s.LastExit != nil {
			last = fmt.Sprintf("exit %d", s.LastExit.Code)
			if s.LastExit.Signal != "" {
				last = s.LastExit.Signal
			}
		}
		if s.Ready {
			ready = "yes"
		}
		state := s.State
		if len(s.WaitingFor) > 0 {
			state += " (waiting for " + strings.Join(s.WaitingFor, ",") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.Name, state, pid, now.Sub(s.Since).Truncate(time.Second), s.Restarts, last, ready)
	}
	return tw.Flush()
}
