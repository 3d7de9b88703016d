/*	$Jails: jailtest_sys.c $	*/

/*
 * Profiles: every denial of the profile table that a rump kernel can
 * reach, run by the root of a low (beta), a medium (alpha) and a high
 * (gamma) jail, and by host root.  A denial by this model is told from
 * one by the rest of the kernel by the scope's denial counter: it must
 * grow by exactly one when the table says deny, and not at all
 * otherwise.
 */

#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "jailtest.h"

static int
a_chroot(void)
{

	return rv_errno(rump_sys_chroot("/"));
}

static int
a_mknod(void)
{
	static int n;
	char path[32];

	snprintf(path, sizeof(path), "/node%d", n++);
	return rv_errno(rump_sys_mknod(path, NB_S_IFCHR | 0600, 0));
}

static int
a_sysctl_write(void)
{
	static const char host[] = "rumphost";

	return sc("kern.hostname", NULL, NULL, host, sizeof(host));
}

static int
a_settime(void)
{
	struct timeval tv;

	if (rump_sys_gettimeofday(&tv, NULL) == -1)
		return errno;
	return rv_errno(rump_sys_settimeofday(&tv, NULL));
}

static int
a_modload(void)
{
	struct nb_modctl_load ml = { "jailtest_nonexistent", 0, NULL, 0 };

	return rv_errno(rump_sys_modctl(NB_MODCTL_LOAD, &ml));
}

static int
a_getfh(void)
{
	uint8_t fh[128];
	size_t len = sizeof(fh);

	return rv_errno(rump_sys_getfh("/", fh, &len));
}

static int
a_mount(void)
{
	int e;

	e = rv_errno(rump_sys_mount("rumpfs", "/mnt", 0, NULL, 0));
	if (e == 0)
		(void)rump_sys_unmount("/mnt", 0);
	return e;
}

static int
a_rawsock(void)
{
	int s;

	s = rump_sys_socket(NB_AF_INET, NB_SOCK_RAW, NB_IPPROTO_ICMP);
	if (s == -1)
		return errno;
	rump_sys_close(s);
	return 0;
}

static int
a_rawsock6(void)
{
	int s;

	s = rump_sys_socket(NB_AF_INET6, NB_SOCK_RAW, NB_IPPROTO_ICMPV6);
	if (s == -1)
		return errno;
	rump_sys_close(s);
	return 0;
}

/* A routing socket is SOCK_RAW too, and open to everybody. */
static int
a_routesock(void)
{
	int s;

	s = rump_sys_socket(NB_PF_ROUTE, NB_SOCK_RAW, 0);
	if (s == -1)
		return errno;
	rump_sys_close(s);
	return 0;
}

static int
a_pfkey(void)
{
	int s;

	s = rump_sys_socket(NB_PF_KEY, NB_SOCK_RAW, 2);
	if (s == -1)
		return errno;
	rump_sys_close(s);
	return 0;
}

/* Interface flags of lo0: get, then set them unchanged. */
static int
a_ifflags(bool set)
{
	uint8_t ifr[NB_IFREQ_SIZE];
	int s, e;

	if ((s = rump_sys_socket(NB_AF_INET, NB_SOCK_DGRAM, 0)) == -1)
		return errno;
	memset(ifr, 0, sizeof(ifr));
	strcpy((char *)ifr, "lo0");
	e = rv_errno(rump_sys_ioctl(s, NB_SIOCGIFFLAGS, ifr));
	if (e == 0 && set)
		e = rv_errno(rump_sys_ioctl(s, NB_SIOCSIFFLAGS, ifr));
	rump_sys_close(s);
	return e;
}

static int
a_ifget(void)
{

	return a_ifflags(false);
}

static int
a_ifset(void)
{

	return a_ifflags(true);
}

