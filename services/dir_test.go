package services

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const runScript = "#!/bin/sh\nexec sleep 1000\n"

// mkService creates root/name with the given files; "run" and "finish" are
// made executable, a name with a '/' gets its directory created. A nil
// files map still creates run; a "run" key of "-" leaves run out.
func mkService(t *testing.T, root, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, ok := files["run"]; !ok {
		files = mergeFiles(files, map[string]string{"run": runScript})
	}
	for f, body := range files {
		if f == "run" && body == "-" {
			continue
		}
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if f == "run" || f == "finish" {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mergeFiles(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func svcTOML(s string) map[string]string { return map[string]string{"service.toml": s} }

func TestLoadRunit(t *testing.T) {
	dir := mkService(t, t.TempDir(), "web", nil)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := &Service{
		Name:      "web",
		Dir:       dir,
		Style:     StyleRunit,
		Run:       filepath.Join(dir, "run"),
		Policy:    DefaultPolicy(),
		Readiness: Readiness{Interval: DefaultReadyInterval},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

func TestLoadS6(t *testing.T) {
	dir := mkService(t, t.TempDir(), "db", map[string]string{
		"finish":          "#!/bin/sh\nexit 0\n",
		"notification-fd": "3\n",
		"down":            "",
		"down-signal":     "SIGHUP\n",
		"timeout-kill":    "3000\n",
		"timeout-finish":  "0\n", // s6: never; jinit keeps its default
		"env/FOO":         "bar  \t\nsecond line\n",
		"env/EMPTY":       "",
		"env/BLANK":       "\n",
		"env/NUL":         "a\x00b",
		"env/.hidden":     "ignored",
		"log/run":         "ignored",
		"data/check":      "ignored",
	})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultPolicy()
	p.HasFinish, p.HasReadiness = true, true
	p.StopSignal, p.StopTimeout = syscall.SIGHUP, 3*time.Second
	want := &Service{
		Name:      "db",
		Dir:       dir,
		Run:       filepath.Join(dir, "run"),
		Finish:    filepath.Join(dir, "finish"),
		Down:      true,
		Env:       []string{"BLANK=", "FOO=bar", "NUL=a\nb"},
		EnvUnset:  []string{"EMPTY"},
		Readiness: Readiness{NotificationFD: 3, Interval: DefaultReadyInterval},
		Policy:    p,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

func TestLoadTOML(t *testing.T) {
	dir := mkService(t, t.TempDir(), "api", map[string]string{
		"notification-fd": "4",
		"service.toml": `
depends = ["db", "cache"]
restart = "on-failure"
stop_signal = "INT"
stop_timeout = "20s"
finish_timeout = "2s"
user = "www-data"
group = "1000"
[backoff]
initial = "1s"
max = "1m"
reset = "30s"
[start_limit]
burst = 3
interval = "5m"
[readiness]
notification_fd = 4
interval = "50ms"
timeout = "30s"
[rlimits]
nofile = 1024
nproc = [64, 128]
core = 0
as = "unlimited"
stack = [8388608, "unlimited"]
[log]
drop = true
`})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{
		Restart:        RestartOnFailure,
		BackoffInitial: time.Second, BackoffMax: time.Minute, BackoffReset: 30 * time.Second,
		StartLimitBurst: 3, StartLimitInterval: 5 * time.Minute,
		StopSignal: syscall.SIGINT, StopTimeout: 20 * time.Second, FinishTimeout: 2 * time.Second,
		HasReadiness: true, ReadyTimeout: 30 * time.Second,
		Settle: DefaultSettle, KillLeftovers: true,
	}
	inf := uint64(unix.RLIM_INFINITY)
	want := &Service{
		Name:      "api",
		Dir:       dir,
		Run:       filepath.Join(dir, "run"),
		Depends:   []string{"db", "cache"},
		Readiness: Readiness{NotificationFD: 4, Interval: 50 * time.Millisecond, Timeout: 30 * time.Second},
		Policy:    p,
		User:      "www-data",
		Group:     "1000",
		Rlimits: []Rlimit{
			{unix.RLIMIT_AS, "as", inf, inf},
			{unix.RLIMIT_CORE, "core", 0, 0},
			{unix.RLIMIT_NOFILE, "nofile", 1024, 1024},
			{unix.RLIMIT_NPROC, "nproc", 64, 128},
			{unix.RLIMIT_STACK, "stack", 8388608, inf},
		},
		LogDrop: true,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
}

// TestLoadKeys checks keys one at a time against the field they set.
func TestLoadKeys(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name  string
		files map[string]string
		check func(*Service) bool
	}{
		{"oneshot defaults to never", svcTOML("oneshot = true"), func(s *Service) bool {
			return s.Policy.Oneshot && s.Policy.Restart == RestartNever
		}},
		{"oneshot on-failure", svcTOML("oneshot = true\nrestart = \"on-failure\""), func(s *Service) bool {
			return s.Policy.Restart == RestartOnFailure
		}},
		{"restart never", svcTOML(`restart = "never"`), func(s *Service) bool { return s.Policy.Restart == RestartNever }},
		{"signal number", svcTOML("stop_signal = 10"), func(s *Service) bool { return s.Policy.StopSignal == syscall.SIGUSR1 }},
		{"signal numeric string", svcTOML(`stop_signal = "9"`), func(s *Service) bool { return s.Policy.StopSignal == syscall.SIGKILL }},
		{"signal lower case", svcTOML(`stop_signal = "sigusr2"`), func(s *Service) bool { return s.Policy.StopSignal == syscall.SIGUSR2 }},
		{"down-signal agrees", map[string]string{"down-signal": "15", "service.toml": `stop_signal = "TERM"`}, func(s *Service) bool {
			return s.Policy.StopSignal == syscall.SIGTERM
		}},
		{"timeout-kill agrees", map[string]string{"timeout-kill": "2000", "service.toml": `stop_timeout = "2s"`}, func(s *Service) bool {
			return s.Policy.StopTimeout == 2*time.Second
		}},
		{"timeout-finish", map[string]string{"timeout-finish": "1500\n"}, func(s *Service) bool {
			return s.Policy.FinishTimeout == 1500*time.Millisecond
		}},
		{"check", svcTOML("[readiness]\ncheck = [\"/bin/true\", \"-x\"]"), func(s *Service) bool {
			return slices.Equal(s.Readiness.Check, []string{"/bin/true", "-x"}) && s.Policy.HasReadiness
		}},
		{"tcp_port", svcTOML("[readiness]\ntcp_port = 8080"), func(s *Service) bool {
			return s.Readiness.TCPPort == 8080 && s.Policy.HasReadiness && s.Policy.ReadyTimeout == 0
		}},
		{"ready timeout zero", svcTOML("[readiness]\ntcp_port = 1\ntimeout = \"0s\""), func(s *Service) bool { return s.Readiness.Timeout == 0 }},
		{"user numeric", svcTOML(`user = "0"`), func(s *Service) bool { return s.User == "0" }},
		{"user machine", svcTOML(`user = "host$"`), func(s *Service) bool { return s.User == "host$" }},
		{"backoff max equals initial", svcTOML("[backoff]\ninitial = \"1s\"\nmax = \"1s\""), func(s *Service) bool {
			return s.Policy.BackoffMax == time.Second
		}},
		{"huge rlimit", svcTOML("[rlimits]\nfsize = 9223372036854775807"), func(s *Service) bool {
			return s.Rlimits[0].Soft == min(uint64(1<<63-1), uint64(unix.RLIM_INFINITY))
		}},
		{"empty toml", svcTOML(""), func(s *Service) bool { return reflect.DeepEqual(s.Policy, DefaultPolicy()) }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mkService(t, root, "k"+string(rune('a'+i)), tt.files)
			s, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Errorf("unexpected result %+v", s)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	long := strings.Repeat("x", maxEnvValue+1)
	tests := []struct {
		name  string
		files map[string]string
		setup func(t *testing.T, dir string)
		want  string // after "service DIR: "
	}{
		{"no run", map[string]string{"run": "-"}, nil, "run: missing"},
		{"run not executable", nil, chmod("run", 0o644), "run: not executable (mode -rw-r--r--)"},
		{"run is a dir", map[string]string{"run": "-", "run/x": ""}, nil, "run: not a regular file (directory)"},
		{"run is a FIFO", map[string]string{"run": "-"}, mkfifo("run"), "run: not a regular file (FIFO)"},
		{"finish not executable", map[string]string{"finish": ""}, chmod("finish", 0o600), "finish: not executable"},
		{"notification-fd 2", map[string]string{"notification-fd": "2\n"}, nil, "notification-fd: descriptor 2 out of range 3..1023"},
		{"notification-fd 1024", map[string]string{"notification-fd": "1024"}, nil, "notification-fd: 1024 out of range 0..1023"},
		{"notification-fd text", map[string]string{"notification-fd": "three"}, nil, `notification-fd: invalid content "three": want a decimal number`},
		{"notification-fd space", map[string]string{"notification-fd": " 3"}, nil, `notification-fd: invalid content " 3"`},
		{"notification-fd two lines", map[string]string{"notification-fd": "3\n\n"}, nil, `notification-fd: invalid content "3\n"`},
		{"notification-fd empty", map[string]string{"notification-fd": ""}, nil, `notification-fd: invalid content ""`},
		{"notification-fd huge", map[string]string{"notification-fd": strings.Repeat("9", 100)}, nil, "notification-fd: file too large"},
		{"notification-fd symlink", nil, symlink("/etc/hostname", "notification-fd"), "notification-fd: not a regular file (symlink)"},
		{"down-signal unknown", map[string]string{"down-signal": "SIGFOO"}, nil, `down-signal: unknown signal "SIGFOO"`},
		{"down-signal zero", map[string]string{"down-signal": "0"}, nil, `down-signal: unknown signal 0`},
		{"timeout-kill negative", map[string]string{"timeout-kill": "-1"}, nil, `timeout-kill: invalid content "-1"`},
		{"timeout-kill too long", map[string]string{"timeout-kill": "3600001"}, nil, "timeout-kill: 3600001 out of range 0..3600000"},
		{"timeout-finish text", map[string]string{"timeout-finish": "5s"}, nil, `timeout-finish: invalid content "5s"`},
		{"env is a file", map[string]string{"env": "FOO=bar"}, nil, "env: not a directory (regular file)"},
		{"env is a symlink", nil, symlink("/etc", "env"), "env: not a directory (symlink)"},
		{"env name with =", map[string]string{"env/A=B": "x"}, nil, `env/A=B: invalid variable name "A=B": contains '='`},
		{"env value too long", map[string]string{"env/BIG": long}, nil, "env/BIG: value longer than 65536 bytes"},
		{"env symlink", nil, symlink("/etc/passwd", "env/PW"), "env/PW: not a regular file (symlink)"},
		{"env subdirectory", map[string]string{"env/SUB/x": ""}, nil, "env/SUB: not a regular file (directory)"},
		{"env FIFO", map[string]string{"env/A": "1"}, mkfifo("env/F"), "env/F: not a regular file (FIFO)"},
		{"env too many", nil, manyEnv, "env: more than 4096 entries"},
		{"toml FIFO", nil, mkfifo("service.toml"), "service.toml: not a regular file (FIFO)"},
		{"toml too large", svcTOML(strings.Repeat("#", maxTOML+1)), nil, "service.toml: larger than 1048576 bytes"},
		{"toml syntax", svcTOML("restart = = 1"), nil, "service.toml: line 1, column 11: unexpected character"},
		{"toml unknown key", svcTOML("[backoff]\nintial = \"1s\""), nil, `service.toml: key "backoff.intial": unknown key (line 2)`},
		{"toml unknown table", svcTOML("[foo]\nx = 1"), nil, `service.toml: key "foo": unknown key (line 1)`},
		{"toml type", svcTOML(`oneshot = "yes"`), nil, `service.toml: key "oneshot": line 1, column 11: want a boolean, got a TOML string`},
		{"toml duration type", svcTOML("stop_timeout = 10"), nil, `key "stop_timeout": line 1, column 16: want a string, got a TOML integer`},
		{"restart value", svcTOML(`restart = "sometimes"`), nil, `key "restart": invalid value "sometimes": want always, on-failure or never`},
		{"oneshot always", svcTOML("oneshot = true\nrestart = \"always\""), nil, `key "restart": "always" contradicts oneshot = true`},
		{"oneshot readiness", svcTOML("oneshot = true\n[readiness]\ntcp_port = 80"), nil, `key "oneshot": a oneshot cannot have a readiness mechanism`},
		{"oneshot notification-fd file", map[string]string{"notification-fd": "3", "service.toml": "oneshot = true"}, nil, `key "oneshot": a oneshot cannot have a readiness mechanism`},
		{"backoff.initial", svcTOML("[backoff]\ninitial = \"10x\""), nil, `service.toml: key "backoff.initial": invalid duration "10x"`},
		{"backoff.initial zero", svcTOML("[backoff]\ninitial = \"0s\""), nil, `key "backoff.initial": duration "0s" must be positive`},
		{"backoff.max < initial", svcTOML("[backoff]\ninitial = \"10s\"\nmax = \"1s\""), nil, `key "backoff.max": 1s is less than backoff.initial 10s`},
		{"backoff.max default", svcTOML("[backoff]\ninitial = \"1m\""), nil, `key "backoff.max": 30s is less than backoff.initial 1m0s`},
		{"backoff.reset negative", svcTOML("[backoff]\nreset = \"-1s\""), nil, `key "backoff.reset": duration "-1s" must be positive`},
		{"backoff.max huge", svcTOML("[backoff]\nmax = \"25h\""), nil, `key "backoff.max": duration "25h" longer than 24h0m0s`},
		{"burst zero", svcTOML("[start_limit]\nburst = 0"), nil, `key "start_limit.burst": 0 out of range 1..10000`},
		{"burst huge", svcTOML("[start_limit]\nburst = 10001"), nil, `key "start_limit.burst": 10001 out of range 1..10000`},
		{"start_limit.interval empty", svcTOML("[start_limit]\ninterval = \"\""), nil, `key "start_limit.interval": invalid duration ""`},
		{"notification_fd range", svcTOML("[readiness]\nnotification_fd = 0"), nil, `key "readiness.notification_fd": 0 out of range 3..1023`},
		{"notification_fd differs", map[string]string{"notification-fd": "3", "service.toml": "[readiness]\nnotification_fd = 5"}, nil, `key "readiness.notification_fd": 5 contradicts the notification-fd file (3)`},
		{"check empty", svcTOML("[readiness]\ncheck = []"), nil, `key "readiness.check": empty command`},
		{"check empty argv0", svcTOML("[readiness]\ncheck = [\"\"]"), nil, `key "readiness.check": empty command`},
		{"tcp_port zero", svcTOML("[readiness]\ntcp_port = 0"), nil, `key "readiness.tcp_port": 0 out of range 1..65535`},
		{"tcp_port big", svcTOML("[readiness]\ntcp_port = 65536"), nil, `key "readiness.tcp_port": 65536 out of range 1..65535`},
		{"tcp_port overflow", svcTOML("[readiness]\ntcp_port = 99999999999999999999"), nil, `key "readiness.tcp_port": line 2, column 12: decimal number is too large`},
		{"two mechanisms", svcTOML("[readiness]\ntcp_port = 80\ncheck = [\"/bin/true\"]"), nil, `key "readiness": more than one of notification_fd`},
		{"file and tcp", map[string]string{"notification-fd": "3", "service.toml": "[readiness]\ntcp_port = 80"}, nil, `key "readiness": more than one of`},
		{"ready interval short", svcTOML("[readiness]\ninterval = \"1ms\""), nil, `key "readiness.interval": 1ms is shorter than 10ms`},
		{"ready timeout negative", svcTOML("[readiness]\ntimeout = \"-1s\""), nil, `key "readiness.timeout": duration "-1s" must be positive`},
		{"stop_signal unknown", svcTOML(`stop_signal = "FOO"`), nil, `key "stop_signal": unknown signal "FOO"`},
		{"stop_signal zero", svcTOML("stop_signal = 0"), nil, `key "stop_signal": unknown signal 0`},
		{"stop_signal big", svcTOML("stop_signal = 1000"), nil, `key "stop_signal": unknown signal 1000`},
		{"stop_signal bool", svcTOML("stop_signal = true"), nil, `key "stop_signal": want a signal name or number, got a boolean`},
		{"stop_signal vs down-signal", map[string]string{"down-signal": "HUP", "service.toml": `stop_signal = "TERM"`}, nil, `key "stop_signal": SIGTERM contradicts the down-signal file (SIGHUP)`},
		{"stop_timeout long", svcTOML(`stop_timeout = "2h"`), nil, `key "stop_timeout": 2h0m0s is longer than 1h0m0s`},
		{"stop_timeout vs timeout-kill", map[string]string{"timeout-kill": "1000", "service.toml": `stop_timeout = "2s"`}, nil, `key "stop_timeout": 2s contradicts the timeout-kill file (1s)`},
		{"finish_timeout zero", svcTOML(`finish_timeout = "0"`), nil, `key "finish_timeout": duration "0" must be positive`},
		{"finish_timeout vs timeout-finish", map[string]string{"timeout-finish": "1000", "service.toml": `finish_timeout = "3s"`}, nil, `key "finish_timeout": 3s contradicts the timeout-finish file (1s)`},
		{"user colon", svcTOML(`user = "www:www"`), nil, `key "user": name "www:www" contains ':'`},
		{"user empty", svcTOML(`user = ""`), nil, `key "user": empty`},
		{"user dash", svcTOML(`user = "-x"`), nil, `key "user": name "-x" starts with '-'`},
		{"user long", svcTOML(`user = "` + strings.Repeat("u", 33) + `"`), nil, `key "user": name "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu" longer than 32 bytes`},
		{"group id -1", svcTOML(`group = "4294967295"`), nil, `key "group": numeric id 4294967295 out of range`},
		{"group space", svcTOML(`group = "a b"`), nil, `key "group": name "a b" contains ' '`},
		{"rlimit unknown", svcTOML("[rlimits]\nfiles = 1"), nil, `key "rlimits.files": unknown resource`},
		{"rlimit negative", svcTOML("[rlimits]\nnofile = -1"), nil, `key "rlimits.nofile": negative limit -1`},
		{"rlimit float", svcTOML("[rlimits]\nnofile = 1.5"), nil, `key "rlimits.nofile": want a number, "unlimited" or [soft, hard], got a float`},
		{"rlimit word", svcTOML("[rlimits]\nnofile = \"lots\""), nil, `key "rlimits.nofile": invalid limit "lots"`},
		{"rlimit array length", svcTOML("[rlimits]\nnproc = [1]"), nil, `key "rlimits.nproc": want [soft, hard], got 1 elements`},
		{"rlimit soft > hard", svcTOML("[rlimits]\nnproc = [10, 5]"), nil, `key "rlimits.nproc": soft limit 10 above hard limit 5`},
		{"rlimit unlimited soft", svcTOML("[rlimits]\nnproc = [\"unlimited\", 5]"), nil, `key "rlimits.nproc": soft limit unlimited above hard limit 5`},
		{"depends self", svcTOML(`depends = ["me"]`), nil, `key "depends": service depends on itself`},
		{"depends invalid", svcTOML(`depends = ["a/b"]`), nil, `key "depends": invalid service name: "a/b" contains '/'`},
		{"depends dot", svcTOML(`depends = [".x"]`), nil, `key "depends": invalid service name: ".x" starts with '.'`},
		{"depends twice", svcTOML(`depends = ["a", "a"]`), nil, `key "depends": "a" listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mkService(t, t.TempDir(), "me", tt.files)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			err := loadWithin(t, dir)
			if err == nil {
				t.Fatalf("loaded, want error %q", tt.want)
			}
			want := tt.want
			if strings.HasPrefix(want, "key ") {
				want = "service.toml: " + want
			}
			want = "service " + dir + ": " + want
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error\n %v\nwant it to contain\n %s", err, want)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.Dir != dir {
				t.Errorf("error %T is not a *LoadError for %s", err, dir)
			}
		})
	}
}

// loadWithin fails the test if Load hangs, e.g. opening a FIFO.
func loadWithin(t *testing.T, dir string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Load(dir)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Load(%s) hung", dir)
		return nil
	}
}

func chmod(name string, mode os.FileMode) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func mkfifo(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(target, name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
}

func manyEnv(t *testing.T, dir string) {
	if err := os.Mkdir(filepath.Join(dir, "env"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range maxEnvVars + 1 {
		f, err := os.Create(filepath.Join(dir, "env", "V"+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func TestLoadEnvLongTail(t *testing.T) {
	// Only the first line is capped: a long remainder is ignored as envdir does.
	dir := mkService(t, t.TempDir(), "tail", map[string]string{
		"env/V": "short\n" + strings.Repeat("y", 2*maxEnvValue),
	})
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Env, []string{"V=short"}) {
		t.Errorf("Env = %q", s.Env)
	}
}

func TestLoadBadNames(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{".hidden", "has space", strings.Repeat("n", 64), "a:b"} {
		dir := mkService(t, root, name, nil)
		_, err := Load(dir)
		want := "service " + dir + ": invalid service name: "
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want %q", name, err, want)
		}
	}
	if _, err := Load(filepath.Join(root, "absent")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("absent dir: %v", err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(file); err == nil || !strings.Contains(err.Error(), "service "+file+": not a directory") {
		t.Errorf("file: %v", err)
	}
}

func TestLoadRelativePath(t *testing.T) {
	dir := mkService(t, t.TempDir(), "rel", nil)
	t.Chdir(filepath.Dir(dir))
	s, err := Load("rel")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != dir || s.Run != filepath.Join(dir, "run") {
		t.Errorf("Dir %q Run %q, want absolute paths under %q", s.Dir, s.Run, dir)
	}
}
