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

// Guard holds the bpf_links that enforce one jail's port ownership. The
// links are not pinned: they detach on Close or when the holding process
// exits, whichever comes first.
type Guard struct {
	mu     sync.Mutex
	links  []*link.RawLink
	ports  []Port
	cgroup string
}

// Attach enforces own for the jail whose cgroup2 directory is
// jailCgroupDir (processes in sub-cgroups belong to the jail too):
//
//   - on the jail cgroup (unless opt.AllowUnreserved), a bind4/bind6 pair
//     that lets jail sockets bind only own ports and port 0;
//   - on the cgroup2 root (if own is not empty), a bind4/bind6 pair that
//     denies own ports to every binder outside the jail, host root included,
//     in the caller's network namespace.
//
// Denials fail bind(2) with EACCES (EPERM on kernels before 5.18, which
// lack bpf_set_retval). Allowed binds still get the kernel's usual checks,
// including the privileged-port check. Attach is all or nothing.
func Attach(jailCgroupDir string, own []Port, opt Options) (*Guard, error) {
	own, err := normalize(own)
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	cg, err := resolveCgroup(jailCgroupDir)
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	feat, err := probeFeatures()
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	m, err := newPortsMap(own)
	if err != nil {
		return nil, fmt.Errorf("attach port guard: %w", err)
	}
	// The programs hold their own reference to the map.
	defer m.Close()
	p := progParams{ports: m, level: int32(cg.level), jailID: cg.id, netns: netnsCookie(), feat: feat}
	g := &Guard{ports: own, cgroup: cg.dir}
	if !opt.AllowUnreserved {
		p.kind = jailProg
		err = g.attachPair(p, cg.dir)
	}
	if err == nil && len(own) > 0 {
		p.kind = hostProg
		err = g.attachPair(p, cg.root)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("attach port guard to %s: %w", cg.dir, err), g.Close())
	}
	return g, nil
}

// attachPair loads p for bind4 and bind6 and links both to the cgroup dir.
func (g *Guard) attachPair(p progParams, dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open cgroup: %w", err)
	}
	defer f.Close()
	for _, at := range bindHooks {
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
func (g *Guard) Files() ([]*os.File, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
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
	m, err := newPortsMap([]Port{{Proto: TCP, Num: 1}})
	if err != nil {
		return fmt.Errorf("port guard unsupported: %w", err)
	}
	defer m.Close()
	p := progParams{ports: m, level: 1, jailID: 1, netns: 1, feat: feat}
	for _, p.kind = range []progKind{jailProg, hostProg} {
		for _, at := range bindHooks {
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
