package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// preparedRoot makes a small prepared root: directories, a merged-/usr
// style symlink, a small and a large top-level file, a FIFO, and entries
// the plan provides itself.
func preparedRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"bin", "usr", "etc", "dev", "run", "tmp", "proc"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/lib", filepath.Join(root, "lib")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".profile"), []byte("PATH=/bin\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "netbsd"), make([]byte, maxRootFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

func dsts(ms []RootMount) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.FS+":"+m.Dst)
	}
	return out
}

func TestPlanRootPreparedRoot(t *testing.T) {
	root := preparedRoot(t)
	extra := t.TempDir()
	spec := Spec{Name: "web", Root: root, Writable: "/lib/jails/web/rw", Mnt: "/run/jails/web/root",
		Mounts: []Mount{{Src: extra, Dst: "/srv/data/", RO: true}}}
	p, err := PlanRoot(spec, NetBSDBase, "/run/jails/web/jinit")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tmpfs:/", "null:/bin", "null:/usr",
		"null:/etc", "null:/var", "null:/tmp", "null:/home", "null:/root",
		"null:/run", "tmpfs:/dev", "ptyfs:/dev/pts", "procfs:/proc", "null:/srv/data"}
	if got := dsts(p.Mounts); !slices.Equal(got, want) {
		t.Fatalf("mounts\n got %v\nwant %v", got, want)
	}
	byDst := map[string]RootMount{}
	for _, m := range p.Mounts {
		byDst[m.Dst] = m
	}
	if m := byDst["/usr"]; m.Src != filepath.Join(root, "usr") || !m.ReadOnly || !m.NoSuid || !m.NoDev || m.NoExec {
		t.Errorf("base mount %+v: want the prepared root's usr, read-only, nosuid, nodev", m)
	}
	if m := byDst["/var"]; m.Src != "/lib/jails/web/rw/var" || m.ReadOnly || !m.NoSuid || !m.NoDev {
		t.Errorf("writable mount %+v: want rw/var, read-write, nosuid, nodev", m)
	}
	if m := byDst["/run"]; m.Src != "/run/jails/web/jinit" || !m.ReadOnly || m.NoExec {
		t.Errorf("jinit mount %+v: want the jinit directory, read-only and executable", m)
	}
	if m := byDst["/"]; m.FS != "tmpfs" || m.Mode != 0o755 || m.Size != rootTmpfsSize || !m.NoDev || !m.NoSuid {
		t.Errorf("root mount %+v", m)
	}
	if m := byDst["/dev"]; m.NoDev || !m.NoExec || !m.NoSuid {
		t.Errorf("/dev mount %+v: devices must work there, nothing may run from it", m)
	}
	if !byDst["/dev/pts"].Optional || !byDst["/proc"].Optional || byDst["/dev"].Optional {
		t.Error("only ptyfs and procfs may be left out")
	}
	if m := byDst["/srv/data"]; m.Src != extra || !m.ReadOnly || !m.NoDev || !m.NoSuid {
		t.Errorf("extra mount %+v", m)
	}
	if !slices.Equal(p.Links, []RootLink{{Path: "/lib", Target: "usr/lib"}}) {
		t.Errorf("links %v", p.Links)
	}
	if !slices.Equal(p.Files, []RootFile{{Src: filepath.Join(root, ".profile"), Dst: "/.profile", Mode: 0o640}}) {
		t.Errorf("files %v", p.Files)
	}
	if len(p.Skipped) != 2 || !strings.Contains(strings.Join(p.Skipped, "\n"), "netbsd") ||
		!strings.Contains(strings.Join(p.Skipped, "\n"), "fifo") {
		t.Errorf("skipped %q: want the large file and the FIFO", p.Skipped)
	}
	if !slices.Equal(p.Devices, JailDevices) {
		t.Errorf("devices %v", p.Devices)
	}
	want = []string{"/run/jails/web/root", "/run/jails/web/root/bin"}
	if got := p.MountPoints(spec.Mnt); !slices.Equal(got[:2], want) || got[len(got)-1] != "/run/jails/web/root/srv/data" {
		t.Errorf("mount points %v", got)
	}
}

func TestPlanRootDefaultBase(t *testing.T) {
	base := t.TempDir()
	// The default base is read from the host's /; entries it lacks are
	// left out silently.
	p, err := PlanRoot(Spec{Writable: "/w", Mnt: "/m"}, []string{"usr", "jails-no-such-entry" + filepath.Base(base)}, "/j")
	if err != nil {
		t.Fatal(err)
	}
	if p.Mounts[1].FS != "null" || p.Mounts[1].Src != "/usr" || p.Mounts[1].Dst != "/usr" || !p.Mounts[1].ReadOnly {
		t.Fatalf("base %+v", p.Mounts[1])
	}
	if p.Mounts[2].Dst != "/etc" {
		t.Fatalf("the missing entry was planned: %v", dsts(p.Mounts))
	}
	if _, err := PlanRoot(Spec{Root: filepath.Join(base, "missing")}, nil, "/j"); err == nil {
		t.Fatal("a missing prepared root was accepted")
	}
}

