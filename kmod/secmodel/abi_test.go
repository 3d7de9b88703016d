package secmodel

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// layouts pairs every struct of jail_abi.h with its Go mirror, field by
// field in declaration order. The test compiles a C program from this table
// and compares sizes and offsets with the Go types.
var layouts = []struct {
	c      string
	goType reflect.Type
	fields [][2]string // {C field, Go field}
}{
	{"jail_port", reflect.TypeOf(Port{}), [][2]string{
		{"jp_port", "Port"}, {"jp_proto", "Proto"}, {"jp_pad", "Pad"},
	}},
	{"jail_create_req", reflect.TypeOf(CreateRequest{}), [][2]string{
		{"jc_abi_version", "ABIVersion"}, {"jc_profile", "Profile"},
		{"jc_flags", "Flags"}, {"jc_nports", "NPorts"}, {"jc_name", "Name"},
		{"jc_ports", "Ports"},
	}},
	{"jail_create_reply", reflect.TypeOf(CreateReply{}), [][2]string{
		{"jr_abi_version", "ABIVersion"}, {"jr_id", "ID"},
		{"jr_conflict_id", "ConflictID"}, {"jr_conflict_port", "ConflictPort"},
		{"jr_conflict_proto", "ConflictProto"}, {"jr_pad", "Pad"},
	}},
	{"jail_id_req", reflect.TypeOf(IDRequest{}), [][2]string{
		{"jd_abi_version", "ABIVersion"}, {"jd_id", "ID"},
	}},
	{"jail_info", reflect.TypeOf(Info{}), [][2]string{
		{"ji_abi_version", "ABIVersion"}, {"ji_id", "ID"},
		{"ji_profile", "Profile"}, {"ji_flags", "Flags"}, {"ji_name", "Name"},
		{"ji_nports", "NPorts"}, {"ji_nprocs", "NProcs"},
		{"ji_nzombies", "NZombies"}, {"ji_pad0", "Pad0"}, {"ji_ports", "Ports"},
		{"ji_cpu_ticks", "CPUTicks"}, {"ji_child_cpu_usec", "ChildCPUUsec"},
		{"ji_rss_pages", "RSSPages"}, {"ji_created", "Created"},
		{"ji_denied", "Denied"},
	}},
}

// constants pairs the #defines of jail_abi.h with the Go constants.
var constants = []struct {
	c    string
	want uint64
}{
	{"JAIL_ABI_VERSION", ABIVersion},
	{"JAIL_NAME_MAX", NameMax},
	{"JAIL_PORTS_MAX", PortsMax},
	{"JAIL_PROFILE_LOW", ProfileLow},
	{"JAIL_PROFILE_MEDIUM", ProfileMedium},
	{"JAIL_PROFILE_HIGH", ProfileHigh},
	{"JAIL_PROFILE_DEFAULT", ProfileDefault},
	{"JAIL_FLAG_ANYPORT", FlagAnyPort},
	{"JAIL_FLAGS_ALL", FlagsAll},
	{"JAIL_PROTO_TCP", ProtoTCP},
	{"JAIL_PROTO_UDP", ProtoUDP},
	{"JAIL_PROTO_ALL", ProtoAll},
	{"JAIL_SCOPE_PROCESS", ScopeProcess},
	{"JAIL_SCOPE_SYSTEM", ScopeSystem},
	{"JAIL_SCOPE_MACHDEP", ScopeMachdep},
	{"JAIL_SCOPE_DEVICE", ScopeDevice},
	{"JAIL_SCOPE_NETWORK", ScopeNetwork},
	{"JAIL_NSCOPES", NScopes},
}

var stringConstants = []struct{ c, want string }{
	{"JAIL_SYSCTL_ROOT", SysctlRoot},
	{"JAIL_SYSCTL_VERSION", SysctlVersion},
	{"JAIL_SYSCTL_CREATE", SysctlCreate},
	{"JAIL_SYSCTL_DESTROY", SysctlDestroy},
	{"JAIL_SYSCTL_ENTER", SysctlEnter},
	{"JAIL_SYSCTL_ID", SysctlID},
	{"JAIL_SYSCTL_LIST", SysctlList},
	{"JAIL_SYSCTL_COUNTERS", SysctlCounters},
}

// cProgram prints "S name size", "F struct field offset size", "C name value"
// and "Q name string" lines for everything in the tables.
func cProgram() string {
	var b strings.Builder
	b.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include \"jail_abi.h\"\n")
	b.WriteString("int main(void) {\n")
	for _, l := range layouts {
		fmt.Fprintf(&b, "\tprintf(\"S %s %%zu\\n\", sizeof(struct %s));\n", l.c, l.c)
		for _, f := range l.fields {
			fmt.Fprintf(&b, "\tprintf(\"F %s %s %%zu %%zu\\n\", offsetof(struct %s, %s), "+
				"sizeof(((struct %s *)0)->%s));\n", l.c, f[0], l.c, f[0], l.c, f[0])
		}
	}
	for _, c := range constants {
		fmt.Fprintf(&b, "\tprintf(\"C %s %%llu\\n\", (unsigned long long)(%s));\n", c.c, c.c)
	}
	for _, c := range stringConstants {
		fmt.Fprintf(&b, "\tprintf(\"Q %s %%s\\n\", %s);\n", c.c, c.c)
	}
	b.WriteString("\treturn 0;\n}\n")
	return b.String()
}

