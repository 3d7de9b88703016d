package ports

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// bindHooks are the attach points: v4-mapped IPv6 addresses reach bind6.
var bindHooks = []ebpf.AttachType{ebpf.AttachCGroupInet4Bind, ebpf.AttachCGroupInet6Bind}

// reachHooks are where a socket names a peer: connect (TCP, connected UDP)
// and sendmsg with an address (unconnected UDP).
var reachHooks = []ebpf.AttachType{ebpf.AttachCGroupInet4Connect, ebpf.AttachCGroupInet6Connect,
	ebpf.AttachCGroupUDP4Sendmsg, ebpf.AttachCGroupUDP6Sendmsg}

// Guard is one jail's port enforcement: programs attached to its cgroup
// and to the cgroup2 root. They are attached, not linked: a jail is not
// kept by any host process, so nothing could hold a bpf_link for its life.
// The jail's programs go with its cgroup; the root's (named after the
// jail's cgroup id, hostName) stay until Close, Remove, or Sweep once that
// cgroup is gone.
type Guard struct {
	mu       sync.Mutex
	attached []attachment
	ports    []Port
	cgroup   string
	reserved bool // own ports are in net.ipv4.ip_local_reserved_ports
}

// attachment is one program attached to one cgroup.
type attachment struct {
	prog *ebpf.Program
	dir  string
	at   ebpf.AttachType
}

// Attach enforces own for the jail whose cgroup2 directory is
// jailCgroupDir (processes in sub-cgroups belong to the jail too):
//
//   - on the jail cgroup, a bind4/bind6 pair that lets jail sockets bind
//     own ports — privileged ones without CAP_NET_BIND_SERVICE — and port
//     0, and (opt.AllowUnreserved) other ports with the usual checks;
//   - on the cgroup2 root (if own is not empty), a bind4/bind6 pair that
//     denies own ports to every binder outside the jail, host root included,
//     in the caller's network namespace;
//   - on the jail cgroup (if opt.HostPrivate is not empty), connect4/6 and
//     sendmsg4/6 programs that refuse the host-private ports to the jail;
//   - own port numbers in net.ipv4.ip_local_reserved_ports, so that no
//     ephemeral or autobind allocation on the host takes one (reserved.go).
//
// Every attachment is BPF_F_ALLOW_MULTI: nothing below the jail cgroup
// can replace or override it. Denied binds fail with EACCES and denied
// connects with ECONNREFUSED (EPERM on kernels before 5.18, which lack
// bpf_set_retval). Attach is all or nothing.
func Attach(jailCgroupDir string, own []Port, opt Options) (*Guard, error) {
	own, err := normalize(own)
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	private, err := normalize(opt.HostPrivate)
	if err != nil {
		return nil, fmt.Errorf("attach port guard: host-private ports: %w", err)
	}
	cg, err := resolveCgroup(jailCgroupDir)
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	feat, err := probeFeatures()
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	g := &Guard{ports: own, cgroup: cg.dir}
	p := progParams{level: int32(cg.level), jailID: cg.id, netns: netnsCookie(), feat: feat}
	if err := g.attachOwn(p, cg, own, opt.AllowUnreserved); err != nil {
		return nil, errors.Join(fmt.Errorf("attach port guard to %s: %w", cg.dir, err), g.Close())
	}
	if err := g.attachPrivate(p, cg, private); err != nil {
		return nil, errors.Join(fmt.Errorf("attach port guard to %s: %w", cg.dir, err), g.Close())
	}
	if err := reserve(cg.dir, own); err != nil {
		return nil, errors.Join(fmt.Errorf("attach port guard to %s: %w", cg.dir, err), g.Close())
	}
	g.reserved = true
	return g, nil
}

// attachOwn attaches the jail and host bind programs for own.
func (g *Guard) attachOwn(p progParams, cg cgroupInfo, own []Port, allowOther bool) error {
	if len(own) == 0 && allowOther {
		return nil
	}
	m, err := newPortsMap("jail_ports", own)
	if err != nil {
		return err
	}
	// The programs hold their own reference to the map.
	defer m.Close()
	p.ports, p.allowOther = m, allowOther
	p.kind = jailProg
	if err := g.attachPair(p, cg.dir, bindHooks); err != nil {
		return err
	}
	if len(own) == 0 {
		return nil
	}
	p.kind = hostProg
	return g.attachPair(p, cg.root, bindHooks)
}

