package logs

// JSON payloads of the control protocol's log verbs (Response.Data).

// SubscribeReply answers a "logs" request, before the first batch.
type SubscribeReply struct {
	Boot  string `json:"boot"`  // jinit's stream
	After uint64 `json:"after"` // the batches start after this record
}

// TailReply answers a "tail" request: records jinit still holds.
type TailReply struct {
	Boot    string       `json:"boot"`
	Records []TailRecord `json:"records"`
	Buffer  Stats        `json:"buffer"`
}

// TailRecord is a Record in JSON; Text is base64 (it may be any bytes).
type TailRecord struct {
	Seq     uint64 `json:"seq"`
	Time    int64  `json:"time"`
	Service string `json:"service"`
	Stream  string `json:"stream"`
	Partial bool   `json:"partial,omitempty"`
	Text    []byte `json:"text"`
}

// ToTail converts records for a TailReply.
func ToTail(rs []Record) []TailRecord {
	out := make([]TailRecord, len(rs))
	for i, r := range rs {
		out[i] = TailRecord{Seq: r.Seq, Time: r.Time, Service: r.Service, Stream: r.Stream.String(),
			Partial: r.Flags&Partial != 0, Text: r.Text}
	}
	return out
}