func TestPlanRootExtraMounts(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := []Mount{
		{Src: file, Dst: "/data"},                    // null mounts take directories only
		{Src: dir, Dst: "/run"},                      // would hide jinit
		{Src: dir, Dst: "/run/x"},                    // likewise
		{Src: filepath.Join(dir, "nope"), Dst: "/x"}, // missing source
		{Src: dir, Dst: "relative"},
		{Src: dir, Dst: "/"},
	}
	for _, m := range bad {
		if _, err := PlanRoot(Spec{Mounts: []Mount{m}}, nil, "/j"); err == nil {
			t.Errorf("mount %+v accepted", m)
		}
	}
	p, err := PlanRoot(Spec{Mounts: []Mount{{Src: dir, Dst: "/runner"}}}, nil, "/j")
	if err != nil {
		t.Fatalf("/runner is not /run: %v", err)
	}
	if last := p.Mounts[len(p.Mounts)-1]; last.Dst != "/runner" || last.ReadOnly {
		t.Fatalf("extra %+v", last)
	}
}

func TestJinitMount(t *testing.T) {
	if filepath.Dir(JinitPath) != jinitMount || filepath.Dir(NoServicesDir) != jinitMount {
		t.Fatalf("JinitPath %s and NoServicesDir %s must lie in %s, the read-only mount holding jinit",
			JinitPath, NoServicesDir, jinitMount)
	}
	if !overlaid("run") || !overlaid("etc") || !overlaid("dev") || overlaid("usr") {
		t.Fatal("overlaid names")
	}
}

func TestMakeMountPoint(t *testing.T) {
	root := t.TempDir()
	got, err := MakeMountPoint(root, "/var/data/x")
	if err != nil || got != filepath.Join(root, "var/data/x") {
		t.Fatalf("MakeMountPoint: %q %v", got, err)
	}
	if fi, err := os.Lstat(got); err != nil || !fi.IsDir() {
		t.Fatalf("not created: %v", err)
	}
	if got, err := MakeMountPoint(root, "/"); err != nil || got != root {
		t.Fatalf("root itself: %q %v", got, err)
	}
	// A link planted in the writable layer must not steer a mount.
	host := t.TempDir()
	if err := os.Symlink(host, filepath.Join(root, "home")); err != nil {
		t.Fatal(err)
	}
	if _, err := MakeMountPoint(root, "/home/user"); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("symlink component: %v", err)
	}
	if ents, _ := os.ReadDir(host); len(ents) != 0 {
		t.Fatalf("created through the symlink: %v", ents)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := MakeMountPoint(root, "/file/x"); err == nil {
		t.Fatal("file component accepted")
	}
}

func TestUnmountOrder(t *testing.T) {
	table := []string{"/", "/usr", "/run/jails/a/root", "/run/jails/a/root/usr", "/run/jails/ab/root",
		"/run/jails/a/root/var", "/home", "/run/jails/a/root/var/data", "/real/a/root/dev"}
	got := UnmountOrder(table, "/run/jails/a/root", "/real/a/root/", "")
	want := []string{"/real/a/root/dev", "/run/jails/a/root/var/data", "/run/jails/a/root/var",
		"/run/jails/a/root/usr", "/run/jails/a/root"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if got := UnmountOrder(table, ""); len(got) != 0 {
		t.Fatalf("empty root matched %v", got)
	}
	for _, c := range []struct {
		root, path string
		under      bool
	}{{"/a", "/a", true}, {"/a", "/a/b", true}, {"/a/", "/a/b", true}, {"/a", "/ab", false}, {"/a", "/", false}, {"/", "/x", true}} {
		if Under(c.root, c.path) != c.under {
			t.Errorf("Under(%q, %q) = %v", c.root, c.path, !c.under)
		}
	}
	if HostPath("/m", "/dev/pts") != "/m/dev/pts" || HostPath("/m", "/") != "/m" || HostPath("/m", "../x") != "/m/x" {
		t.Error("HostPath")
	}
}

// PlanBase decides the base the same way for both systems: directories,
// symlinks and files kept, what the jail provides itself and anything
// else (a FIFO) left out, a missing default entry ignored, a missing
// prepared root an error.
func TestPlanBase(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(filepath.Join(root, "usr"), 0o755)
	os.Mkdir(filepath.Join(root, "etc"), 0o755)
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	os.WriteFile(filepath.Join(root, "vmlinuz"), []byte("k"), 0o600)
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	provided := func(name string) bool { return name == "etc" }
	got, skipped, err := PlanBase(root, nil, provided)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]BaseKind{"/usr": BaseDir, "/lib": BaseLink, "/vmlinuz": BaseFile}
	if len(got) != len(want) {
		t.Fatalf("PlanBase = %+v, want %v", got, want)
	}
	for _, e := range got {
		if k, ok := want[e.Dst]; !ok || k != e.Kind || e.Src != filepath.Join(root, e.Dst) {
			t.Errorf("entry %+v", e)
		}
		if e.Kind == BaseLink && e.Target != "usr/lib" {
			t.Errorf("link target %q", e.Target)
		}
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "fifo") {
		t.Errorf("skipped %v, want the FIFO", skipped)
	}
	got, _, err = PlanBase("", []string{"no-such-entry-here"}, provided)
	if err != nil || len(got) != 0 {
		t.Errorf("missing default entry: %+v %v", got, err)
	}
	if _, _, err := PlanBase(filepath.Join(root, "missing"), nil, provided); err == nil {
		t.Error("a missing prepared root is accepted")
	}
}
