package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Handler answers requests. Handle may block (wait-ready); it is called on
// its own goroutine per request.
type Handler interface {
	Handle(ctx context.Context, req Request) Response
}

// Streamer takes over a connection for a log subscription: it owns the
// connection until it returns.
type Streamer interface {
	Stream(ctx context.Context, req Request, conn *Conn) error
}

// Execer takes over a connection to run a command (verb "exec").
type Execer interface {
	Exec(ctx context.Context, req Request, conn *Conn) error
}

// Server serves the control protocol on a listener.
type Server struct {
	Handler  Handler
	Streamer Streamer // nil: the "logs" verb is refused
	Execer   Execer   // nil: the "exec" verb is refused
	Log      hclog.Logger
	Software string
	Jail     string
}

// Conn is a server-side connection: frames written through it are
// serialised, since responses to concurrent requests share it.
type Conn struct {
	c  net.Conn
	r  *bufio.Reader
	mu sync.Mutex
}

// Write sends one frame.
func (c *Conn) Write(typ byte, payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return WriteFrame(c.c, typ, payload)
}

// Read reads one frame from the peer (at most MaxClientFrame).
func (c *Conn) Read() (byte, []byte, error) { return ReadFrame(c.r, MaxClientFrame) }

// Limits on what clients can make jinit hold: with MaxClientFrame they
// bound the memory the control socket can cost (MaxConns × (frame +
// MaxInflight requests)), whatever a client sends.
const (
	// MaxConns is how many connections are served at once; more are
	// refused with an error frame.
	MaxConns = 64
	// MaxInflight is how many requests of one connection are answered
	// at once; further ones wait (wait-ready blocks).
	MaxInflight = 16
)

// SetReadDeadline bounds the next Read.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// Serve accepts connections until ctx ends or the listener fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Log == nil {
		s.Log = hclog.NewNullLogger()
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	slots := make(chan struct{}, MaxConns)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		select {
		case slots <- struct{}{}:
			go func() {
				defer func() { <-slots }()
				s.serveConn(ctx, c)
			}()
		default:
			s.Log.Warn("control socket: too many connections; refusing one", "limit", MaxConns)
			go s.refuse(c)
		}
	}
}

// refuse answers a connection beyond MaxConns with an error and closes it.
func (s *Server) refuse(nc net.Conn) {
	defer nc.Close()
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	s.fatal(&Conn{c: nc}, "too many connections to jinit's control socket")
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer nc.Close()
	c := &Conn{c: nc, r: bufio.NewReader(nc)}
	if err := s.handshake(c); err != nil {
		s.Log.Debug("control handshake", "error", err)
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	inflight := make(chan struct{}, MaxInflight)
	for {
		typ, payload, err := c.Read()
		if err != nil {
			return
		}
		if typ != TypeRequest {
			s.fatal(c, "unexpected frame type "+string(rune(typ)))
			return
		}
		req, err := DecodeRequest(payload)
		if err != nil {
			s.fatal(c, err.Error())
			return
		}
		if req.Verb == VerbLogs {
			s.stream(ctx, req, c)
			return
		}
		if req.Verb == VerbExec {
			if s.Execer == nil {
				s.fatal(c, "exec not available")
			} else if err := s.Execer.Exec(ctx, req, c); err != nil {
				s.Log.Debug("exec ended", "error", err)
			}
			return
		}
		select {
		case inflight <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-inflight }()
			resp := s.Handler.Handle(ctx, req)
			resp.ID = req.ID
			b, _ := json.Marshal(resp)
			c.Write(TypeResponse, b)
		}()
	}
}

func (s *Server) handshake(c *Conn) error {
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, payload, err := c.Read()
	if err != nil {
		return err
	}
	c.c.SetReadDeadline(time.Time{})
	if typ != TypeHello {
		s.fatal(c, "expected hello")
		return errors.New("expected hello")
	}
	if _, err := DecodeHello(payload); err != nil {
		s.fatal(c, err.Error())
		return err
	}
	b, _ := json.Marshal(Hello{Proto: Version, Software: s.Software, Jail: s.Jail})
	return c.Write(TypeHello, b)
}

func (s *Server) stream(ctx context.Context, req Request, c *Conn) {
	if s.Streamer == nil {
		s.fatal(c, "log streaming not available")
		return
	}
	if err := s.Streamer.Stream(ctx, req, c); err != nil {
		s.Log.Debug("log stream ended", "error", err)
	}
}

func (s *Server) fatal(c *Conn, msg string) {
	b, _ := json.Marshal(Response{Error: msg})
	c.Write(TypeError, b)
}
