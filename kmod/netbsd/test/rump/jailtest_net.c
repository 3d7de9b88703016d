/*	$Jails: jailtest_net.c $	*/

/*
 * Port reservations over IPv4 and IPv6 (owner, other jail, host,
 * unreserved, privileged, ephemeral range, autoassign steering), and
 * cross-jail visibility: kern.proc2 and per-process sysctl nodes.
 * alpha holds 8080/tcp, 5353/udp, 80/tcp and 40001; beta holds 9090,
 * 40002 and 40003; gamma holds none but has JAIL_FLAG_ANYPORT.
 */

#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jailtest.h"

struct nb_sin {			/* struct sockaddr_in */
	uint8_t		sin_len;
	uint8_t		sin_family;
	uint16_t	sin_port;	/* network order */
	uint8_t		sin_addr[4];
	uint8_t		sin_zero[8];
};

struct nb_sin6 {		/* struct sockaddr_in6 */
	uint8_t		sin6_len;
	uint8_t		sin6_family;
	uint16_t	sin6_port;
	uint32_t	sin6_flowinfo;
	uint8_t		sin6_addr[16];
	uint32_t	sin6_scope_id;
};

static uint16_t
be16(uint16_t v)
{

	return (uint16_t)((v >> 8) | (v << 8));
}

/*
 * Bind a new socket of af (NB_AF_INET/6) and type to port on the
 * wildcard address; 0 or the errno.  *sp keeps the socket open (if sp
 * is not NULL), *gotp receives the port bound.
 */
int
bindp(int af, int type, uint16_t port, int *sp, uint16_t *gotp)
{
	struct nb_sin6 sa;
	size_t salen;
	int s, e;

	if ((s = rump_sys_socket(af, type, 0)) == -1)
		return errno;
	memset(&sa, 0, sizeof(sa));
	salen = af == NB_AF_INET ? sizeof(struct nb_sin) : sizeof(sa);
	sa.sin6_len = (uint8_t)salen;
	sa.sin6_family = (uint8_t)af;
	sa.sin6_port = be16(port);
	e = rv_errno(rump_sys_bind(s, (void *)&sa, (socklen_t)salen));
	if (e == 0 && gotp != NULL) {
		socklen_t len = sizeof(sa);

		if (rump_sys_getsockname(s, (void *)&sa, &len) == 0)
			*gotp = be16(sa.sin6_port);
	}
	if (e == 0 && sp != NULL)
		*sp = s;
	else
		rump_sys_close(s);
	return e;
}

static const char *
afname(int af, int type)
{

	if (af == NB_AF_INET)
		return type == NB_SOCK_STREAM ? "tcp4" : "udp4";
	return type == NB_SOCK_STREAM ? "tcp6" : "udp6";
}

static uint64_t
net_denied(void)
{
	uint64_t v = 0;

	use(p_host);
	(void)sc_quad(JAIL_SYSCTL_COUNTERS ".network", &v);
	return v;
}

/* want: 0 or EACCES; a DENY of the model is also counted, once. */
static void
port(struct lwp *l, const char *who, int af, int type, uint16_t p, int want,
    bool bymodel)
{
	uint64_t n0, n1;
	int e;

	n0 = net_denied();
	use(l);
	e = bindp(af, type, p, NULL, NULL);
	n1 = net_denied();
	check(e == want && n1 - n0 == (bymodel ? 1u : 0u),
	    "%s binds %s port %u: errno %d (want %d), counted %llu", who,
	    afname(af, type), p, e, want, (unsigned long long)(n1 - n0));
}

static int
set_one(const char *pfx, const char *what, int v)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.%s", pfx, what);
	return sc(name, NULL, NULL, &v, sizeof(v));
}

/* Both ranges; the bound that keeps min <= max goes first. */
static int
set_range(int lo, int hi, bool up)
{
	static const char *const pfx[2] = { "net.inet.ip", "net.inet6.ip6" };
	int i, e;

	use(p_host);
	for (e = 0, i = 0; i < 2 && e == 0; i++) {
		if (up && (e = set_one(pfx[i], "anonportmax", hi)) == 0)
			e = set_one(pfx[i], "anonportmin", lo);
		if (!up && (e = set_one(pfx[i], "anonportmin", lo)) == 0)
			e = set_one(pfx[i], "anonportmax", hi);
	}
	return e;
}

