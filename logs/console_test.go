package logs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// RotateConsole loses nothing that a writer appends meanwhile (O_APPEND,
// as jinit's console), keeps `keep` archives and bounds the file.
func TestRotateConsoleLosesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "console.log")
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const lines = 20000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range lines {
			fmt.Fprintf(w, "line %06d of a service that keeps crashing\n", i)
		}
	}()
	// Two rotators at once, as the collector and a start or a `jailctl
	// run` keeper can be: the lock keeps them from archiving the same
	// bytes twice and cutting twice.
	var removed []byte
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				if err := RotateConsole(path, 8192, 1000); err != nil && !errors.Is(err, ErrConsoleGrew) {
					errs <- err
					return
				}
				time.Sleep(500 * time.Microsecond)
			}
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range archives(t, dir) {
		b, _ := os.ReadFile(a)
		removed = append(removed, b...)
	}
	cur, _ := os.ReadFile(path)
	all := append(removed, cur...)
	want := &bytes.Buffer{}
	for i := range lines {
		fmt.Fprintf(want, "line %06d of a service that keeps crashing\n", i)
	}
	if !bytes.Equal(all, want.Bytes()) {
		t.Fatalf("archives + console.log: %d bytes, want %d (the writer's)", len(all), want.Len())
	}
	if len(archives(t, dir)) < 2 {
		t.Fatalf("%d archives: rotation never ran", len(archives(t, dir)))
	}
	w.Write(bytes.Repeat([]byte("more\n"), 4000))
	if err := RotateConsole(path, 8192, 2); err != nil {
		t.Fatal(err)
	}
	if n := len(archives(t, dir)); n != 2 {
		t.Fatalf("%d archives kept, want 2", n)
	}
	if fi, _ := os.Stat(path); fi.Size() > 8192 {
		t.Fatalf("console.log is %d bytes after rotation", fi.Size())
	}
}

func archives(t *testing.T, dir string) []string {
	t.Helper()
	m, err := ConsoleArchives(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
