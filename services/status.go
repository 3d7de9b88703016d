package services

import "time"

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
