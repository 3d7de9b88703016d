package collector

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jailsproject/jails/logs"
)

// The collector bounds the console of every running jail while something
// keeps appending to it (a low jail's root writing to jinit's console),
// loses none of it, and leaves alone a console that is not a regular file.
func TestCollectorBoundsConsole(t *testing.T) {
	jails := newJails(t)
	startJinit(t, jails, "loud", "b1")
	startJinit(t, jails, "odd", "b2")
	dir := jails.LogDir("loud")
	os.MkdirAll(dir, 0o700)
	console := filepath.Join(dir, logs.ConsoleName)
	w, err := os.OpenFile(console, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// odd's console.log is a link to a file of the host: never followed.
	outside := filepath.Join(t.TempDir(), "host-file")
	big := bytes.Repeat([]byte("x"), 64<<10)
	os.WriteFile(outside, big, 0o600)
	os.MkdirAll(jails.LogDir("odd"), 0o700)
	os.Symlink(outside, filepath.Join(jails.LogDir("odd"), logs.ConsoleName))

	ctx, cancel := context.WithCancel(context.Background())
	c := New(Config{Jails: jails, Poll: 10 * time.Millisecond, Retry: 20 * time.Millisecond,
		Defaults: logs.StoreConfig{RotateSize: logs.MinRotateSize, Keep: 1000}})
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()

	want := &bytes.Buffer{}
	for i := range 20000 {
		line := fmt.Sprintf("root of a low jail writes line %06d to /proc/1/fd/2\n", i)
		w.WriteString(line)
		want.WriteString(line)
		if i%2000 == 0 {
			time.Sleep(30 * time.Millisecond) // a few collector ticks
		}
	}
	waitFor(t, "console.log to be rotated below its size", func() bool {
		fi, err := os.Stat(console)
		return err == nil && fi.Size() <= logs.MinRotateSize
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	arch, err := logs.ConsoleArchives(dir)
	if err != nil || len(arch) < 2 {
		t.Fatalf("console archives: %v, %v; want several", arch, err)
	}
	var all []byte
	for _, a := range arch {
		b, _ := os.ReadFile(a)
		all = append(all, b...)
	}
	cur, _ := os.ReadFile(console)
	all = append(all, cur...)
	if !bytes.Equal(all, want.Bytes()) {
		t.Fatalf("archives + console.log: %d bytes, want the %d written, in order", len(all), want.Len())
	}
	if b, _ := os.ReadFile(outside); !bytes.Equal(b, big) {
		t.Fatal("the collector followed a console.log symlink and cut the host file")
	}
	if arch, _ := logs.ConsoleArchives(jails.LogDir("odd")); len(arch) != 0 {
		t.Fatalf("archives made from a console.log symlink: %v", arch)
	}
}
