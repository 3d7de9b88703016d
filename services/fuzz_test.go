package services

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var tomlSeeds = []string{
	"",
	"depends = [\"db\", \"cache\"]\noneshot = true\nrestart = \"on-failure\"",
	"[backoff]\ninitial = \"100ms\"\nmax = \"30s\"\nreset = \"10s\"\n[start_limit]\nburst = 10\ninterval = \"60s\"",
	"[readiness]\nnotification_fd = 3\ninterval = \"200ms\"\ntimeout = \"30s\"",
	"[readiness]\ncheck = [\"/bin/sh\", \"-c\", \"true\"]",
	"[readiness]\ntcp_port = 8080",
	"stop_signal = \"TERM\"\nstop_timeout = \"10s\"\nfinish_timeout = \"5s\"\nuser = \"www\"\ngroup = \"www\"",
	"stop_signal = 9",
	"[rlimits]\nnofile = 1024\nnproc = [64, 128]\ncore = 0\nas = \"unlimited\"",
	"[log]\ndrop = true",
	"[backoff]\ninitial = \"10x\"",
	"x = { a = [1, 2.5, 1979-05-27T07:32:00Z] }",
	"[[rlimits]]\nnofile = 1",
}

// FuzzServiceTOML feeds arbitrary bytes to the service.toml decoder and
// validator: it must never panic, must fail only with LoadErrors, and
// whatever it accepts must satisfy the invariants the engine relies on.
func FuzzServiceTOML(f *testing.F) {
	for _, s := range tomlSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := newLoader("/etc/service/fuzz")
		err := l.applyTOML(data)
		if err == nil {
			err = l.finalize()
		}
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || le.File != tomlName || !strings.HasPrefix(err.Error(), "service /etc/service/fuzz: service.toml: ") {
				t.Fatalf("error not a service.toml LoadError: %v", err)
			}
			return
		}
		if msg := checkInvariants(l.svc); msg != "" {
			t.Fatalf("accepted %q but %s: %+v", data, msg, l.svc)
		}
	})
}

func checkInvariants(s *Service) string {
	p, r := s.Policy, s.Readiness
	switch {
	case p.Restart != RestartAlways && p.Restart != RestartOnFailure && p.Restart != RestartNever:
		return "restart invalid"
	case p.Oneshot && (p.Restart == RestartAlways || p.HasReadiness):
		return "oneshot contradicted"
	case p.BackoffInitial <= 0 || p.BackoffMax < p.BackoffInitial || p.BackoffMax > maxDuration || p.BackoffReset <= 0:
		return "backoff out of range"
	case p.StartLimitBurst < 1 || p.StartLimitBurst > maxBurst || p.StartLimitInterval <= 0:
		return "start limit out of range"
	case p.StopSignal <= 0 || SignalName(p.StopSignal) == "":
		return "stop signal invalid"
	case p.StopTimeout <= 0 || p.StopTimeout > maxStopTimeout || p.FinishTimeout <= 0 || p.FinishTimeout > maxStopTimeout:
		return "stop timeouts out of range"
	case p.HasReadiness != r.Mechanism() || p.ReadyTimeout != r.Timeout || r.Timeout < 0:
		return "readiness policy inconsistent"
	case r.NotificationFD != 0 && (r.NotificationFD < 3 || r.NotificationFD > 1023):
		return "notification fd out of range"
	case r.TCPPort < 0 || r.TCPPort > 65535 || r.Interval < minReadyInterval:
		return "readiness out of range"
	case r.Check != nil && (len(r.Check) == 0 || r.Check[0] == ""):
		return "empty check"
	case strings.Contains(s.User+s.Group, ":"):
		return "user or group with ':'"
	}
	for _, rl := range s.Rlimits {
		if rl.Soft > rl.Hard {
			return "rlimit soft above hard"
		}
	}
	for _, d := range s.Depends {
		if checkName(d) != nil || d == s.Name {
			return "bad dependency"
		}
	}
	return ""
}

// FuzzEnvFile writes one env/ file with an arbitrary name and content and
// loads it through the real file path.
func FuzzEnvFile(f *testing.F) {
	f.Add("FOO", []byte("bar \t\nbaz"))
	f.Add("EMPTY", []byte{})
	f.Add("NL", []byte("\n"))
	f.Add("NUL", []byte("a\x00b\x00"))
	f.Add("A=B", []byte("x"))
	f.Add(".dot", []byte("x"))
	f.Add("BIG", bytes.Repeat([]byte("y"), maxEnvValue+1))
	svc := filepath.Join(f.TempDir(), "envfuzz")
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name == "" || name == "." || name == ".." || len(name) > 255 || strings.ContainsAny(name, "/\x00") {
			t.Skip("not a file name")
		}
		env := filepath.Join(svc, "env")
		if err := os.RemoveAll(env); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(env, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(env, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l := newLoader(svc)
		err := l.readEnv()
		s := l.svc
		line, _, _ := bytes.Cut(data, []byte("\n"))
		switch {
		case name[0] == '.':
			if err != nil || s.Env != nil || s.EnvUnset != nil {
				t.Fatalf("dot file not ignored: %v %q %q", err, s.Env, s.EnvUnset)
			}
		case strings.Contains(name, "=") || len(line) > maxEnvValue:
			if err == nil {
				t.Fatalf("accepted name %q with a %d-byte first line", name, len(line))
			}
			if !strings.HasPrefix(err.Error(), "service "+svc+": env/"+name+": ") {
				t.Fatalf("error does not name the file: %v", err)
			}
		case err != nil:
			t.Fatalf("rejected %q: %v", name, err)
		case len(data) == 0:
			if s.Env != nil || !slices.Equal(s.EnvUnset, []string{name}) {
				t.Fatalf("empty file: Env %q EnvUnset %q", s.Env, s.EnvUnset)
			}
		default:
			v := strings.ReplaceAll(strings.TrimRight(string(line), " \t"), "\x00", "\n")
			if s.EnvUnset != nil || !slices.Equal(s.Env, []string{name + "=" + v}) {
				t.Fatalf("Env %q EnvUnset %q, want %q", s.Env, s.EnvUnset, name+"="+v)
			}
		}
	})
}

// FuzzS6RC: any content of an s6-rc definition's type, contents and
// dependencies files loads or fails with an error naming the directory,
// never panics, and only ever yields valid dependency names.
func FuzzS6RC(f *testing.F) {
	f.Add([]byte("oneshot\n"), []byte(""), []byte("db\n"))
	f.Add([]byte("bundle\n"), []byte("a\nb c\n"), []byte(""))
	f.Add([]byte("longrun"), []byte(""), []byte("../x\n"))
	f.Add([]byte("bundle\n"), []byte("\n\n"), []byte("a\x00b"))
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, typ, contents, deps []byte) {
		dir := filepath.Join(root, "rc")
		os.RemoveAll(dir)
		files := map[string][]byte{"type": typ, "contents": contents, "dependencies": deps, "up": []byte("true\n")}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for n, b := range files {
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\n"), 0o755)
		s, err := Load(dir)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), "service "+dir) {
				t.Fatalf("error without the directory: %v", err)
			}
			return
		}
		for _, d := range s.Depends {
			if checkName(d) != nil {
				t.Fatalf("invalid dependency name %q accepted", d)
			}
		}
	})
}
