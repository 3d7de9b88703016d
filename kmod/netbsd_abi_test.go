package kmod

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"
)

// The sizes NetBSD's file systems check (*data_len) for LP64 (amd64,
// arm64), pinned; netbsd_kit_test.go checks them, and the 32-bit layouts,
// against NetBSD's headers.
func TestMountArgSizes(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("LP64 sizes; the 32-bit ones are checked by TestNetBSDHeaders32")
	}
	null, tmpfs := uintptr(136), uintptr(40)
	if s := unsafe.Sizeof(nullArgs{}); s != null {
		t.Errorf("null_args: %d bytes, want %d", s, null)
	}
	if s := unsafe.Sizeof(uucred{}); s != 80 {
		t.Errorf("uucred: %d bytes, want 80", s)
	}
	if s := unsafe.Sizeof(tmpfsArgs{}); s != tmpfs {
		t.Errorf("tmpfs_args: %d bytes, want %d", s, tmpfs)
	}
	if s := unsafe.Sizeof(ptyfsArgs{}); s != 16 {
		t.Errorf("ptyfs_args: %d bytes, want 16", s)
	}
	if s := unsafe.Sizeof(procfsArgs{}); s != 8 {
		t.Errorf("procfs_args: %d bytes, want 8", s)
	}
	if o := unsafe.Offsetof(tmpfsArgs{}.rootMode); o != 32 {
		t.Errorf("tmpfs_args.ta_root_mode at %d, want 32", o)
	}
}

func TestMountData(t *testing.T) {
	src := []byte("/usr\x00")
	for _, m := range []RootMount{
		{FS: "null", Src: "/usr"}, {FS: "tmpfs", Mode: 0o1777, Size: 1 << 20}, {FS: "ptyfs"}, {FS: "procfs"},
	} {
		p, n, err := m.mountData(&src[0])
		if err != nil || p == nil || n == 0 {
			t.Fatalf("%s: %v", m.FS, err)
		}
		switch m.FS {
		case "null":
			if a := (*nullArgs)(p); a.target != &src[0] {
				t.Error("null target")
			}
		case "tmpfs":
			if a := (*tmpfsArgs)(p); a.version != 1 || a.rootMode != 0o777 || a.sizeMax != 1<<20 || a.nodesMax != 0 {
				t.Errorf("tmpfs args %+v", *a)
			}
		case "ptyfs":
			if a := (*ptyfsArgs)(p); a.version != 2 || a.gid != ttyGID || a.mode != 0o620 {
				t.Errorf("ptyfs args %+v", *a)
			}
		case "procfs":
			if a := (*procfsArgs)(p); a.version != 1 || a.flags != 0 {
				t.Errorf("procfs args %+v", *a)
			}
		}
	}
	if _, _, err := (RootMount{FS: "union"}).mountData(nil); err == nil {
		t.Fatal("unknown file system accepted")
	}
	m := RootMount{ReadOnly: true, NoSuid: true, NoDev: true, NoExec: true}
	if m.flags() != 0x1|0x4|0x8|0x10 || (RootMount{}).flags() != 0 {
		t.Fatalf("flags %#x", m.flags())
	}
}

func kinfo(pid int32, realstat, uvalid uint64, sec, usec uint32) []byte {
	b := make([]byte, KinfoProc2Size)
	le := binary.NativeEndian
	le.PutUint32(b[kinfoPid:], uint32(pid))
	le.PutUint64(b[kinfoRealstat:], realstat)
	le.PutUint64(b[kinfoUvalid:], uvalid)
	le.PutUint32(b[kinfoUstartSec:], sec)
	le.PutUint32(b[kinfoUstartUsec:], usec)
	return b
}

func TestParseKinfoStart(t *testing.T) {
	got, err := parseKinfoStart(kinfo(42, 2, 1, 1_700_000_000, 250), 42)
	if err != nil || got != 1_700_000_000_000_250 {
		t.Fatalf("start %d %v", got, err)
	}
	for _, st := range []uint64{sDying, sZomb, sDead} {
		if _, err := parseKinfoStart(kinfo(42, st, 1, 1, 1), 42); !errors.Is(err, errExited) {
			t.Errorf("state %d: %v", st, err)
		}
	}
	if _, err := parseKinfoStart(kinfo(43, 2, 1, 1, 1), 42); err == nil {
		t.Error("another pid accepted")
	}
	if _, err := parseKinfoStart(kinfo(42, 2, 0, 1, 1), 42); err == nil {
		t.Error("invalid start time accepted")
	}
	if _, err := parseKinfoStart(kinfo(42, 2, 1, 1, 1)[:KinfoProc2Size-1], 42); err == nil {
		t.Error("short record accepted")
	}
	// The offsets as the NetBSD header gives them, and inside the prefix.
	if kinfoPid != 116 || kinfoUvalid != 448 || kinfoUstartSec != 456 || kinfoUstartUsec != 460 ||
		kinfoRealstat != 632 || kinfoRealstat+8 > KinfoProc2Size {
		t.Fatal("kinfo_proc2 offsets moved")
	}
}

func FuzzParseKinfoStart(f *testing.F) {
	f.Add(kinfo(42, 2, 1, 5, 6), 42)
	f.Add(kinfo(42, 5, 1, 5, 6), 42)
	f.Add([]byte{1, 2, 3}, 1)
	f.Fuzz(func(t *testing.T, b []byte, pid int) {
		parseKinfoStart(b, pid) // must not panic on any input
	})
}