/* Autoassign with the ephemeral range shrunk to 40000..40003. */
static void
steering(int af)
{
	const char *n = afname(af, NB_SOCK_STREAM);
	uint16_t got;
	int s, e;

	use(p_host);
	got = 0;
	e = bindp(af, NB_SOCK_STREAM, 0, &s, &got);
	check(e == 0 && got == 40000, "host root %s bind(0) steered around "
	    "40001..40003: port %u, errno %d", n, got, e);
	/* 8.99.25's portalgo may then step out of the range, not in. */
	got = 0;
	e = bindp(af, NB_SOCK_STREAM, 0, NULL, &got);
	check(e != 0 || got < 40001 || got > 40003, "host root %s bind(0) "
	    "with 40000 in use: not a reserved port (%u, errno %d)", n, got,
	    e);
	if (s >= 0)
		rump_sys_close(s);
	use(p_alpha);
	got = 0;
	e = bindp(af, NB_SOCK_STREAM, 0, NULL, &got);
	check(e == 0 && (got == 40000 || got == 40001), "alpha %s bind(0): "
	    "port %u (40000 or its own 40001)", n, got);
	use(p_beta);
	got = 0;
	e = bindp(af, NB_SOCK_STREAM, 0, NULL, &got);
	check(e == 0 && got != 40001 && got >= 40000 && got <= 40003,
	    "beta %s bind(0): port %u (not alpha's 40001)", n, got);
}

void
test_ports(void)
{
	static const int afs[2] = { NB_AF_INET, NB_AF_INET6 };
	uint16_t got;
	int i, af, e;

	for (i = 0; i < 2; i++) {
		af = afs[i];
		port(p_alpha, "alpha", af, NB_SOCK_STREAM, 8080, 0, false);
		port(p_beta, "beta", af, NB_SOCK_STREAM, 8080, EACCES, true);
		port(p_gamma, "gamma (anyport)", af, NB_SOCK_STREAM, 8080,
		    EACCES, true);
		port(p_user, "host user", af, NB_SOCK_STREAM, 8080, EACCES,
		    true);
		port(p_host, "host root", af, NB_SOCK_STREAM, 8080, 0, false);
		port(p_user, "host user", af, NB_SOCK_DGRAM, 8080, 0, false);
		port(p_alpha, "alpha", af, NB_SOCK_DGRAM, 5353, 0, false);
		port(p_beta, "beta", af, NB_SOCK_DGRAM, 5353, EACCES, true);
		port(p_user, "host user", af, NB_SOCK_STREAM, 5353, 0, false);
		port(p_alpha, "alpha", af, NB_SOCK_STREAM, 9090, EACCES, true);
		port(p_alpha, "alpha", af, NB_SOCK_STREAM, 7000, EACCES, true);
		port(p_gamma, "gamma (anyport)", af, NB_SOCK_STREAM, 7000, 0,
		    false);
		port(p_user, "host user", af, NB_SOCK_STREAM, 7000, 0, false);
		port(p_alpha, "alpha", af, NB_SOCK_STREAM, 50000, 0, false);
		/* Its own privileged port: DEFER, so root only. */
		port(p_alpha, "alpha root", af, NB_SOCK_STREAM, 80, 0, false);
		port(p_alpha_user, "alpha uid 1001", af, NB_SOCK_STREAM, 80,
		    EACCES, false);
		port(p_alpha_user, "alpha uid 1001", af, NB_SOCK_STREAM, 8080,
		    0, false);
		use(p_alpha);
		got = 0;
		e = bindp(af, NB_SOCK_STREAM, 0, NULL, &got);
		check(e == 0 && got >= 49152, "alpha %s bind(0): port %u",
		    afname(af, NB_SOCK_STREAM), got);
	}

	e = set_range(40000, 40003, false);
	check(e == 0, "ephemeral range set to 40000..40003: errno %d", e);
	steering(NB_AF_INET);
	steering(NB_AF_INET6);
	/* The module reads the kernel's range at each bind. */
	port(p_alpha, "alpha", NB_AF_INET, NB_SOCK_STREAM, 50000, EACCES,
	    true);
	port(p_alpha, "alpha", NB_AF_INET, NB_SOCK_STREAM, 40000, 0, false);
	e = set_range(49152, 65535, true);
	check(e == 0, "ephemeral range back to 49152..65535: errno %d", e);
}

