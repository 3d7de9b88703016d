package kmod

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// kitDir is the NetBSD 8.99.25 rump kit (../shared/netbsd-rump beside the
// repository), whose headers are NetBSD's own. The test is skipped only
// when that directory is absent; CI has it.
func kitDir(t *testing.T) string {
	t.Helper()
	kit, err := filepath.Abs("../../shared/netbsd-rump")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(kit); os.IsNotExist(err) {
		t.Skipf("no NetBSD rump kit at %s (../shared/netbsd-rump beside the repository): "+
			"layouts not checked against NetBSD's headers", kit)
	}
	return kit
}

// kitCompile compiles src against the kit's headers for amd64, as the
// kernel sees them, and fails the test with the compiler's output (each
// failed _Static_assert names the field).
func kitCompile(t *testing.T, src string, m32 bool, flags ...string) {
	t.Helper()
	kit := kitDir(t)
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Fatalf("no C compiler (%s): %v", cc, err)
	}
	// The kit's netbsd/klinks may be links or files naming the target:
	// make the machine/ links here.
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	machine, mflag := "amd64", "-m64"
	if m32 {
		machine, mflag = "i386", "-m32"
	}
	for link, arch := range map[string]string{"machine": machine, "amd64": "amd64", "x86": "x86", "i386": "i386"} {
		if err := os.Symlink(filepath.Join(kit, "netbsd/sys/arch", arch, "include"), filepath.Join(inc, link)); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "layout.c")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-fsyntax-only", "-std=gnu99", mflag, "-nostdinc", "-ffreestanding",
		"-I", inc, "-I", filepath.Join(kit, "netbsd/common/include"), "-I", filepath.Join(kit, "netbsd/sys"),
		"-U__linux__", "-U__linux", "-Ulinux", "-U__gnu_linux__", "-D__NetBSD__", "-D_KERNEL"}, flags...)
	out, err := exec.Command(cc, append(args, file)...).CombinedOutput()
	if err != nil {
		t.Fatalf("layouts differ from NetBSD 8.99.25's headers (%s %s):\n%s\n%s", cc, strings.Join(flags, " "), out, src)
	}
}

type cFact struct {
	expr string
	want uintptr
}

func assertC(includes []string, facts []cFact) string {
	var b strings.Builder
	for _, h := range includes {
		fmt.Fprintf(&b, "#include <%s>\n", h)
	}
	for _, f := range facts {
		fmt.Fprintf(&b, "_Static_assert((%s) == %d, \"%s == %d\");\n", f.expr, f.want,
			strings.ReplaceAll(f.expr, "\"", "'"), f.want)
	}
	return b.String()
}

// The kinfo_proc2 offsets kinfo.go reads and the mount(2) arguments
// mountargs.go builds, against the real headers (amd64; arm64 has the same
// LP64 layout; 32-bit ports are not checked).
func TestNetBSDHeaders(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the Go mirrors are checked for LP64 only")
	}
	off := "__builtin_offsetof"
	kitCompile(t, assertC([]string{
		"sys/types.h", "sys/sysctl.h", "sys/mount.h", "sys/vnode.h", "sys/proc.h",
		"miscfs/nullfs/null.h", "fs/tmpfs/tmpfs_args.h", "fs/ptyfs/ptyfs.h", "miscfs/procfs/procfs.h",
	}, []cFact{
		{off + "(struct kinfo_proc2, p_pid)", kinfoPid},
		{off + "(struct kinfo_proc2, p_uvalid)", kinfoUvalid},
		{off + "(struct kinfo_proc2, p_ustart_sec)", kinfoUstartSec},
		{off + "(struct kinfo_proc2, p_ustart_usec)", kinfoUstartUsec},
		{off + "(struct kinfo_proc2, p_realstat)", kinfoRealstat},
		{"sizeof(struct kinfo_proc2) >= " + fmt.Sprint(KinfoProc2Size), 1},
		{"SDYING", sDying}, {"SZOMB", sZomb}, {"SDEAD", sDead},
		{"sizeof(struct null_args)", unsafe.Sizeof(nullArgs{})},
		{"sizeof(struct uucred)", unsafe.Sizeof(uucred{})},
		{off + "(struct uucred, cr_uid)", unsafe.Offsetof(uucred{}.uid)},
		{off + "(struct uucred, cr_groups)", unsafe.Offsetof(uucred{}.groups)},
		{"sizeof(struct export_args30)", unsafe.Sizeof(exportArgs30{})},
		{"sizeof(struct tmpfs_args)", unsafe.Sizeof(tmpfsArgs{})},
		{off + "(struct tmpfs_args, ta_nodes_max)", unsafe.Offsetof(tmpfsArgs{}.nodesMax)},
		{off + "(struct tmpfs_args, ta_size_max)", unsafe.Offsetof(tmpfsArgs{}.sizeMax)},
		{off + "(struct tmpfs_args, ta_root_uid)", unsafe.Offsetof(tmpfsArgs{}.rootUID)},
		{off + "(struct tmpfs_args, ta_root_mode)", unsafe.Offsetof(tmpfsArgs{}.rootMode)},
		{"TMPFS_ARGS_VERSION", tmpfsArgsVersion},
		{"sizeof(struct ptyfs_args)", unsafe.Sizeof(ptyfsArgs{})},
		{off + "(struct ptyfs_args, mode)", unsafe.Offsetof(ptyfsArgs{}.mode)},
		{"PTYFS_ARGSVERSION", ptyfsArgsVersion},
		{"sizeof(struct procfs_args)", unsafe.Sizeof(procfsArgs{})},
		{"PROCFS_ARGSVERSION", procfsArgsVersion},
		{"MNT_RDONLY", mntRdonly}, {"MNT_NOEXEC", mntNoexec},
		{"MNT_NOSUID", mntNosuid}, {"MNT_NODEV", mntNodev},
	}), false)
}
