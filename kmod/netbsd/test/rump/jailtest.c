/*	$Jails: jailtest.c $	*/

/*
 * secmodel_jail in a NetBSD 8.99.25 rump kernel: the control plane,
 * credentials, counters and the ABI check.  The profiles are in
 * jailtest_sys.c, ports and visibility in jailtest_net.c.  Prints one
 * line per check and then "N passed, N failed"; exits 1 on a failure.
 */

#include <sys/types.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jailtest.h"

static int npass, nfail;

struct lwp *p_host, *p_user, *p_alpha, *p_alpha_user, *p_beta, *p_gamma;
int32_t j_alpha, j_beta, j_gamma;

void
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		npass++;
	else
		nfail++;
}

/* rv of a rump_sys_*() call: 0 on success, else the NetBSD errno. */
int
rv_errno(int rv)
{

	return rv == -1 ? errno : 0;
}

/* e: the NetBSD errno got (0: success); want: the one expected. */
void
expect(int e, int want, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	check(e == want, "%s: errno %d (want %d)", buf, e, want);
}

void
use(struct lwp *l)
{

	if (rump_pub_lwproc_curlwp() != l)
		rump_pub_lwproc_switch(l);
}

/* A new process, child of parent, sharing its credential. */
struct lwp *
spawn(struct lwp *parent)
{

	use(parent);
	if (rump_pub_lwproc_rfork(RUMP_RFFDG) != 0) {
		fprintf(stderr, "rfork failed\n");
		exit(2);
	}
	return rump_pub_lwproc_curlwp();
}

/* The process exits (its only lwp is released). */
void
reap(struct lwp *l)
{

	use(l);
	rump_pub_lwproc_releaselwp();
	use(p_host);
}

/* A host-root child of p_host, chrooted to /jail, entered into id. */
struct lwp *
spawn_jailed(uint32_t id)
{
	struct lwp *l;
	int e;

	l = spawn(p_host);
	if (rump_sys_chroot("/jail") == -1 ||
	    (e = jail_idreq(JAIL_SYSCTL_ENTER, (int32_t)id)) != 0) {
		fprintf(stderr, "enter jail %u failed\n", id);
		exit(2);
	}
	return l;
}

/* Every node below mib[0..len) (CTL_QUERY); nodes of 96 bytes. */
static int
sc_query(int *mib, u_int len, uint8_t *buf, size_t *buflen)
{
	uint8_t q[NB_SYSCTLNODE_SIZE];
	uint32_t v = NB_SYSCTL_VERS_1;

	memset(q, 0, sizeof(q));
	memcpy(q, &v, sizeof(v));
	mib[len] = NB_CTL_QUERY;
	return rv_errno(rump_sys___sysctl(mib, len + 1, buf, buflen, q,
	    sizeof(q)));
}

/* Resolve a dotted name, like sysctlnametomib(3). */
int
sc_mib(const char *name, int *mib, u_int *lenp)
{
	static uint8_t buf[512 * NB_SYSCTLNODE_SIZE];
	char part[64];
	const char *s, *dot;
	size_t n, i, plen;
	u_int len;
	int e;

	len = 0;
	for (s = name; *s != '\0'; s = *dot != '\0' ? dot + 1 : dot) {
		dot = strchr(s, '.');
		if (dot == NULL)
			dot = s + strlen(s);
		plen = (size_t)(dot - s);
		if (plen >= sizeof(part) || len >= 12)
			return EINVAL;
		memcpy(part, s, plen);
		part[plen] = '\0';
		n = sizeof(buf);
		if ((e = sc_query(mib, len, buf, &n)) != 0)
			return e;
		for (i = 0; i < n; i += NB_SYSCTLNODE_SIZE)
			if (strncmp((char *)buf + i + 8, part, 32) == 0)
				break;
		if (i >= n)
			return ENOENT;
		memcpy(&mib[len++], buf + i + 4, sizeof(int));
	}
	*lenp = len;
	return 0;
}

int
sc(const char *name, void *old, size_t *oldlen, const void *new,
    size_t newlen)
{
	int mib[16];
	u_int len;
	int e;

	if ((e = sc_mib(name, mib, &len)) != 0)
		return e;
	return rv_errno(rump_sys___sysctl(mib, len, old, oldlen, new,
	    newlen));
}

int
sc_int(const char *name, int *v)
{
	size_t len = sizeof(*v);

	return sc(name, v, &len, NULL, 0);
}

int
sc_quad(const char *name, uint64_t *v)
{
	size_t len = sizeof(*v);

	return sc(name, v, &len, NULL, 0);
}

int
jail_id(void)
{
	int id;

	return sc_int(JAIL_SYSCTL_ID, &id) == 0 ? id : -1;
}

int
jail_create(const char *name, uint32_t profile, uint32_t flags,
    const struct jail_port *ports, uint32_t nports,
    struct jail_create_reply *rep)
{
	struct jail_create_req req;
	size_t len = sizeof(*rep);

	memset(&req, 0, sizeof(req));
	req.jc_abi_version = JAIL_ABI_VERSION;
	req.jc_profile = profile;
	req.jc_flags = flags;
	req.jc_nports = nports;
	strncpy(req.jc_name, name, sizeof(req.jc_name) - 1);
	if (nports > 0)
		memcpy(req.jc_ports, ports, nports * sizeof(*ports));
	memset(rep, 0, sizeof(*rep));
	return sc(JAIL_SYSCTL_CREATE, rep, &len, &req, sizeof(req));
}

/* Write a struct jail_id_req to destroy or enter. */
int
jail_idreq(const char *node, int32_t id)
{
	struct jail_id_req r = { JAIL_ABI_VERSION, id };

	return sc(node, NULL, NULL, &r, sizeof(r));
}

int
jail_list(struct jail_info *ji, size_t max, size_t *np)
{
	size_t len = max * sizeof(*ji);
	int e;

	e = sc(JAIL_SYSCTL_LIST, ji, &len, NULL, 0);
	*np = len / sizeof(*ji);
	return e;
}

bool
jail_find(int32_t id, struct jail_info *out)
{
	struct jail_info ji[16];
	size_t i, n;

	if (jail_list(ji, 16, &n) != 0)
		return false;
	for (i = 0; i < n; i++)
		if (ji[i].ji_id == id) {
			*out = ji[i];
			return true;
		}
	return false;
}

void	test_control(void);
void	test_creds(void);
void	test_audit(void);
void	test_logged(void);
void	test_teardown(void);

int
main(void)
{

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rump_init() != 0) {
		fprintf(stderr, "rump_init failed\n");
		return 2;
	}
	/* p_host: host root; /jail: the root directory of every jail. */
	rump_pub_lwproc_rfork(RUMP_RFCFDG);
	p_host = rump_pub_lwproc_curlwp();
	if (rump_sys_mkdir("/jail", 0755) == -1 ||
	    rump_sys_mkdir("/jail/mnt", 0755) == -1) {
		fprintf(stderr, "mkdir /jail failed\n");
		return 2;
	}

	test_control();
	test_creds();
	test_profiles();
	test_ports();
	test_visibility();
	test_audit();
	test_logged();
	test_teardown();

	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}
