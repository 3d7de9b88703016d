package mountinfo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`/sys/fs/cgroup`: "/sys/fs/cgroup", `/a\040b`: "/a b", `/a\134b`: `/a\b`, `/x\04`: `/x\04`,
	} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	m, err := Parse(`36 25 0:31 /jails /sys/fs/cgroup/my\040dir rw,nosuid shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate`)
	if err != nil {
		t.Fatal(err)
	}
	if m.Root != "/jails" || m.Point != "/sys/fs/cgroup/my dir" || m.FSType != "cgroup2" ||
		m.SuperOptions != "rw,nsdelegate" || strings.Join(m.Optional, " ") != "shared:9 master:2" || !m.Shared() {
		t.Errorf("Parse = %+v", m)
	}
	// An empty source leaves the fields in place.
	m, err = Parse("40 25 0:40 / /mnt rw - fuse  rw,user_id=0")
	if err != nil || m.FSType != "fuse" || m.SuperOptions != "rw,user_id=0" || m.Shared() {
		t.Errorf("Parse with an empty source = %+v, %v", m, err)
	}
	for _, bad := range []string{"", "short", "26 1 254:0 / / rw", "26 1 254:0 / / rw - ext4", "26 1 / / rw - ext4 /dev/vda rw"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestShared(t *testing.T) {
	for line, want := range map[string]bool{
		"26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw":          true,
		"26 1 254:0 / / rw,relatime master:3 - ext4 /dev/vda rw":          false,
		"26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,shared:1":          false,
		"21 26 0:20 / /proc rw,relatime shared:5 master:2 - proc proc rw": true,
		"short": false,
	} {
		m, err := Parse(line)
		if got := err == nil && m.Shared(); got != want {
			t.Errorf("shared(%q) = %v; want %v", line, got, want)
		}
	}
}

func TestRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(p, []byte("26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n21 26 0:20 / /proc rw - proc proc rw\n"), 0o644)
	ms, err := Read(p)
	if err != nil || len(ms) != 2 || ms[1].Point != "/proc" {
		t.Fatalf("Read = %+v, %v", ms, err)
	}
	os.WriteFile(p, []byte("26 1 254:0 / / rw - ext4 /dev/vda rw\nnot a mount\n"), 0o644)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "not a mount") {
		t.Errorf("Read of a bad table: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`36 25 0:31 /jails /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate`)
	f.Add("26 1 254:0 / / rw - ext4 /dev/vda rw")
	f.Add(`1 2 3:4 /a\040b /c\134 rw - x  y`)
	f.Fuzz(func(t *testing.T, line string) {
		m, err := Parse(line)
		if err != nil {
			return
		}
		if m.FSType == "" || strings.Contains(m.FSType, " ") {
			t.Errorf("Parse(%q) gave fstype %q", line, m.FSType)
		}
		for _, o := range m.Optional {
			if o == "-" {
				t.Errorf("Parse(%q) kept the separator among the optional fields", line)
			}
		}
	})
}
