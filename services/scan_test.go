package services

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	root, other := t.TempDir(), t.TempDir()
	mkService(t, root, "b", nil)
	mkService(t, root, "a", svcTOML(`depends = ["b"]`))
	mkService(t, root, "broken", map[string]string{"run": "-"})
	mkService(t, root, ".hidden", map[string]string{"run": "-"})
	target := mkService(t, other, "elsewhere", nil)
	for _, l := range [][2]string{{target, "linked"}, {"/nonexistent", "dangling"}, {"/etc/hostname", "filelink"}} {
		if err := os.Symlink(l[0], filepath.Join(root, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "README"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	svcs, errs := Scan(root)
	var names []string
	for _, s := range svcs {
		names = append(names, s.Name)
	}
	if want := []string{"a", "b", "linked"}; !slices.Equal(names, want) {
		t.Errorf("services %q, want %q", names, want)
	}
	if svcs[2].Dir != filepath.Join(root, "linked") {
		t.Errorf("linked Dir = %q, want the path in the scan directory", svcs[2].Dir)
	}
	wantErrs := []string{
		"service " + filepath.Join(root, "broken") + ": run: missing",
		"service " + filepath.Join(root, "dangling") + ": dangling symlink: no such file or directory",
	}
	if len(errs) != len(wantErrs) {
		t.Fatalf("errors %v, want %q", errs, wantErrs)
	}
	for i, err := range errs {
		if !strings.Contains(err.Error(), wantErrs[i]) {
			t.Errorf("error %v, want %q", err, wantErrs[i])
		}
	}
	if err := CheckGraph(svcs); err != nil {
		t.Errorf("CheckGraph: %v", err)
	}
	if _, errs := Scan(filepath.Join(root, "absent")); len(errs) != 1 {
		t.Errorf("absent root: %v", errs)
	}
}

func TestCheckGraph(t *testing.T) {
	svc := func(name string, deps ...string) *Service { return &Service{Name: name, Depends: deps} }
	tests := []struct {
		name string
		svcs []*Service
		want []string // one line each, in order; nil means no error
	}{
		{"ok", []*Service{svc("a", "b", "c"), svc("b", "c"), svc("c")}, nil},
		{"empty", nil, nil},
		{"unknown", []*Service{svc("a", "zz"), svc("b")}, []string{`service a: depends on unknown service "zz"`}},
		{"two", []*Service{svc("a", "b"), svc("b", "a")}, []string{"dependency cycle: a -> b -> a"}},
		{"three", []*Service{svc("x", "c"), svc("c", "a"), svc("a", "b"), svc("b", "c")},
			[]string{"dependency cycle: a -> b -> c -> a"}},
		{"self", []*Service{svc("a", "a")}, []string{"dependency cycle: a -> a"}},
		{"two cycles", []*Service{svc("a", "b"), svc("b", "a"), svc("c", "d"), svc("d", "c")},
			[]string{"dependency cycle: a -> b -> a", "dependency cycle: c -> d -> c"}},
		{"duplicate", []*Service{svc("a"), svc("a")}, []string{"service a: defined twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckGraph(tt.svcs)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckGraph: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
