package secmodel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestNewCreateRequest(t *testing.T) {
	r, err := NewCreateRequest("web-1", ProfileMedium, FlagAnyPort,
		[]Port{{Port: 80, Proto: ProtoTCP}, {Port: 80, Proto: ProtoUDP}})
	if err != nil {
		t.Fatal(err)
	}
	if r.ABIVersion != ABIVersion || r.NPorts != 2 || r.NameString() != "web-1" {
		t.Fatalf("request %+v", r)
	}
	b := r.Marshal()
	if len(b) != 208 {
		t.Fatalf("marshal: %d bytes", len(b))
	}
	back, err := DecodeCreateRequest(b)
	if err != nil || back != r {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	if _, err := DecodeCreateRequest(b[:207]); err == nil {
		t.Fatal("short request decoded")
	}

	bad := []struct {
		name    string
		profile uint32
		flags   uint32
		ports   []Port
	}{
		{"", ProfileHigh, 0, nil},
		{".", ProfileHigh, 0, nil},
		{"..", ProfileHigh, 0, nil},
		{"a b", ProfileHigh, 0, nil},
		{"a/b", ProfileHigh, 0, nil},
		{"caf\u00e9", ProfileHigh, 0, nil},
		{strings.Repeat("x", 64), ProfileHigh, 0, nil},
		{"p", 3, 0, nil},
		{"f", ProfileHigh, 2, nil},
		{"z", ProfileHigh, 0, []Port{{Port: 0, Proto: ProtoTCP}}},
		{"z", ProfileHigh, 0, []Port{{Port: 1, Proto: 0}}},
		{"z", ProfileHigh, 0, []Port{{Port: 1, Proto: 4}}},
		{"z", ProfileHigh, 0, []Port{{Port: 1, Proto: 1, Pad: 1}}},
		{"z", ProfileHigh, 0, []Port{{Port: 53, Proto: ProtoUDP}, {Port: 53, Proto: ProtoAll}}},
		{"z", ProfileHigh, 0, make([]Port, 33)},
	}
	for _, c := range bad {
		if _, err := NewCreateRequest(c.name, c.profile, c.flags, c.ports); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewCreateRequest(%q, %d, %#x, %v) = %v, want ErrInvalid", c.name, c.profile, c.flags, c.ports, err)
		}
	}
	if _, err := NewCreateRequest(strings.Repeat("x", 63), ProfileLow, 0, nil); err != nil {
		t.Errorf("63-byte name: %v", err)
	}
	if err := ValidName("a\x00b"); err == nil {
		t.Error("name with NUL accepted")
	}
	if err := ValidName("ok.name_1-2"); err != nil {
		t.Error(err)
	}
}

func TestDecodeReplyAndInfos(t *testing.T) {
	rep := CreateReply{ABIVersion: ABIVersion, ID: 7, ConflictID: 3, ConflictPort: 443, ConflictProto: ProtoTCP}
	got, err := DecodeCreateReply(encode(&rep))
	if err != nil || got != rep {
		t.Fatalf("reply: %v %+v", err, got)
	}
	rep.ABIVersion = 2
	if _, err := DecodeCreateReply(encode(&rep)); !errors.Is(err, ErrABI) {
		t.Fatalf("reply with version 2: %v", err)
	}

	var a, b Info
	a.ABIVersion, a.ID, a.NPorts, a.CPUTicks = ABIVersion, 1, 1, 99
	copy(a.Name[:], "alpha")
	a.Ports[0] = Port{Port: 8080, Proto: ProtoTCP}
	b.ABIVersion, b.ID, b.NPorts = ABIVersion, 2, 40 // NPorts beyond the array
	buf := append(encode(&a), encode(&b)...)
	infos, err := DecodeInfos(buf)
	if err != nil || len(infos) != 2 {
		t.Fatalf("infos: %v %d", err, len(infos))
	}
	if infos[0].NameString() != "alpha" || infos[0].CPUTicks != 99 || len(infos[0].PortList()) != 1 ||
		infos[0].PortList()[0].Port != 8080 {
		t.Fatalf("info 0: %+v", infos[0])
	}
	if len(infos[1].PortList()) != PortsMax {
		t.Fatalf("PortList not clamped: %d", len(infos[1].PortList()))
	}
	if got, err := DecodeInfos(nil); err != nil || len(got) != 0 {
		t.Fatalf("empty list: %v %v", got, err)
	}
	if _, err := DecodeInfos(buf[:len(buf)-1]); err == nil {
		t.Fatal("truncated list decoded")
	}
	binary.NativeEndian.PutUint32(buf[264:], 9)
	if _, err := DecodeInfos(buf); !errors.Is(err, ErrABI) {
		t.Fatalf("entry with version 9: %v", err)
	}
}

func TestConflictError(t *testing.T) {
	e := &ConflictError{Name: "b", OwnerID: 3, Port: 80, Proto: ProtoTCP, Err: errors.New("errno")}
	if e.Error() != "port 80/tcp is reserved by jail 3" || errors.Unwrap(e) == nil {
		t.Fatal(e.Error())
	}
	e = &ConflictError{Name: "b", OwnerID: 4}
	if e.Error() != `jail name "b" is used by jail 4` {
		t.Fatal(e.Error())
	}
	if ProtoString(ProtoAll) != "tcp+udp" || ProtoString(9) != "proto(0x9)" {
		t.Fatal(ProtoString(ProtoAll), ProtoString(9))
	}
}

func TestResolveMIB(t *testing.T) {
	tree := map[string][]sysctlNode{
		"":             {{1, "kern"}, {13, "security"}},
		"13":           {{1000, "models"}, {5, "curtain"}},
		"13.1000":      {{1001, "bsd44"}, {1005, "jail"}},
		"13.1000.1005": {{1006, "version"}, {1007, "create"}},
	}
	children := func(mib []int32) ([]sysctlNode, error) {
		var k []string
		for _, n := range mib {
			k = append(k, strconv.Itoa(int(n)))
		}
		nodes, ok := tree[strings.Join(k, ".")]
		if !ok {
			return nil, errors.New("ENOTDIR")
		}
		return nodes, nil
	}
	mib, err := resolveMIB(SysctlCreate, children)
	if err != nil || fmt.Sprint(mib) != "[13 1000 1005 1007]" {
		t.Fatalf("create: %v %v", mib, err)
	}
	if _, err := resolveMIB(SysctlList, children); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("missing node: %v", err)
	}
	delete(tree, "13.1000")
	if _, err := resolveMIB(SysctlVersion, children); err == nil {
		t.Fatal("query error not returned")
	}
	if _, err := resolveMIB("kern.nope", children); err == nil || errors.Is(err, ErrNotLoaded) {
		t.Fatalf("foreign name: %v", err)
	}
	if _, err := resolveMIB("security..x", children); err == nil {
		t.Fatal("empty component accepted")
	}
}

