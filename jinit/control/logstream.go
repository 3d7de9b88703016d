package control

import (
	"context"
	"encoding/json"

	"github.com/jailsproject/jails/logs"
)

// ServeLogs serves a log subscription from buf on a connection a Streamer
// took over (docs/LOGS.md, the stream): the reply naming the boot and
// where the stream resumes, then batches, each released from buf when the
// collector acknowledges it. It returns when ctx ends or the connection
// fails.
func ServeLogs(ctx context.Context, buf *logs.Buffer, req Request, conn *Conn) error {
	gen, after := buf.Subscribe(req.Boot, req.FromSeq)
	defer buf.Unsubscribe(gen)
	data, _ := json.Marshal(logs.SubscribeReply{Boot: buf.Boot(), After: after})
	resp, _ := json.Marshal(Response{ID: req.ID, OK: true, Data: data})
	if err := conn.Write(TypeResponse, resp); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer cancel()
		for {
			typ, p, err := conn.Read()
			if err != nil || typ != TypeAck {
				return
			}
			seq, err := logs.DecodeAck(p)
			if err != nil {
				return
			}
			buf.Ack(seq)
		}
	}()
	for {
		batch, err := buf.Next(ctx, gen, logs.DefaultBatch)
		if err != nil {
			return err
		}
		if err := conn.Write(TypeLogs, batch); err != nil {
			return err
		}
	}
}
