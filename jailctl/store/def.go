package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jailsproject/jails/kmod"
	"github.com/jailsproject/jails/kmod/ports"
	"github.com/jailsproject/jails/kmod/profile"
	"github.com/jailsproject/jails/logs"
	"github.com/pelletier/go-toml/v2"
)

// Def is a jail definition: lib/NAME/jail.toml. create writes it, start
// reads it, and hand edits are validated with errors naming file and key.
type Def struct {
	ID                   int       `toml:"id"`
	Name                 string    `toml:"name"`
	Root                 string    `toml:"root,omitempty"`
	Profile              string    `toml:"profile"`
	Ports                []string  `toml:"ports,omitempty"`
	Hostname             string    `toml:"hostname,omitempty"`
	Autostart            bool      `toml:"autostart"`
	Net                  string    `toml:"net"` // "host" or "none"
	AllowUnreservedPorts bool      `toml:"allow_unreserved_ports"`
	Mounts               []string  `toml:"mounts,omitempty"`
	Memory               string    `toml:"memory,omitempty"`
	CPUs                 float64   `toml:"cpus,omitempty"`
	Pids                 int64     `toml:"pids,omitempty"`
	Created              time.Time `toml:"created"`
	Logs                 LogDef    `toml:"logs,omitempty"`
	// UIDBase is the first host uid and gid of the jail's private range
	// (uidrange.go); 0 = no user namespace (the low profile).
	UIDBase uint32 `toml:"uid_base,omitempty"`
}

// LogDef is the optional [logs] table: jinit's buffer and line limit, and
// the collector's rotation of this jail's files.
type LogDef struct {
	Buffer     string `toml:"buffer,omitempty"`      // bytes jinit buffers while no collector reads (default 4M)
	LineMax    string `toml:"line_max,omitempty"`    // longer lines are split (default 64K)
	RotateSize string `toml:"rotate_size,omitempty"` // rotate a service's file beyond this (default 16M)
	Keep       int    `toml:"keep,omitempty"`        // rotated files kept per service (default 10)
}

// Resolved is a validated definition in kernel terms.
type Resolved struct {
	Def    Def
	Ports  []ports.Port
	Mounts []kmod.Mount
	Limits kmod.Limits
	// From [logs], 0 when unset.
	LogBuffer, LogLineMax, LogRotateSize int64
}

// LogStore is the jail's rotation and retention (its [logs] rotate_size
// and keep), def where it sets none or r is nil (a definition that does
// not load), for its console and the collector's store alike.
func (r *Resolved) LogStore(def logs.StoreConfig) logs.StoreConfig {
	if r != nil && r.LogRotateSize > 0 {
		def.RotateSize = r.LogRotateSize
	}
	if r != nil && r.Def.Logs.Keep > 0 {
		def.Keep = r.Def.Logs.Keep
	}
	return def
}

// defError names the file, the key and the problem.
type defError struct {
	file, key string
	err       error
}

func (e *defError) Error() string {
	if e.key == "" {
		return fmt.Sprintf("%s: %v", e.file, e.err)
	}
	return fmt.Sprintf("%s: key %q: %v", e.file, e.key, e.err)
}

func (e *defError) Unwrap() error { return e.err }

// ValidName checks a jail name: [A-Za-z0-9._-], 1..63 bytes, not starting
// with '.' or '-' (so it is a safe path element and a safe flag value).
func ValidName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("invalid jail name %q: want 1 to 63 bytes", name)
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("invalid jail name %q: must not start with '.' or '-'", name)
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("invalid jail name %q: character %q not allowed (use A-Z a-z 0-9 . _ -)", name, c)
		}
	}
	return nil
}