/* The pids kern.proc2 shows the caller. */
static size_t
proc2(int *pids, size_t max)
{
	static uint8_t buf[64 * NB_KP2_SIZE];
	int mib[6] = { NB_CTL_KERN, NB_KERN_PROC2, NB_KERN_PROC_ALL, 0,
	    NB_KP2_SIZE, 64 };
	size_t len = sizeof(buf), i, n;

	if (rump_sys___sysctl(mib, 6, buf, &len, NULL, 0) == -1)
		return 0;
	for (n = 0, i = 0; i + NB_KP2_SIZE <= len && n < max;
	    i += NB_KP2_SIZE)
		memcpy(&pids[n++], buf + i + NB_KP2_PID, sizeof(int));
	return n;
}

static bool
sees(struct lwp *who, int pid)
{
	int pids[64];
	size_t i, n;

	use(who);
	n = proc2(pids, 64);
	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int
pid_of(struct lwp *l)
{

	use(l);
	return rump_sys_getpid();
}

/* proc.<pid>.rlimit.descriptors.soft, read by who. */
static int
rlimit_of(struct lwp *who, int pid)
{
	int mib[5] = { NB_CTL_PROC, pid, NB_PROC_PID_LIMIT,
	    NB_PROC_PID_LIMIT_NOFILE, NB_PROC_PID_LIMIT_SOFT };
	uint64_t v;
	size_t len = sizeof(v);

	use(who);
	return rv_errno(rump_sys___sysctl(mib, 5, &v, &len, NULL, 0));
}

/* proc.<pid>.corename, read by who. */
static int
corename_of(struct lwp *who, int pid)
{
	int mib[3] = { NB_CTL_PROC, pid, NB_PROC_PID_CORENAME };
	char name[256];
	size_t len = sizeof(name);

	use(who);
	return rv_errno(rump_sys___sysctl(mib, 3, name, &len, NULL, 0));
}

/*
 * ktrace(2) of pid by who into its /kt, then cleared again; *deniedp:
 * the process-scope denials it caused.
 */
static int
ktrace_of(struct lwp *who, int pid, uint64_t *deniedp)
{
	uint64_t before = 0, after = 0;
	int fd, e;

	use(p_host);
	(void)sc_quad(JAIL_SYSCTL_COUNTERS ".process", &before);

	use(who);
	if ((fd = rump_sys_open("/kt", RUMP_O_CREAT | RUMP_O_RDWR, 0600)) !=
	    -1)
		rump_sys_close(fd);
	e = rv_errno(rump_sys_ktrace("/kt", NB_KTROP_SET, NB_KTRFAC_SYSCALL,
	    pid));
	if (e == 0)
		(void)rump_sys_ktrace("/kt", NB_KTROP_CLEAR, NB_KTRFAC_SYSCALL,
		    pid);
	use(p_host);
	(void)sc_quad(JAIL_SYSCTL_COUNTERS ".process", &after);
	*deniedp = after - before;
	return e;
}

/* TCP sockets net.inet.tcp.pcblist shows who (SOCKET_CANSEE). */
static int
pcbs_seen(struct lwp *who)
{
	static uint8_t buf[64 * NB_KINFO_PCB_SIZE];
	int mib[16], e;
	u_int len;
	size_t n;

	use(who);
	if ((e = sc_mib("net.inet.tcp.pcblist", mib, &len)) != 0)
		return -e;
	mib[len++] = 0;		/* PCB_ALL */
	mib[len++] = 0;
	mib[len++] = NB_KINFO_PCB_SIZE;
	mib[len++] = 64;
	n = sizeof(buf);
	if (rump_sys___sysctl(mib, len, buf, &n, NULL, 0) == -1)
		return -errno;
	return (int)(n / NB_KINFO_PCB_SIZE);
}

static void
sockets(void)
{
	int sh, sa, nh, na, nb;

	sh = sa = -1;
	use(p_host);
	(void)bindp(NB_AF_INET, NB_SOCK_STREAM, 7100, &sh, NULL);
	use(p_alpha);
	(void)bindp(NB_AF_INET, NB_SOCK_STREAM, 50100, &sa, NULL);
	nh = pcbs_seen(p_host);
	na = pcbs_seen(p_alpha);
	nb = pcbs_seen(p_beta);
	check(sh >= 0 && sa >= 0 && nh >= 2 && na == 1 && nb == 0,
	    "net.inet.tcp.pcblist: host root sees %d sockets, alpha %d "
	    "(its own), beta %d", nh, na, nb);
	use(p_host);
	rump_sys_close(sh);
	use(p_alpha);
	rump_sys_close(sa);
}

void
test_visibility(void)
{
	static const struct {
		const char	*who;
		const char	*whom;
		int		expect;
	} t[] = {
		{ "host root", "alpha", 1 }, { "host root", "beta", 1 },
		{ "host root", "host user", 1 },
		{ "alpha", "alpha", 1 }, { "alpha", "alpha uid 1001", 1 },
		{ "alpha", "host root", 0 }, { "alpha", "beta", 0 },
		{ "alpha", "host user", 0 },
		{ "alpha uid 1001", "alpha", 1 },
		{ "beta", "alpha", 0 }, { "beta", "beta", 1 },
		{ "host user", "host root", 1 }, { "host user", "alpha", 0 },
		{ "host user", "gamma", 0 },
	};
	struct {
		const char	*name;
		struct lwp	*l;
		int		pid;
	} p[] = {
		{ "host root", p_host, 0 }, { "host user", p_user, 0 },
		{ "alpha", p_alpha, 0 }, { "alpha uid 1001", p_alpha_user, 0 },
		{ "beta", p_beta, 0 }, { "gamma", p_gamma, 0 },
	};
	size_t i, a, b, np = sizeof(p) / sizeof(p[0]);
	uint64_t n;
	int e;

	for (i = 0; i < np; i++)
		p[i].pid = pid_of(p[i].l);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (a = 0; a < np && strcmp(p[a].name, t[i].who) != 0; a++)
			continue;
		for (b = 0; b < np && strcmp(p[b].name, t[i].whom) != 0; b++)
			continue;
		if (a == np || b == np) {
			check(false, "visibility table: %s, %s", t[i].who,
			    t[i].whom);
			continue;
		}
		check(sees(p[a].l, p[b].pid) == (t[i].expect != 0),
		    "kern.proc2: %s %s %s (pid %d)", t[i].who,
		    t[i].expect ? "sees" : "does not see", t[i].whom,
		    p[b].pid);
	}
	/* A per-process node of another jail's process. */
	expect(rlimit_of(p_alpha, p[0].pid), EPERM,
	    "alpha reads host root's proc.%d.rlimit", p[0].pid);
	expect(rlimit_of(p_alpha, p[3].pid), 0,
	    "alpha reads its uid 1001's proc.%d.rlimit", p[3].pid);
	expect(rlimit_of(p_user, p[2].pid), EPERM,
	    "host user reads alpha's proc.%d.rlimit", p[2].pid);
	expect(rlimit_of(p_host, p[2].pid), 0,
	    "host root reads alpha's proc.%d.rlimit", p[2].pid);
	expect(corename_of(p_alpha, p[0].pid), EPERM,
	    "alpha reads host root's proc.%d.corename", p[0].pid);
	expect(corename_of(p_alpha, p[3].pid), 0,
	    "alpha reads its uid 1001's proc.%d.corename", p[3].pid);
	/*
	 * 8.99.25's ktrops() skips a process ktrcanset() refuses and
	 * ktrace(2) still returns 0: the denial shows on the counter.
	 */
	e = ktrace_of(p_alpha, p[0].pid, &n);
	check(n == 2, "alpha ktraces host root (pid %d): %llu denials "
	    "(set and clear), errno %d", p[0].pid, (unsigned long long)n, e);
	e = ktrace_of(p_alpha, p[4].pid, &n);
	check(n == 2, "alpha ktraces beta (pid %d): %llu denials, errno %d",
	    p[4].pid, (unsigned long long)n, e);
	e = ktrace_of(p_alpha, p[3].pid, &n);
	check(e == 0 && n == 0, "alpha ktraces its uid 1001 (pid %d): "
	    "%llu denials, errno %d", p[3].pid, (unsigned long long)n, e);
	sockets();
}
