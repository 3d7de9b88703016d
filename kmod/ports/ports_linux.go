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

// Guard holds the bpf_links that enforce one jail's port ownership. The
// links are not pinned: they detach on Close or when the holding process
// exits, whichever comes first.
type Guard struct {
	mu       sync.Mutex
	links    []*link.RawLink
	ports    []Port
	cgroup   string
	reserved bool // own ports are in net.ipv4.ip_local_reserved_ports
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
// Denied binds fail with EACCES and denied connects with ECONNREFUSED
// (EPERM on kernels before 5.18, which lack bpf_set_retval). Attach is all
// or nothing.
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

// attachPair loads p for each hook and links it to the cgroup dir.
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
		// AttachRawLink, not link.AttachCgroup: the latter falls back to
		// PROG_ATTACH, which would outlive this process.
		l, err := link.AttachRawLink(link.RawLinkOptions{Target: int(f.Fd()), Program: prog, Attach: at})
		prog.Close() // the link keeps the program alive
		if err != nil {
			return fmt.Errorf("link %s program to %s for %s: %w", p.kind, dir, at, err)
		}
		g.links = append(g.links, l)
	}
	return nil
}

// Files returns duplicates of the link descriptors, for handing the guard
// to another process: the programs stay attached while any copy is open.
// The caller closes them.
//
// The reservation in ip_local_reserved_ports goes with the links: Close
// no longer removes it, Release does once the jail's cgroup is gone.
func (g *Guard) Files() ([]*os.File, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reserved = false
	var out []*os.File
	for _, l := range g.links {
		fd, err := unix.FcntlInt(uintptr(l.FD()), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			for _, f := range out {
				f.Close()
			}
			return nil, fmt.Errorf("duplicate port guard link: %w", err)
		}
		out = append(out, os.NewFile(uintptr(fd), "bpf-link"))
	}
	return out, nil
}

// Ports returns the enforced ports, sorted and without duplicates.
func (g *Guard) Ports() []Port { return slices.Clone(g.ports) }

// Close detaches every program. It is safe to call more than once.
func (g *Guard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, l := range g.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("detach port guard of %s: %w", g.cgroup, err))
		}
	}
	g.links = nil
	if g.reserved {
		if err := unreserve(g.cgroup); err != nil {
			errs = append(errs, err)
		}
		g.reserved = false
	}
	return errors.Join(errs...)
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
	// bpf_link for cgroups (5.7) predates bpf_get_current_ancestor_cgroup_id
	// (5.7 as well), so a kernel that loaded the programs can link them.
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