// ParseSize parses a size in bytes: 1048576, 512K, 512M, 1.5G, 2T, with
// IEC (512Mi, 1GiB) and SI-looking (512M, 512MB) spellings alike, in either
// case. Every suffix is a power of 1024: M is MiB, as in systemd's
// MemoryMax= and docker --memory, and as in definitions written before.
func ParseSize(s string) (int64, error) {
	bad := fmt.Errorf("invalid size %q: want a positive number of bytes with an optional K, M, G or T suffix (Ki, MiB... also; all powers of 1024)", s)
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult = int64(1) << (10 * (i + 1))
			t = t[:n-1]
		}
	}
	if t == "" || strings.Trim(t, "0123456789.") != "" || strings.Count(t, ".") > 1 {
		return 0, bad // digits and one point only: no signs, exponents, NaN
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n <= 0 || n > (1<<62)/mult {
			return 0, bad
		}
		return n * mult, nil
	}
	// A fraction needs a suffix (no half bytes): 1.5G.
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || mult == 1 || f <= 0 || f*float64(mult) > 1<<62 || f*float64(mult) < 1 {
		return 0, bad
	}
	return int64(f * float64(mult)), nil
}

// Kernel floors and ceilings of the limits, checked at create and set so
// that start does not fail with the kernel's bare "invalid argument".
const (
	// MinMemory: jinit (a Go program) and one shell need about 6 MiB
	// resident; below 16 MiB a jail is killed by its own limit at start.
	MinMemory = 16 << 20
	// CPUPeriodUS is the cgroup cpu period jails use; the kernel refuses
	// a quota below 1000 µs per period (cpu.max, cpu.cfs_quota_us), so
	// the smallest CPU limit is 0.01 CPU.
	CPUPeriodUS = 100000
	MinCPUs     = 1000.0 / CPUPeriodUS
	MaxCPUs     = 1024
	// MinPids: pids.max counts threads, and jinit (a Go program) runs 8
	// at rest (measured) and more when busy, so a lower limit leaves no
	// room for a single service.
	MinPids = 16
	// MaxPids is the kernel's PID_MAX_LIMIT: pids.max accepts no more.
	MaxPids = 4 << 20
)

// resolveLimits checks memory, cpus and pids against the kernel's bounds.
func (r *Resolved) resolveLimits(bad func(string, error) error) error {
	d := r.Def
	if d.Memory != "" {
		n, err := ParseSize(d.Memory)
		if err == nil && n < MinMemory {
			err = fmt.Errorf("%s is below the minimum of 16Mi (what jinit and a shell need)", d.Memory)
		}
		if err != nil {
			return bad("memory", err)
		}
		r.Limits.MemoryBytes = n
	}
	switch {
	case d.CPUs < 0 || d.CPUs > MaxCPUs:
		return bad("cpus", fmt.Errorf("%v: want a number of CPUs from %.2f to %d (0: no limit)", d.CPUs, MinCPUs, MaxCPUs))
	case d.CPUs > 0 && d.CPUs < MinCPUs:
		return bad("cpus", fmt.Errorf("%v is below the kernel's minimum of %.2f CPU (a quota of 1000 µs per %d µs period)", d.CPUs, MinCPUs, CPUPeriodUS))
	}
	r.Limits.CPUs = d.CPUs
	if d.Pids < 0 || d.Pids > MaxPids || d.Pids > 0 && d.Pids < MinPids {
		return bad("pids", fmt.Errorf("%d: want a process (thread) limit from %d (jinit's own threads and a service) to %d, or 0 for none", d.Pids, MinPids, MaxPids))
	}
	r.Limits.Pids = d.Pids
	return nil
}

