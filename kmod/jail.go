// Package kmod is the kernel side of a jail: on Linux a cgroup, new
// namespaces and a composed root (this package), eBPF port ownership
// (kmod/ports) and security profiles (kmod/profile); on NetBSD the
// secmodel_jail kernel module (kmod/netbsd, kmod/secmodel).
package kmod

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Mount is an extra bind mount into a jail.
type Mount struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	RO  bool   `json:"ro"`
}

// ParseMount parses SRC:DST[:ro].
func ParseMount(s string) (Mount, error) {
	parts := strings.Split(s, ":")
	m := Mount{}
	switch {
	case len(parts) == 2:
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		m.RO = parts[2] == "ro"
	default:
		return m, fmt.Errorf("mount %q: want SRC:DST[:ro]", s)
	}
	m.Src, m.Dst = parts[0], parts[1]
	if !strings.HasPrefix(m.Src, "/") || !strings.HasPrefix(m.Dst, "/") {
		return m, fmt.Errorf("mount %q: SRC and DST must be absolute paths", s)
	}
	if m.Dst == "/" || strings.Contains("/"+m.Dst+"/", "/../") {
		return m, fmt.Errorf("mount %q: DST must be below / and free of \"..\" elements", s)
	}
	return m, nil
}

func (m Mount) String() string {
	s := m.Src + ":" + m.Dst
	if m.RO {
		s += ":ro"
	}
	return s
}

// Limits are optional hard resource limits; zero means none.
type Limits struct {
	MemoryBytes int64   `json:"memory_bytes,omitempty"`
	CPUs        float64 `json:"cpus,omitempty"`
	Pids        int64   `json:"pids,omitempty"`
}

// Spec is everything needed to build a jail's kernel state.
type Spec struct {
	Name     string  `json:"name"`
	Hostname string  `json:"hostname"`
	Root     string  `json:"root,omitempty"` // prepared root used as the read-only base; "" = the host's /usr /bin /sbin /lib*
	Writable string  `json:"writable"`       // the jail's writable layer: etc var tmp home root
	Mounts   []Mount `json:"mounts,omitempty"`
	NetNone  bool    `json:"net_none,omitempty"`
	Profile  string  `json:"profile"`
	Jinit    string  `json:"jinit"` // host path of the jinit binary, bound read-only into the jail
	Mnt      string  `json:"mnt"`   // an empty host directory used as the mount point of the new root
	Debug    bool    `json:"debug,omitempty"`
	// LogBuffer and LogLineMax (bytes; 0 = jinit's defaults) size the
	// jail's log buffer and split long lines (the definition's [logs]).
	LogBuffer  int64 `json:"log_buffer,omitempty"`
	LogLineMax int64 `json:"log_line_max,omitempty"`
	// NoServices starts jinit supervising an empty directory instead of
	// /etc/service: a running jail without its services (jailctl apply).
	NoServices bool `json:"no_services,omitempty"`
	// KeeperPipe: the stage has the keeper socket (SpawnOptions.Keeper);
	// set by Release.
	KeeperPipe bool `json:"keeper_pipe,omitempty"`
	// Incarnation names this start of the jail in jinit's last word on
	// its console (ConsoleWord), which outlives many starts.
	Incarnation string `json:"incarnation,omitempty"`
	// ConsoleMax bounds what jinit writes on its console when no keeper
	// rotates it (0: jinit's default, none).
	ConsoleMax int64 `json:"console_max,omitempty"`
	// Limits are the jail's resource limits (Jail.Create).
	Limits Limits `json:"-"`
	// Reserved and AllowUnreserved are the jail's port reservations, for
	// kernels that enforce them in Jail.Create (NetBSD's module); on
	// Linux the eBPF programs of kmod/ports do, attached by the caller.
	Reserved        []Reservation `json:"-"`
	AllowUnreserved bool          `json:"-"`
	// UserNS, if set, runs the jail in a user namespace of its own mapped
	// to this host range (docs/SECURITY.md, "User namespace").
	UserNS *IDRange `json:"userns,omitempty"`
	// Detached lists what Spawn prepared outside for a stage in a user
	// namespace; set by Spawn.
	Detached *detached `json:"detached,omitempty"`
}