// cFacts compiles and runs cProgram against ../netbsd/jail_abi.h.
func cFacts(t *testing.T) map[string]string {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no C compiler (%s) found, cannot check jail_abi.h against the Go structs: %v", cc, err)
	}
	hdr, err := filepath.Abs("../netbsd")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "layout.c")
	bin := filepath.Join(dir, "layout")
	if err := os.WriteFile(src, []byte(cProgram()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cc, "-std=c99", "-Wall", "-Werror", "-I", hdr, "-o", bin, src).CombinedOutput()
	if err != nil {
		t.Fatalf("compile layout program: %v\n%s", err, out)
	}
	out, err = exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("run layout program: %v", err)
	}
	facts := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		key, val, _ := strings.Cut(rest, " ")
		if kind == "F" {
			field, v, _ := strings.Cut(val, " ")
			key, val = key+"."+field, v
		}
		facts[kind+" "+key] = val
	}
	return facts
}

func atoi(t *testing.T, s string) uintptr {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return uintptr(v)
}

// TestABILayout fails when a field moves, grows or appears in either
// jail_abi.h or the Go mirror, or when a struct gets an implicit hole.
func TestABILayout(t *testing.T) {
	facts := cFacts(t)
	for _, l := range layouts {
		if l.goType.NumField() != len(l.fields) {
			t.Errorf("%s: Go type %s has %d fields, table has %d", l.c, l.goType, l.goType.NumField(), len(l.fields))
		}
		cSize, ok := facts["S "+l.c]
		if !ok {
			t.Fatalf("no size for struct %s", l.c)
		}
		goSize := l.goType.Size() // unsafe.Sizeof of a value of the type
		if atoi(t, cSize) != goSize {
			t.Errorf("sizeof(struct %s) = %s in C, %d in Go", l.c, cSize, goSize)
		}
		if bs := binary.Size(reflect.New(l.goType).Elem().Interface()); uintptr(bs) != goSize {
			t.Errorf("%s: encoded size %d != in-memory size %d (implicit Go padding)", l.goType, bs, goSize)
		}
		var cEnd, goEnd uintptr
		for i, f := range l.fields {
			cf, ok := facts["F "+l.c+"."+f[0]]
			if !ok {
				t.Fatalf("no offset for %s.%s", l.c, f[0])
			}
			offS, sizeS, _ := strings.Cut(cf, " ")
			cOff, cSz := atoi(t, offS), atoi(t, sizeS)
			// No implicit holes: each field starts where the last ended.
			if cOff != cEnd {
				t.Errorf("struct %s: %s at %d, previous field ends at %d", l.c, f[0], cOff, cEnd)
			}
			cEnd = cOff + cSz
			if i >= l.goType.NumField() {
				continue
			}
			gf := l.goType.Field(i)
			if gf.Offset != goEnd {
				t.Errorf("%s: %s at %d, previous field ends at %d", l.goType, gf.Name, gf.Offset, goEnd)
			}
			goEnd = gf.Offset + gf.Type.Size()
			if gf.Name != f[1] {
				t.Errorf("%s field %d: Go field is %s, table says %s", l.goType, i, gf.Name, f[1])
			}
			if cOff != gf.Offset || cSz != gf.Type.Size() {
				t.Errorf("%s.%s at %d size %d in C, %s.%s at %d size %d in Go",
					l.c, f[0], cOff, cSz, l.goType.Name(), gf.Name, gf.Offset, gf.Type.Size())
			}
		}
		if cEnd != atoi(t, cSize) {
			t.Errorf("struct %s: %d bytes of tail padding", l.c, int(atoi(t, cSize))-int(cEnd))
		}
		// Every request and reply starts with its ABI version.
		if l.c != "jail_port" && (l.fields[0][1] != "ABIVersion" || l.goType.Field(0).Type.Size() != 4) {
			t.Errorf("%s does not begin with uint32_t abi_version", l.c)
		}
	}
	for _, c := range constants {
		v, ok := facts["C "+c.c]
		if !ok {
			t.Errorf("no value for %s", c.c)
			continue
		}
		if uint64(atoi(t, v)) != c.want {
			t.Errorf("%s = %s in C, %d in Go", c.c, v, c.want)
		}
	}
	for _, c := range stringConstants {
		if v := facts["Q "+c.c]; v != c.want {
			t.Errorf("%s = %q in C, %q in Go", c.c, v, c.want)
		}
	}
}

// The sizes the C unit tests also pin; checked without a C compiler.
func TestABISizes(t *testing.T) {
	for _, c := range []struct {
		got, want uintptr
		name      string
	}{
		{unsafe.Sizeof(Port{}), 4, "Port"},
		{unsafe.Sizeof(CreateRequest{}), 208, "CreateRequest"},
		{unsafe.Sizeof(CreateReply{}), 16, "CreateReply"},
		{unsafe.Sizeof(IDRequest{}), 8, "IDRequest"},
		{unsafe.Sizeof(Info{}), 264, "Info"},
		{unsafe.Offsetof(Info{}.CPUTicks), 224, "Info.CPUTicks"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}
