package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ExecData is the Data of exec's responses.
type ExecData struct {
	FDs      int    `json:"fds"`                 // step 2: descriptors the client must send
	Pid      int    `json:"pid,omitempty"`       // step 4: the command started
	ExitCode *int   `json:"exit_code,omitempty"` // step 6: it ended
	Signal   string `json:"signal,omitempty"`
}

// ExecSession is a running command started by Client.Exec.
type ExecSession struct {
	c   *Client
	Pid int
	PTY *os.File // the terminal's master side (TTY requests only)
}

// Exec starts a command in the jail. Without TTY, files must be the three
// standard descriptors the command gets; with TTY, jinit allocates a
// terminal inside the jail and the session's PTY is its master. The client
// is taken over by the session.
func (c *Client) Exec(ctx context.Context, req Request, files []*os.File) (*ExecSession, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	req.Verb = VerbExec
	c.next++
	req.ID = c.next
	if err := WriteJSON(c.conn, TypeRequest, req); err != nil {
		return nil, fmt.Errorf("send exec: %w", err)
	}
	var d ExecData
	if err := c.readExec(c.r, &d); err != nil {
		return nil, err
	}
	if req.TTY {
		files = nil
	}
	if d.FDs != len(files) {
		return nil, fmt.Errorf("exec: jinit wants %d descriptors, have %d", d.FDs, len(files))
	}
	if c.r.Buffered() > 0 {
		return nil, errors.New("exec: unexpected data from jinit")
	}
	if err := sendFDs(c.conn, []byte{'F'}, files); err != nil {
		return nil, err
	}
	// The started response may carry the terminal: read it as one message.
	buf := make([]byte, 64<<10)
	n, got, err := recvFDs(c.conn, buf)
	if err != nil {
		return nil, err
	}
	s := &ExecSession{c: c}
	if len(got) > 0 {
		s.PTY = got[0]
		closeAll(got[1:])
	}
	br := bytes.NewReader(buf[:n])
	if err := c.readExec(io.MultiReader(br, c.r), &d); err != nil {
		if s.PTY != nil {
			s.PTY.Close()
		}
		return nil, err
	}
	s.Pid = d.Pid
	if br.Len() > 0 {
		// Anything read past the started frame stays for Wait.
		c.r.Reset(io.MultiReader(br, c.conn))
	}
	return s, nil
}

// ExitError carries a command's exit code.
type ExitError struct {
	Code int
	Err  string
}

func (e *ExitError) Error() string { return e.Err }

func (c *Client) readExec(r io.Reader, d *ExecData) error {
	for {
		typ, payload, err := ReadFrame(r, MaxFrame)
		if err != nil {
			return fmt.Errorf("exec: %w", err)
		}
		if typ == TypeError {
			return remoteError(payload)
		}
		if typ != TypeResponse {
			continue
		}
		var resp Response
		if err := json.Unmarshal(payload, &resp); err != nil {
			return fmt.Errorf("exec: decode response: %w", err)
		}
		*d = ExecData{}
		if len(resp.Data) > 0 {
			if err := json.Unmarshal(resp.Data, d); err != nil {
				return fmt.Errorf("exec: decode response: %w", err)
			}
		}
		if !resp.OK {
			code := 126
			if d.ExitCode != nil {
				code = *d.ExitCode
			}
			return &ExitError{Code: code, Err: resp.Error}
		}
		return nil
	}
}

// Signal forwards a signal to the command's process group.
func (s *ExecSession) Signal(sig string) error {
	return WriteJSON(s.c.conn, TypeRequest, Request{Verb: "signal", Signal: sig})
}

// Wait returns the command's exit code (128+N if killed by signal N).
func (s *ExecSession) Wait() (int, error) {
	var d ExecData
	if err := s.c.readExec(s.c.r, &d); err != nil {
		return 0, err
	}
	if d.ExitCode == nil {
		return 0, errors.New("exec: no exit status")
	}
	return *d.ExitCode, nil
}

// Close ends the session; a command still running gets SIGHUP.
func (s *ExecSession) Close() error {
	if s.PTY != nil {
		s.PTY.Close()
	}
	s.c.conn.SetDeadline(time.Now())
	return s.c.Close()
}
