package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Passing descriptors: exec hands the caller's stdin, stdout and stderr to
// jinit, and jinit hands back the master side of a pseudo-terminal, with
// SCM_RIGHTS. Descriptors travel on a message of their own, sent only when
// the peer is known to have nothing else buffered (see docs/PROTOCOL.md),
// so a buffered reader never swallows them.

const maxFDs = 3

func unixConn(c net.Conn) (*net.UnixConn, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, errors.New("descriptor passing needs a unix socket")
	}
	return uc, nil
}

// sendFDs writes payload with files attached.
func sendFDs(c net.Conn, payload []byte, files []*os.File) error {
	uc, err := unixConn(c)
	if err != nil {
		return err
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	var oob []byte
	if len(fds) > 0 {
		oob = syscall.UnixRights(fds...)
	}
	n, oobn, err := uc.WriteMsgUnix(payload, oob, nil)
	if err == nil && (n != len(payload) || oobn != len(oob)) {
		err = errors.New("short write")
	}
	if err != nil {
		return fmt.Errorf("send descriptors: %w", err)
	}
	return nil
}

// recvFDs reads one message of at most len(buf) bytes and the descriptors
// attached to it (at most maxFDs; any extra are closed).
func recvFDs(c net.Conn, buf []byte) (int, []*os.File, error) {
	uc, err := unixConn(c)
	if err != nil {
		return 0, nil, err
	}
	oob := make([]byte, syscall.CmsgSpace(4*maxFDs))
	n, oobn, flags, _, err := uc.ReadMsgUnix(buf, oob)
	if err != nil {
		return 0, nil, fmt.Errorf("receive descriptors: %w", err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return n, nil, fmt.Errorf("receive descriptors: %w", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if len(files) >= maxFDs {
				syscall.Close(fd)
				continue
			}
			syscall.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "passed"))
		}
	}
	if flags&syscall.MSG_CTRUNC != 0 {
		closeAll(files)
		return n, nil, errors.New("receive descriptors: control message truncated")
	}
	return n, files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// ReadFDs reads the client's descriptor message: one byte carrying n files.
func (c *Conn) ReadFDs(n int) ([]*os.File, error) {
	if c.r.Buffered() > 0 {
		return nil, errors.New("receive descriptors: unexpected data before them")
	}
	var b [1]byte
	_, files, err := recvFDs(c.c, b[:])
	if err != nil {
		return nil, err
	}
	if len(files) != n {
		closeAll(files)
		return nil, fmt.Errorf("receive descriptors: got %d, want %d", len(files), n)
	}
	return files, nil
}

// WriteResponse writes a response frame, with files attached if any.
func (c *Conn) WriteResponse(r Response, files ...*os.File) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return c.Write(TypeResponse, b)
	}
	frame := make([]byte, 0, 5+len(b))
	frame = append(frame, 0, 0, 0, 0, TypeResponse)
	frame = append(frame, b...)
	n := uint32(len(b) + 1)
	frame[0], frame[1], frame[2], frame[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	c.mu.Lock()
	defer c.mu.Unlock()
	return sendFDs(c.c, frame, files)
}