/* A hop-by-hop option header (only PadN): root only, and medium. */
static int
a_hopopts(void)
{
	static const uint8_t hbh[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	int s, e;

	if ((s = rump_sys_socket(NB_AF_INET6, NB_SOCK_DGRAM, 0)) == -1)
		return errno;
	e = rv_errno(rump_sys_setsockopt(s, NB_IPPROTO_IPV6, NB_IPV6_HOPOPTS,
	    hbh, sizeof(hbh)));
	rump_sys_close(s);
	return e;
}

/* Joining the unspecified group (all groups): root only, and high. */
static int
a_join_any(void)
{
	struct {
		uint8_t		addr[16];
		uint32_t	ifindex;
	} mreq;
	int s, e;

	if ((s = rump_sys_socket(NB_AF_INET6, NB_SOCK_DGRAM, 0)) == -1)
		return errno;
	memset(&mreq, 0, sizeof(mreq));
	mreq.ifindex = 1;
	e = rv_errno(rump_sys_setsockopt(s, NB_IPPROTO_IPV6,
	    NB_IPV6_JOIN_GROUP, &mreq, sizeof(mreq)));
	rump_sys_close(s);
	return e;
}

/* mount -o getargs of /mnt, a rumpfs that host root mounted there. */
static int
a_getargs(void)
{
	uint8_t args[256];

	return rv_errno(rump_sys_mount("rumpfs", "/mnt", NB_MNT_GETARGS,
	    args, sizeof(args)));
}

/*
 * deny: the lowest profile that denies (JAIL_PROFILE_*, 3: none);
 * okerr: the result when the model defers, -1 for "whatever the
 * kernel says".
 */
static const struct pcase {
	const char	*name;
	const char	*scope;
	int		(*fn)(void);
	int		deny;
	int		okerr;
	int		hosterr;
	int		denyerr;	/* 0: EPERM */
} cases[] = {
	{ "system.CHROOT", "system", a_chroot, 1, 0, 0, 0 },
	{ "system.MKNOD", "system", a_mknod, 1, 0, 0, 0 },
	{ "system.SYSCTL_WRITE", "system", a_sysctl_write, 1, 0, 0, 0 },
	{ "system.TIME", "system", a_settime, 0, 0, 0, 0 },
	{ "system.MODULE", "system", a_modload, 0, -1, -1, 0 },
	{ "system.FILEHANDLE", "system", a_getfh, 1, -1, -1, 0 },
	{ "system.MOUNT_MODIFY", "system", a_mount, 1, -1, -1, 0 },
	{ "network.SOCKET_RAWSOCK (inet)", "network", a_rawsock, 1, 0, 0, 0 },
	{ "network.SOCKET_RAWSOCK (inet6)", "network", a_rawsock6, 1, 0, 0, 0 },
	{ "network.SOCKET_OPEN (route)", "network", a_routesock, 3, 0, 0, 0 },
	{ "network.SOCKET_OPEN_KEY", "network", a_pfkey, 1, -1, -1, 0 },
	{ "network.IFACE_GET", "network", a_ifget, 3, 0, 0, 0 },
	{ "network.IFACE_SET", "network", a_ifset, 1, 0, 0, 0 },
	{ "network.IPV6_HOPBYHOP", "network", a_hopopts, 1, 0, 0, 0 },
	{ "network.IPV6_JOIN_MULTICAST", "network", a_join_any, 2, -1, -1,
	    EACCES },
	{ "system.MOUNT_GET", "system", a_getargs, 2, -1, -1, 0 },
};

static uint64_t
counter(const char *scope)
{
	char name[80];
	uint64_t v = 0;

	snprintf(name, sizeof(name), "%s.%s", JAIL_SYSCTL_COUNTERS, scope);
	use(p_host);
	(void)sc_quad(name, &v);
	return v;
}

static void
run(const struct pcase *c, struct lwp *l, const char *who, int profile)
{
	uint64_t before, after;
	bool deny;
	int e, want;

	deny = profile >= 0 && profile >= c->deny;
	want = profile < 0 ? c->hosterr : c->okerr;
	before = counter(c->scope);
	use(l);
	e = c->fn();
	after = counter(c->scope);
	if (deny)
		check(e == (c->denyerr != 0 ? c->denyerr : EPERM) &&
		    after - before == 1,
		    "%s as %s: denied (errno %d, counted %llu)", c->name, who,
		    e, (unsigned long long)(after - before));
	else
		check((want < 0 || e == want) && after == before,
		    "%s as %s: deferred (errno %d, counted %llu)", c->name, who,
		    e, (unsigned long long)(after - before));
}

void
test_profiles(void)
{
	size_t i;

	/* For MOUNT_GET: a mount point in the jails' root. */
	use(p_host);
	expect(rv_errno(rump_sys_mount("rumpfs", "/jail/mnt", 0, NULL, 0)),
	    0, "host root mounts a rumpfs on /jail/mnt");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&cases[i], p_host, "host root", -1);
		run(&cases[i], p_beta, "low root", JAIL_PROFILE_LOW);
		run(&cases[i], p_alpha, "medium root", JAIL_PROFILE_MEDIUM);
		run(&cases[i], p_gamma, "high root", JAIL_PROFILE_HIGH);
	}
	use(p_host);
	expect(rv_errno(rump_sys_unmount("/jail/mnt", 0)), 0,
	    "host root unmounts /jail/mnt");
}