// Resolve validates a definition. file names the source in errors.
func (d Def) Resolve(file string) (*Resolved, error) {
	bad := func(key string, err error) error { return &defError{file: file, key: key, err: err} }
	if err := ValidName(d.Name); err != nil {
		return nil, bad("name", err)
	}
	if d.Profile == "" {
		d.Profile = string(profile.High)
	}
	if d.Net == "" {
		d.Net = "host"
	}
	r := &Resolved{Def: d}
	if _, err := profile.Parse(d.Profile); err != nil {
		return nil, bad("profile", fmt.Errorf("unknown profile %q: want low, medium or high", d.Profile))
	}
	if d.Root != "" {
		if !filepath.IsAbs(d.Root) {
			return nil, bad("root", fmt.Errorf("%q is not an absolute path", d.Root))
		}
		if fi, err := os.Stat(d.Root); err != nil || !fi.IsDir() {
			return nil, bad("root", fmt.Errorf("%s is not a directory", d.Root))
		}
	}
	if d.Hostname != "" {
		if err := ValidName(d.Hostname); err != nil {
			return nil, bad("hostname", err)
		}
	}
	if d.Net != "host" && d.Net != "none" {
		return nil, bad("net", fmt.Errorf("%q: want host or none", d.Net))
	}
	seen := map[ports.Port]bool{}
	for _, p := range d.Ports {
		pp, err := ports.ParsePort(p)
		if err != nil {
			return nil, bad("ports", err)
		}
		if seen[pp] {
			return nil, bad("ports", fmt.Errorf("port %s listed twice", pp))
		}
		seen[pp] = true
		r.Ports = append(r.Ports, pp)
	}
	for _, m := range d.Mounts {
		mm, err := kmod.ParseMount(m)
		if err != nil {
			return nil, bad("mounts", err)
		}
		if _, err := os.Stat(mm.Src); err != nil {
			return nil, bad("mounts", fmt.Errorf("mount %q: source: %w", m, err))
		}
		if err := kmod.CheckMountPoint(mm, d.Root); err != nil {
			return nil, bad("mounts", err)
		}
		r.Mounts = append(r.Mounts, mm)
	}
	if err := r.resolveLimits(bad); err != nil {
		return nil, err
	}
	if err := r.resolveLogs(bad); err != nil {
		return nil, err
	}
	if err := r.resolveUserNS(); err != nil {
		return nil, bad("uid_base", err)
	}
	return r, nil
}

// resolveLogs checks [logs] against the bounds jinit and the collector accept.
func (r *Resolved) resolveLogs(bad func(string, error) error) error {
	l := r.Def.Logs
	sizes := []struct {
		key, val string
		min, max int64
		dst      *int64
	}{
		{"logs.buffer", l.Buffer, 64 << 10, 1 << 30, &r.LogBuffer},
		{"logs.line_max", l.LineMax, 1 << 10, 1 << 20, &r.LogLineMax},
		{"logs.rotate_size", l.RotateSize, 4096, 1 << 40, &r.LogRotateSize},
	}
	for _, s := range sizes {
		if s.val == "" {
			continue
		}
		n, err := ParseSize(s.val)
		if err == nil && (n < s.min || n > s.max) {
			err = fmt.Errorf("%s is outside %d..%d bytes", s.val, s.min, s.max)
		}
		if err != nil {
			return bad(s.key, err)
		}
		*s.dst = n
	}
	if r.LogBuffer > 0 && r.LogLineMax > 0 && r.LogBuffer < 2*r.LogLineMax {
		return bad("logs.buffer", fmt.Errorf("must hold at least two lines of line_max"))
	}
	if l.Keep < 0 || l.Keep > 10000 {
		return bad("logs.keep", fmt.Errorf("%d: want 1..10000 rotated files", l.Keep))
	}
	return nil
}

// HostnameOrName is the jail's hostname: its own name unless set.
func (d Def) HostnameOrName() string {
	if d.Hostname != "" {
		return d.Hostname
	}
	return d.Name
}

// LoadDef reads and validates lib/NAME/jail.toml.
func LoadDef(path string) (*Resolved, error) {
	b, err := ReadSmall(path, 1<<20)
	if err != nil {
		return nil, err
	}
	var d Def
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) && len(sm.Errors) > 0 {
			k := strings.Join(sm.Errors[0].Key(), ".")
			return nil, &defError{file: path, key: k, err: errors.New("unknown key")}
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &defError{file: path, key: strings.Join(de.Key(), "."), err: fmt.Errorf("line %d: %s", row, de.Error())}
		}
		return nil, &defError{file: path, err: err}
	}
	return d.Resolve(path)
}

// Save writes the definition atomically.
func (d Def) Save(path string) error {
	b, err := toml.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode definition: %w", err)
	}
	return WriteAtomic(path, append([]byte("# Jail definition, written by jailctl create; hand edits are validated at start.\n"), b...), 0o644)
}

// readSmall reads a regular file of at most limit bytes.
func ReadSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > limit {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", path, limit)
	}
	b := make([]byte, fi.Size())
	_, err = f.ReadAt(b, 0)
	if err != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

func WriteAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