// Reservation is a reserved port number and its protocols.
type Reservation struct {
	Port     uint16
	TCP, UDP bool
}

// SpawnOptions say what a jail's first process inherits.
type SpawnOptions struct {
	Control *os.File // the listening control socket: jinit's descriptor 3
	Console *os.File // jinit's own output
	// Keeper, if set, is jinit's end of the keeper socket, a stream
	// socket pair whose other end only the jail's keeper (`jailctl run`)
	// holds: jinit exits, ending the jail, when it reads end of file, and
	// writes its exit status there before it exits (KeeperWord). Without
	// it jinit runs on its own and leaves its last word on its console
	// (ConsoleWord).
	Keeper *os.File
}

// ErrOtherIncarnation is returned by Jail.Destroy when what the record
// names belongs to a later start of the jail, which it leaves alone.
var ErrOtherIncarnation = errors.New("the jail's kernel state belongs to a later start of the jail")

// WritableDirs are the directories of the jail's writable layer.
var WritableDirs = []string{"etc", "var", "tmp", "home", "root"}

// JinitPath is where jinit is found inside a jail.
const JinitPath = "/run/jinit"

// NoServicesDir is the empty service directory jinit supervises in a jail
// started with Spec.NoServices; it lives on the jail's own /run tmpfs.
const NoServicesDir = "/run/no-services"

// Usage is a jail's kernel accounting.
type Usage struct {
	CPU       time.Duration `json:"cpu_ns"`
	Procs     int           `json:"procs"`
	Tasks     int           `json:"tasks,omitempty"`
	MemBytes  int64         `json:"mem_bytes"`
	MemLimit  int64         `json:"mem_limit_bytes,omitempty"`
	PidsLimit int64         `json:"pids_limit,omitempty"`
	CPULimit  float64       `json:"cpu_limit,omitempty"`
	// OOMKills counts processes the kernel killed because the jail hit
	// its memory limit. OOMKnown and ThrottleKnown say the figures were
	// read: a host without the files leaves them out rather than at 0.
	OOMKills      int64 `json:"oom_kills"`
	OOMKnown      bool  `json:"oom_known"`
	ThrottleKnown bool  `json:"throttle_known"`
	// CPUPeriods and CPUThrottled count the CPU limit's enforcement
	// periods, and those in which the jail was throttled for ThrottledTime.
	CPUPeriods    int64         `json:"cpu_periods"`
	CPUThrottled  int64         `json:"cpu_throttled_periods"`
	ThrottledTime time.Duration `json:"cpu_throttled_ns"`
	// Pressure is the time the jail's tasks were stalled (PSI), by
	// resource; nil where the kernel has no PSI.
	Pressure *Pressure `json:"pressure,omitempty"`
}

// Pressure is pressure-stall information: for each resource, the time
// some of the jail's tasks waited for it, and (Full) the time all of its
// runnable tasks did at once (there is no Full for the CPU of a cgroup at
// the root level, where the kernel reports it as 0).
type Pressure struct {
	CPU, CPUFull, Memory, MemoryFull, IO, IOFull time.Duration
}

// jinitArgs is jinit's command line in the jail.
func (s *Spec) jinitArgs(svcDir string, controlFD, keeperFD int) []string {
	args := []string{"jinit", "--services", svcDir, "--control-fd", strconv.Itoa(controlFD), "--jail", s.Name}
	if keeperFD >= 0 {
		args = append(args, "--keeper-fd", strconv.Itoa(keeperFD))
	}
	if s.Incarnation != "" && keeperFD < 0 {
		args = append(args, "--incarnation", s.Incarnation)
		if s.ConsoleMax > 0 {
			args = append(args, "--console-max", strconv.FormatInt(s.ConsoleMax, 10))
		}
	}
	if s.LogBuffer > 0 {
		args = append(args, "--log-buffer", strconv.FormatInt(s.LogBuffer, 10))
	}
	if s.LogLineMax > 0 {
		args = append(args, "--log-line-max", strconv.FormatInt(s.LogLineMax, 10))
	}
	if s.Debug {
		args = append(args, "--debug")
	}
	return args
}
