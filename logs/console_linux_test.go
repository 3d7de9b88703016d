package logs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The helper process of the tests below: it rotates the console named by
// JAILS_ROTATE_CONSOLE (size and keep in JAILS_ROTATE_ARGS) and exits.
func TestRotateConsoleHelper(t *testing.T) {
	path := os.Getenv("JAILS_ROTATE_CONSOLE")
	if path == "" {
		return
	}
	var size int64
	var keep int
	fmt.Sscan(os.Getenv("JAILS_ROTATE_ARGS"), &size, &keep)
	if err := RotateConsole(path, size, keep); err != nil {
		fmt.Println("rotate:", err)
		os.Exit(3)
	}
}

// numbered is n bytes of numbered lines.
func numbered(n int) []byte {
	b := make([]byte, 0, n+64)
	for i := 0; len(b) < n; i++ {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, " a line of a console that keeps growing\n"...)
	}
	return b
}

// A rotator killed (SIGKILL) while it copies the front of a console into
// an archive leaves no partial archive beside bytes that are still in the
// console: the next rotation archives them once.
func TestRotateConsoleKilledMidCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConsoleName)
	want := numbered(128 << 20)
	if err := os.WriteFile(path, want, 0o640); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRotateConsoleHelper$")
	cmd.Env = append(os.Environ(), "JAILS_ROTATE_CONSOLE="+path, "JAILS_ROTATE_ARGS=67108864 100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed once it has written part of the archive, while it copies.
	killed := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !killed; {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() == ConsoleName {
				continue
			}
			if fi, err := e.Info(); err == nil && fi.Size() > 0 && fi.Size() < int64(len(want))/2 {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the rotator was never seen copying")
	}
	if cur, _ := os.ReadFile(path); !bytes.Equal(cur, want) {
		t.Fatalf("the console changed under a rotator killed mid-copy: %d bytes, want %d", len(cur), len(want))
	}
	if err := RotateConsole(path, 64<<20, 100); err != nil {
		t.Fatal(err)
	}
	arch, _ := ConsoleArchives(dir)
	var all []byte
	for _, a := range arch {
		b, _ := os.ReadFile(a)
		all = append(all, b...)
	}
	cur, _ := os.ReadFile(path)
	all = append(all, cur...)
	if !bytes.Equal(all, want) {
		t.Fatalf("archives (%d) + console.log after a killed rotation: %d bytes, want the %d written once", len(arch), len(all), len(want))
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(arch)+1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("files left beside the console and its archives: %v", names)
	}
}

// A flood (a low jail's root writing 8 MB to jinit's console between two
// rotations of a 64 KiB console): one archive keeps the newest 1 MiB
// (archiveMax) of what is cut, the rest is counted in the console, and
// nothing is both archived and kept.
func TestRotateConsoleFlood(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConsoleName)
	want := numbered(8 << 20)
	os.WriteFile(path, want, 0o640)
	err := RotateConsole(path, 64<<10, 3)
	var cut *ConsoleCut
	if !errors.As(err, &cut) || !errors.Is(err, ErrConsoleFlood) {
		t.Fatalf("rotating a flood: %v, want a *ConsoleCut of ErrConsoleFlood", err)
	}
	arch, _ := ConsoleArchives(dir)
	if len(arch) != 1 {
		t.Fatalf("archives: %v", arch)
	}
	a, _ := os.ReadFile(arch[0])
	cur, _ := os.ReadFile(path)
	i := bytes.LastIndex(cur[:len(cur)-1], []byte("\n")) + 1
	rest, note := cur[:i], string(cur[i:])
	n := int64(len(want) - len(rest))
	if !bytes.HasSuffix(want, rest) || len(a) != 1<<20 || !bytes.Equal(a, want[n-1<<20:n]) {
		t.Fatalf("archive of %d bytes, %d left: not the newest 1 MiB of the cut and the rest", len(a), len(rest))
	}
	if wantNote := fmt.Sprintf("jails: %d bytes cut from the front of this console without an archive: %v\n", n-1<<20, ErrConsoleFlood); note != wantNote || cut.Lost != n-1<<20 {
		t.Fatalf("the console ends with %q (loss %d), want %q", note, cut.Lost, wantNote)
	}
}

// A console that fills its file system (a low jail's root writing to
// jinit's console) is cut even though no archive fits: what is cut is
// counted in a line at the console's end, and the disk has room again.
// The file system is a small ext4 image (which collapses ranges, as the
// production log directory does) or a tmpfs (which cannot), mounted in a
// mount namespace of the helper's own, made private first.
func TestRotateConsoleOnFullDisk(t *testing.T) {
	for _, fs := range []string{"ext4", "tmpfs"} {
		t.Run(fs, func(t *testing.T) {
			dir := t.TempDir()
			mnt := filepath.Join(dir, "mnt")
			os.Mkdir(mnt, 0o755)
			mount := "mount -t tmpfs -o size=4m jails-test-console " + mnt
			if fs == "ext4" {
				img := filepath.Join(dir, "img")
				if out, err := exec.Command("mkfs.ext4", "-q", "-F", img, "8M").CombinedOutput(); err != nil {
					t.Fatalf("mkfs.ext4: %v\n%s", err, out)
				}
				mount = "mount -o loop " + img + " " + mnt
			}
			// Fill the file system with the console, rotate, and report
			// the console's size and last line, and the free space.
			script := mount + ` && cd ` + mnt + ` && { head -c 100000000 /dev/zero | tr '\0' x > console.log; true; } &&
				JAILS_ROTATE_CONSOLE=` + mnt + `/console.log JAILS_ROTATE_ARGS="65536 3" "$0" -test.run='^TestRotateConsoleHelper$';
				echo "rc=$?"; stat -c 'size=%s' console.log; echo "avail=$(df -k --output=avail . | tail -1)"; tail -c 300 console.log; echo; echo "files: $(ls -A | tr '\n' ' ')"`
			out, err := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, os.Args[0]).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			s := string(out)
			if !strings.Contains(s, "rc=3") || !strings.Contains(s, "no space left on device") {
				t.Errorf("the rotation does not report its loss:\n%s", s)
			}
			var size, avail int64
			for _, l := range strings.Split(s, "\n") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "size="); ok {
					size, _ = strconv.ParseInt(v, 10, 64)
				}
				if v, ok := strings.CutPrefix(strings.TrimSpace(l), "avail="); ok {
					avail, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				}
			}
			if size > 65536 || size == 0 || avail < 1024 {
				t.Errorf("after the rotation: console %d bytes, %d KiB free; want it cut below 64 KiB with room again:\n%s", size, avail, s)
			}
			if !strings.Contains(s, "bytes cut from the front of this console without an archive") {
				t.Errorf("no line in the console counts what was cut:\n%s", s)
			}
			if _, files, _ := strings.Cut(s, "files: "); strings.Contains(files, ConsoleArchive) {
				t.Errorf("an archive was left on the full disk:\n%s", s)
			}
		})
	}
}
