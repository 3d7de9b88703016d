package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/jailsproject/jails/"

type listed struct {
	ImportPath string
	Name       string
	Imports    []string
	Deps       []string
}

// goList lists the module's packages with their imports and dependencies.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Name,Imports,Deps"}, args...)...)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// Imports point down (docs/ARCHITECTURE.md): nothing under logs/,
// services/ or kmod/ imports jailctl/ or jinit/; no package imports a
// main package; and jailctl, which is on the path of every `jailctl
// start`, links neither client_golang nor protobuf (the collector binary
// does).
func TestImportsPointDown(t *testing.T) {
	pkgs := goList(t, "./...")
	mains := map[string]bool{}
	for _, p := range pkgs {
		if p.Name == "main" {
			mains[p.ImportPath] = true
		}
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module)
		lower := strings.HasPrefix(rel, "logs") || strings.HasPrefix(rel, "services") || strings.HasPrefix(rel, "kmod")
		for _, imp := range p.Imports {
			irel := strings.TrimPrefix(imp, module)
			if lower && (strings.HasPrefix(irel, "jailctl") || strings.HasPrefix(irel, "jinit")) {
				t.Errorf("%s imports %s: an import points up", rel, irel)
			}
			if mains[imp] {
				t.Errorf("%s imports the command %s", rel, irel)
			}
		}
	}
	// The built binaries too: the modules linked into them.
	for _, bin := range []string{jailctlBin, jinitBin} {
		out, err := exec.Command("go", "version", "-m", bin).Output()
		if err != nil {
			t.Fatalf("go version -m %s: %v", bin, err)
		}
		for _, m := range []string{"github.com/prometheus/client_golang", "google.golang.org/protobuf"} {
			if strings.Contains(string(out), "\tdep\t"+m+"\t") {
				t.Errorf("%s links %s", bin, m)
			}
		}
	}
	for _, p := range goList(t, "./jailctl", "./jinit") {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "github.com/prometheus/client_golang") || strings.HasPrefix(d, "google.golang.org/protobuf") {
				t.Errorf("%s links %s", p.ImportPath, d)
			}
		}
	}
}

// What the start path's two programs link is what each start pays for in
// page faults (docs/ARCHITECTURE.md, "Where a jail's start goes"):
// neither links net/http or the TLS and X.509 code it brings (`jailctl
// stats` asks the collector with a plain HTTP/1.0 request), and jinit, the
// jail's PID 1 in every jail, links no eBPF library and no crypto.
func TestStartPathWeight(t *testing.T) {
	banned := map[string][]string{
		module + "jailctl": {"net/http", "crypto/tls", "crypto/x509"},
		module + "jinit":   {"net/http", "crypto/tls", "crypto/x509", "github.com/cilium/ebpf", "crypto/rand", "crypto/sha256"},
	}
	for _, p := range goList(t, "./jailctl", "./jinit") {
		for _, d := range p.Deps {
			for _, b := range banned[p.ImportPath] {
				if d == b || strings.HasPrefix(d, b+"/") {
					t.Errorf("%s links %s", p.ImportPath, d)
				}
			}
		}
	}
}