func TestParseNodes(t *testing.T) {
	b := make([]byte, 2*sysctlNodeSize)
	order.PutUint32(b[4:], 13)
	copy(b[8:], "security")
	order.PutUint32(b[sysctlNodeSize+4:], 0xffffffff)
	copy(b[sysctlNodeSize+8:], strings.Repeat("n", 32)) // no NUL in 32 bytes
	nodes, err := parseNodes(b)
	if err != nil || len(nodes) != 2 || nodes[0] != (sysctlNode{13, "security"}) ||
		nodes[1].num != -1 || len(nodes[1].name) != 32 {
		t.Fatalf("%v %+v", err, nodes)
	}
	if _, err := parseNodes(b[:95]); err == nil {
		t.Fatal("partial node parsed")
	}
	q := queryRequest()
	if len(q) != sysctlNodeSize || order.Uint32(q) != sysctlVers1 {
		t.Fatal("query request")
	}
}

// TestValidateMatchesKernel feeds the same requests to Validate and to the
// kernel's own check (jp_validate_create, compiled from ../netbsd with the
// host C compiler): both must accept and refuse exactly the same ones.
func TestValidateMatchesKernel(t *testing.T) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no C compiler (%s) found, cannot run the kernel's validator: %v", cc, err)
	}
	src, err := filepath.Abs("../netbsd")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "validate.c")
	bin := filepath.Join(dir, "validate")
	const c = `#include <stdio.h>
#include "jail_policy.h"
int main(void) {
	struct jail_create_req r;
	while (fread(&r, sizeof(r), 1, stdin) == 1)
		printf("%d\n", jp_validate_create(&r));
	return 0;
}
`
	if err := os.WriteFile(prog, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cc, "-std=c99", "-Wall", "-Werror", "-I", src, "-o", bin, prog,
		filepath.Join(src, "jail_policy.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("compile validator: %v\n%s", err, out)
	}

	reqs := validationCorpus()
	var in bytes.Buffer
	for i := range reqs {
		in.Write(reqs[i].Marshal())
	}
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("run validator: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(reqs) {
		t.Fatalf("%d answers for %d requests", len(lines), len(reqs))
	}
	accepted := 0
	for i, l := range lines {
		kernelOK := l == "0"
		goErr := reqs[i].Validate()
		if kernelOK != (goErr == nil) {
			t.Errorf("request %d (%q nports %d): kernel %s, Go %v", i, reqs[i].NameString(), reqs[i].NPorts, l, goErr)
		}
		if kernelOK {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(reqs) {
		t.Fatalf("corpus is one-sided: %d of %d accepted", accepted, len(reqs))
	}
	t.Logf("%d requests, %d accepted by both", len(reqs), accepted)
}

// validationCorpus: valid requests and single mutations of them.
func validationCorpus() []CreateRequest {
	rng := rand.New(rand.NewPCG(1, 2))
	base, err := NewCreateRequest("base", ProfileHigh, 0,
		[]Port{{Port: 80, Proto: ProtoTCP}, {Port: 53, Proto: ProtoUDP}, {Port: 8080, Proto: ProtoAll}})
	if err != nil {
		panic(err)
	}
	var out []CreateRequest
	for range 3000 {
		r := base
		switch rng.IntN(9) {
		case 0:
			r.ABIVersion = uint32(rng.IntN(3))
		case 1:
			r.Profile = uint32(rng.IntN(5))
		case 2:
			r.Flags = uint32(1) << rng.IntN(32)
		case 3:
			r.NPorts = uint32(rng.IntN(36))
		case 4:
			r.Name[rng.IntN(NameMax)] = byte(rng.IntN(256))
		case 5:
			n := rng.IntN(NameMax + 1)
			r.Name = [NameMax]byte{}
			for i := range n {
				const alphabet = "ab.-_Z9/ \x00."
				r.Name[i] = alphabet[rng.IntN(len(alphabet))]
			}
		case 6:
			i := rng.IntN(PortsMax)
			r.Ports[i] = Port{Port: uint16(rng.IntN(3)) * 80, Proto: uint8(rng.IntN(5)), Pad: uint8(rng.IntN(2))}
		case 7:
			r.Ports[3] = r.Ports[rng.IntN(3)]
			r.NPorts = 4
		case 8:
			// unchanged: valid
		}
		out = append(out, r)
	}
	return out
}
