package secmodel

import (
	"bytes"
	"testing"
)

// The kernel's replies and sysctl node lists are decoded from bytes: none of
// them may panic, and whatever decodes must encode back to the same bytes.

func FuzzDecodeInfos(f *testing.F) {
	var i Info
	i.ABIVersion, i.ID, i.NPorts = ABIVersion, 1, 99
	f.Add(encode(&i))
	f.Add([]byte{})
	f.Add(make([]byte, 263))
	f.Fuzz(func(t *testing.T, b []byte) {
		infos, err := DecodeInfos(b)
		if err != nil {
			return
		}
		var out []byte
		for k := range infos {
			_ = infos[k].NameString()
			_ = infos[k].PortList()
			out = append(out, encode(&infos[k])...)
		}
		if !bytes.Equal(out, b) {
			t.Fatal("round trip changed the bytes")
		}
	})
}

func FuzzDecodeCreateReply(f *testing.F) {
	f.Add(encode(&CreateReply{ABIVersion: ABIVersion, ID: 3}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeCreateReply(b)
		if err == nil && !bytes.Equal(encode(&r), b) {
			t.Fatal("round trip changed the bytes")
		}
	})
}

func FuzzCreateRequest(f *testing.F) {
	r, _ := NewCreateRequest("seed", ProfileHigh, 0, []Port{{Port: 80, Proto: ProtoTCP}})
	f.Add(r.Marshal())
	f.Add(make([]byte, 208))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeCreateRequest(b)
		if err != nil {
			return
		}
		if r.Validate() != nil {
			return
		}
		if !bytes.Equal(r.Marshal(), b) {
			t.Fatal("round trip changed the bytes")
		}
		// A valid request is what NewCreateRequest builds from its parts.
		ports := r.Ports[:r.NPorts]
		again, err := NewCreateRequest(r.NameString(), r.Profile, r.Flags, ports)
		if err != nil || again != r {
			t.Fatalf("rebuild: %v", err)
		}
	})
}

func FuzzParseNodes(f *testing.F) {
	f.Add(make([]byte, sysctlNodeSize))
	f.Add([]byte("security"))
	f.Fuzz(func(t *testing.T, b []byte) {
		nodes, err := parseNodes(b)
		if err == nil && len(nodes) != len(b)/sysctlNodeSize {
			t.Fatalf("%d nodes from %d bytes", len(nodes), len(b))
		}
	})
}
