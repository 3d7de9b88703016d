package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Client is a connection to a jinit control socket. Requests on one Client
// are sent one at a time.
type Client struct {
	conn  net.Conn
	r     *bufio.Reader
	mu    sync.Mutex
	next  uint64
	Hello Hello // the server's hello
}

// Dial connects to the socket at path and performs the handshake.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", path, err)
	}
	cl, err := NewClient(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to %s: %w", path, err)
	}
	return cl, nil
}

// DialDo connects to the socket at path and asks req, sending the hello
// and the request in one write instead of waiting for the server's hello
// in between; the server reads them in order, and one that refuses the
// hello answers with an error before it would read the request. It saves
// a round trip to a jinit that is not serving yet: a start asking for
// wait-ready has its answer as soon as the services are.
func DialDo(ctx context.Context, path string, req Request) (Response, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return Response{}, fmt.Errorf("connect to %s: %w", path, err)
	}
	defer c.Close()
	cl := &Client{conn: c, r: bufio.NewReader(c), next: 1}
	req.ID = cl.next
	var b bytes.Buffer
	WriteJSON(&b, TypeHello, clientHello)
	if err := WriteJSON(&b, TypeRequest, req); err != nil {
		return Response{}, fmt.Errorf("send %s: %w", req.Verb, err)
	}
	if _, err := c.Write(b.Bytes()); err != nil {
		return Response{}, fmt.Errorf("send %s to %s: %w", req.Verb, path, err)
	}
	if err := cl.readHello(); err != nil {
		return Response{}, fmt.Errorf("connect to %s: %w", path, err)
	}
	return cl.await(ctx, req)
}

// clientHello is what every client says first.
var clientHello = Hello{Proto: Version, Software: "jails"}

// NewClient performs the handshake on an established connection.
func NewClient(c net.Conn) (*Client, error) {
	cl := &Client{conn: c, r: bufio.NewReader(c)}
	if err := WriteJSON(c, TypeHello, clientHello); err != nil {
		return nil, fmt.Errorf("send hello: %w", err)
	}
	if err := cl.readHello(); err != nil {
		return nil, err
	}
	return cl, nil
}

// readHello reads the server's answer to the client's hello.
func (cl *Client) readHello() error {
	c := cl.conn
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	typ, payload, err := ReadFrame(cl.r, MaxFrame)
	if err != nil {
		return fmt.Errorf("read hello: %w", err)
	}
	if typ == TypeError {
		return remoteError(payload)
	}
	if typ != TypeHello {
		return fmt.Errorf("read hello: unexpected frame type %q", typ)
	}
	h, err := DecodeHello(payload)
	if err != nil {
		return err
	}
	cl.Hello = h
	return nil
}

func remoteError(payload []byte) error {
	var r Response
	if json.Unmarshal(payload, &r) == nil && r.Error != "" {
		return errors.New(r.Error)
	}
	return errors.New("peer refused the connection")
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn exposes the connection, for a log subscription that takes it over.
func (c *Client) Conn() (net.Conn, *bufio.Reader) { return c.conn, c.r }

// Do sends a request and waits for its response. A response with OK false
// is returned as an error carrying the server's message.
func (c *Client) Do(ctx context.Context, req Request) (Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	req.ID = c.next
	if err := WriteJSON(c.conn, TypeRequest, req); err != nil {
		return Response{}, fmt.Errorf("send %s: %w", req.Verb, err)
	}
	return c.await(ctx, req)
}

// await reads frames up to the response to req, within ctx.
func (c *Client) await(ctx context.Context, req Request) (Response, error) {
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
		defer c.conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		typ, payload, err := ReadFrame(c.r, MaxFrame)
		if err != nil {
			if ctx.Err() != nil {
				return Response{}, ctx.Err()
			}
			return Response{}, fmt.Errorf("read %s response: %w", req.Verb, err)
		}
		if typ == TypeError {
			return Response{}, remoteError(payload)
		}
		if typ != TypeResponse {
			continue
		}
		var resp Response
		if err := json.Unmarshal(payload, &resp); err != nil {
			return Response{}, fmt.Errorf("decode %s response: %w", req.Verb, err)
		}
		if resp.ID != req.ID {
			continue
		}
		if !resp.OK {
			return resp, errors.New(resp.Error)
		}
		return resp, nil
	}
}