// attachPrivate attaches the programs that keep the jail from reaching
// the host-private ports.
func (g *Guard) attachPrivate(p progParams, cg cgroupInfo, private []Port) error {
	if len(private) == 0 {
		return nil
	}
	m, err := newPortsMap("jail_private", private)
	if err != nil {
		return err
	}
	defer m.Close()
	p.ports, p.kind, p.denyErrno = m, privateProg, unix.ECONNREFUSED
	return g.attachPair(p, cg.dir, reachHooks)
}

// attachPair loads p for each hook and attaches it to the cgroup dir.
func (g *Guard) attachPair(p progParams, dir string, hooks []ebpf.AttachType) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open cgroup: %w", err)
	}
	defer f.Close()
	for _, at := range hooks {
		prog, err := loadProgram(p, at)
		if err != nil {
			return err
		}
		err = link.RawAttachProgram(link.RawAttachProgramOptions{Target: int(f.Fd()), Program: prog, Attach: at, Flags: unix.BPF_F_ALLOW_MULTI})
		if err != nil {
			prog.Close()
			return fmt.Errorf("attach %s program to %s for %s: %w", p.kind, dir, at, err)
		}
		g.attached = append(g.attached, attachment{prog: prog, dir: dir, at: at})
	}
	return nil
}

// Ports returns the enforced ports, sorted and without duplicates.
func (g *Guard) Ports() []Port { return slices.Clone(g.ports) }

// Close detaches every program and drops the reservations. It is safe to
// call more than once. A jail that runs on keeps its programs: the guard
// is then left (Leave), and the jail's teardown removes what it made.
func (g *Guard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, a := range g.attached {
		if err := detach(a.dir, a.prog, a.at); err != nil {
			errs = append(errs, fmt.Errorf("detach port guard of %s: %w", g.cgroup, err))
		}
		a.prog.Close()
	}
	g.attached = nil
	if g.reserved {
		if err := unreserve(g.cgroup); err != nil {
			errs = append(errs, err)
		}
		g.reserved = false
	}
	return errors.Join(errs...)
}

// Leave lets go of the guard's descriptors and leaves everything it
// made in force, for the life of the jail: the programs stay attached and
// the ports reserved until the jail's teardown (Remove, Sweep, Release).
func (g *Guard) Leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, a := range g.attached {
		a.prog.Close()
	}
	g.attached, g.reserved = nil, false
}

// detach detaches prog from the cgroup dir; one already gone is fine.
func detach(dir string, prog *ebpf.Program, at ebpf.AttachType) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // the jail's programs went with its cgroup
	}
	if err != nil {
		return err
	}
	defer f.Close()
	err = link.RawDetachProgram(link.RawDetachProgramOptions{Target: int(f.Fd()), Program: prog, Attach: at})
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// Supported returns nil if this kernel can load and link the programs, or
// why not, so that callers can refuse to start jails with ports (fail
// closed) instead of running them unprotected.
func Supported() error {
	mounts, err := cgroup2Mounts()
	if err != nil {
		return fmt.Errorf("port guard unsupported: %w", err)
	}
	if _, err := cgroup2Root(mounts); err != nil {
		return fmt.Errorf("port guard unsupported: %w", err)
	}
	feat, err := probeFeatures()
	if err != nil {
		return fmt.Errorf("port guard unsupported: %w", err)
	}
	m, err := newPortsMap("jail_ports", []Port{{Proto: TCP, Num: 1}})
	if err != nil {
		return fmt.Errorf("port guard unsupported: %w", err)
	}
	defer m.Close()
	p := progParams{ports: m, level: 1, jailID: 1, netns: 1, feat: feat}
	for _, p.kind = range []progKind{jailProg, hostProg, privateProg} {
		hooks := bindHooks
		if p.kind == privateProg {
			hooks = reachHooks
		}
		for _, at := range hooks {
			prog, err := loadProgram(p, at)
			if err != nil {
				return fmt.Errorf("port guard unsupported: %w", err)
			}
			prog.Close()
		}
	}
	// BPF_F_ALLOW_MULTI (4.15) predates bpf_get_current_ancestor_cgroup_id
	// (5.7), so a kernel that loaded the programs can attach them.
	return nil
}

// netnsCookie returns the cookie of the caller's network namespace, or 0
// (enforce in every namespace) on kernels before 5.14 that cannot tell.
func netnsCookie() uint64 {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	c, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	if err != nil {
		return 0
	}
	return c
}
