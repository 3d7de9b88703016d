package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jailsproject/jails/services"
)

func TestFrameRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, TypeRequest, []byte(`{"verb":"status"}`)); err != nil {
		t.Fatal(err)
	}
	typ, p, err := ReadFrame(&b, MaxFrame)
	if err != nil || typ != TypeRequest || string(p) != `{"verb":"status"}` {
		t.Fatalf("got %q %q %v", typ, p, err)
	}
}

func TestReadFrameRejects(t *testing.T) {
	cases := map[string][]byte{
		"empty frame":  {0, 0, 0, 0},
		"too large":    {0x7f, 0, 0, 0, 'Q'},
		"truncated":    {0, 0, 0, 9, 'Q', '{'},
		"short header": {0, 0},
	}
	for name, in := range cases {
		if _, _, err := ReadFrame(bytes.NewReader(in), MaxFrame); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{0x7f, 0, 0, 0, 'Q'}), MaxFrame); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("too large: %v", err)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	cases := map[string]string{
		`{"verb":"explode"}`:                "unknown verb",
		`{"verb":"status","timeout_ms":-1}`: "negative timeout_ms",
		`not json`:                          "decode request",
		`{"verb":"up","service":"` + strings.Repeat("x", 300) + `"}`: "longer than 255",
	}
	for in, want := range cases {
		if _, err := DecodeRequest([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40s: error %v, want %q", in, err, want)
		}
	}
}

type echo struct{}

func (echo) Handle(_ context.Context, r Request) Response {
	if r.Verb == services.VerbUp {
		return Response{Error: "no such service"}
	}
	return Response{OK: true, Services: []services.Status{{Name: r.Service}}}
}

func TestClientServer(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&Server{Handler: echo{}, Jail: "j1"}).Serve(ctx, ln)
	c, err := Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Hello.Jail != "j1" || c.Hello.Proto != Version {
		t.Fatalf("hello %+v", c.Hello)
	}
	r, err := c.Do(ctx, Request{Verb: services.VerbStatus, Service: "web"})
	if err != nil || len(r.Services) != 1 || r.Services[0].Name != "web" {
		t.Fatalf("status: %+v %v", r, err)
	}
	if _, err := c.Do(ctx, Request{Verb: services.VerbUp}); err == nil || err.Error() != "no such service" {
		t.Fatalf("error response: %v", err)
	}
	// A client speaking another version is refused with a reason.
	nc, _ := net.Dial("unix", sock)
	defer nc.Close()
	WriteJSON(nc, TypeHello, Hello{Proto: 99})
	typ, p, err := ReadFrame(nc, MaxFrame)
	if err != nil || typ != TypeError || !strings.Contains(string(p), "version 99 not supported") {
		t.Fatalf("version mismatch: %q %s %v", typ, p, err)
	}
}

// TestDialDo: the hello and the request sent at once get the response, from
// a server that only starts serving after the client has written both (a
// jail's start asks for wait-ready before jinit runs); a server that
// refuses the hello is an error naming why, not a hang on the request.
func TestDialDo(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type answer struct {
		r   Response
		err error
	}
	got := make(chan answer, 1)
	go func() {
		r, err := DialDo(ctx, sock, Request{Verb: services.VerbStatus, Service: "web"})
		got <- answer{r, err}
	}()
	time.Sleep(50 * time.Millisecond) // connected, both frames in the backlog
	go (&Server{Handler: echo{}, Jail: "j1"}).Serve(ctx, ln)
	a := <-got
	if a.err != nil || len(a.r.Services) != 1 || a.r.Services[0].Name != "web" {
		t.Fatalf("DialDo status: %+v %v", a.r, a.err)
	}
	if _, err := DialDo(ctx, sock, Request{Verb: services.VerbUp}); err == nil || err.Error() != "no such service" {
		t.Fatalf("DialDo error response: %v", err)
	}

	// A server that reads both frames before it says anything (the
	// request must not wait for the server's hello), then refuses.
	sock2 := filepath.Join(t.TempDir(), "refusing")
	ln2, err := net.Listen("unix", sock2)
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	second := make(chan byte, 1)
	go func() {
		c, err := ln2.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		ReadFrame(c, MaxFrame)
		typ, _, _ := ReadFrame(c, MaxFrame)
		second <- typ
		b, _ := json.Marshal(Response{Error: "version 1 not supported"})
		WriteFrame(c, TypeError, b)
	}()
	if _, err := DialDo(ctx, sock2, Request{Verb: services.VerbWaitReady}); err == nil || !strings.Contains(err.Error(), "version 1 not supported") {
		t.Fatalf("DialDo to a refusing server: %v", err)
	}
	if typ := <-second; typ != TypeRequest {
		t.Fatalf("the request did not follow the hello unasked: second frame %q", typ)
	}
}

// FuzzDecode feeds arbitrary bytes to the frame reader and the decoders:
// they must return an error or a valid value, never panic or over-allocate.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 0, 0, 18, 'Q', '{', '"', 'v', 'e', 'r', 'b', '"', ':', '"', 's', 't', 'a', 't', 'u', 's', '"', '}'})
	f.Add([]byte(`{"proto":1}`))
	f.Add([]byte{0, 0, 0, 1, 'H'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 'Q'})
	f.Add([]byte{0, 4, 0, 1, 'Q', '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			typ, p, err := ReadFrame(r, 1<<16)
			if err != nil {
				break
			}
			switch typ {
			case TypeHello:
				DecodeHello(p)
			case TypeRequest:
				if req, err := DecodeRequest(p); err == nil && !knownVerbs[req.Verb] {
					t.Fatalf("accepted unknown verb %q", req.Verb)
				}
			}
		}
		DecodeRequest(b)
		DecodeHello(b)
	})
}
