package secmodel

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestABIKitHeaders compiles jail_abi.h as the kernel does, on top of
// NetBSD 8.99.25's own <sys/types.h> from the rump kit
// (../shared/netbsd-rump beside the repository), and checks every size and
// offset of the Go mirror, plus the sysctlnode facts the name resolution
// relies on. It is skipped only when the kit directory is absent.
func TestABIKitHeaders(t *testing.T) {
	kit, err := filepath.Abs("../../../shared/netbsd-rump")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(kit); os.IsNotExist(err) {
		t.Skipf("no NetBSD rump kit at %s (../shared/netbsd-rump beside the repository): "+
			"jail_abi.h not checked against NetBSD's headers", kit)
	}
	mod, err := filepath.Abs("../netbsd")
	if err != nil {
		t.Fatal(err)
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Fatalf("no C compiler (%s): %v", cc, err)
	}

	var b strings.Builder
	b.WriteString("#include <sys/types.h>\n#include <sys/sysctl.h>\n#include \"jail_abi.h\"\n")
	assert := func(expr string, want uintptr) {
		fmt.Fprintf(&b, "_Static_assert((%s) == %d, \"%s == %d\");\n", expr, want, expr, want)
	}
	for _, l := range layouts {
		assert("sizeof(struct "+l.c+")", l.goType.Size())
		for i, f := range l.fields {
			assert("__builtin_offsetof(struct "+l.c+", "+f[0]+")", l.goType.Field(i).Offset)
		}
	}
	for _, c := range constants {
		assert(c.c, uintptr(c.want))
	}
	assert("sizeof(struct sysctlnode)", sysctlNodeSize)
	assert("__builtin_offsetof(struct sysctlnode, sysctl_num)", 4)
	assert("__builtin_offsetof(struct sysctlnode, sysctl_name)", 8)
	assert("sizeof(((struct sysctlnode *)0)->sysctl_name)", 32)
	assert("SYSCTL_VERS_1", sysctlVers1)
	assert("CTL_QUERY + 2", 0) // -2

	dir := t.TempDir()
	inc := filepath.Join(dir, "inc")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	// The kit's netbsd/klinks may be files naming their targets.
	for link, arch := range map[string]string{"machine": "amd64", "amd64": "amd64", "x86": "x86", "i386": "i386"} {
		if err := os.Symlink(filepath.Join(kit, "netbsd/sys/arch", arch, "include"), filepath.Join(inc, link)); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, "abi.c")
	if err := os.WriteFile(src, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"-m64", "-m32"} { // amd64 and i386: the ABI is the same on both
		out, err := exec.Command(cc, "-fsyntax-only", "-std=gnu99", m, "-nostdinc", "-ffreestanding",
			"-I", inc, "-I", filepath.Join(kit, "netbsd/common/include"), "-I", filepath.Join(kit, "netbsd/sys"),
			"-I", mod, "-U__linux__", "-U__linux", "-Ulinux", "-U__gnu_linux__", "-D__NetBSD__", "-D_KERNEL",
			src).CombinedOutput()
		if err != nil {
			t.Fatalf("jail_abi.h (%s) against NetBSD 8.99.25's headers:\n%s", m, out)
		}
	}
}
