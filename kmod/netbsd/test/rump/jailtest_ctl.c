/*	$Jails: jailtest_ctl.c $	*/

/*
 * The control plane (create, list, enter, destroy), the ABI version
 * check, credentials across fork and setuid, the counters and the
 * audit rate limit, and the module's unload.
 */

#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jailtest.h"

static const struct jail_port alpha_ports[] = {
	{ 8080, JAIL_PROTO_TCP, 0 },
	{ 5353, JAIL_PROTO_UDP, 0 },
	{ 80, JAIL_PROTO_TCP, 0 },
	{ 40001, JAIL_PROTO_ALL, 0 },
};
static const struct jail_port beta_ports[] = {
	{ 9090, JAIL_PROTO_ALL, 0 },
	{ 40002, JAIL_PROTO_ALL, 0 },
	{ 40003, JAIL_PROTO_ALL, 0 },
};

void
test_control(void)
{
	struct jail_create_reply rep;
	struct jail_create_req req;
	struct jail_id_req idr;
	struct jail_info ji[8], one;
	struct jail_port p;
	struct lwp *l;
	char name[16];
	size_t len, n;
	int v, e;

	use(p_host);
	v = -1;
	e = sc_int(JAIL_SYSCTL_VERSION, &v);
	check(e == 0 && v == JAIL_ABI_VERSION, "version node reads %d", v);
	len = sizeof(name);
	memset(name, 0, sizeof(name));
	e = sc(JAIL_SYSCTL_ROOT ".name", name, &len, NULL, 0);
	check(e == 0 && strcmp(name, "Jails") == 0, "name node reads \"%s\"",
	    name);
	check(jail_id() == 0, "host reads id 0");

	e = jail_create("alpha", JAIL_PROFILE_MEDIUM, 0, alpha_ports, 4, &rep);
	j_alpha = rep.jr_id;
	check(e == 0 && j_alpha >= 1, "create alpha (medium): id %d, errno %d",
	    j_alpha, e);
	e = jail_create("beta", JAIL_PROFILE_LOW, 0, beta_ports, 3, &rep);
	j_beta = rep.jr_id;
	check(e == 0 && j_beta == j_alpha + 1, "create beta (low): id %d",
	    j_beta);
	e = jail_create("gamma", JAIL_PROFILE_HIGH, JAIL_FLAG_ANYPORT, NULL, 0,
	    &rep);
	j_gamma = rep.jr_id;
	check(e == 0 && j_gamma == j_beta + 1, "create gamma (high, anyport): "
	    "id %d", j_gamma);

	e = jail_create("alpha", JAIL_PROFILE_LOW, 0, NULL, 0, &rep);
	check(e == EEXIST && rep.jr_conflict_id == j_alpha,
	    "create of a taken name: errno %d, conflict id %d", e,
	    rep.jr_conflict_id);
	p = (struct jail_port){ 8080, JAIL_PROTO_ALL, 0 };
	e = jail_create("delta", JAIL_PROFILE_LOW, 0, &p, 1, &rep);
	check(e == RUMP_EADDRINUSE && rep.jr_conflict_id == j_alpha &&
	    rep.jr_conflict_port == 8080 &&
	    rep.jr_conflict_proto == JAIL_PROTO_TCP,
	    "create of a held port: errno %d, conflict %d port %u proto %u",
	    e, rep.jr_conflict_id, rep.jr_conflict_port,
	    rep.jr_conflict_proto);
	expect(jail_create("delta", 7, 0, NULL, 0, &rep), EINVAL,
	    "create with an unknown profile");
	expect(jail_create("a/b", 0, 0, NULL, 0, &rep), EINVAL,
	    "create with a bad name");

	/* A reply buffer too short is refused before anything changes. */
	memset(&req, 0, sizeof(req));
	req.jc_abi_version = JAIL_ABI_VERSION;
	strcpy(req.jc_name, "delta");
	len = 8;
	expect(sc(JAIL_SYSCTL_CREATE, &rep, &len, &req, sizeof(req)), ENOMEM,
	    "create with an 8-byte reply buffer");
	expect(sc(JAIL_SYSCTL_CREATE, NULL, NULL, &req, sizeof(req) - 4),
	    EINVAL, "create with a short request");

	/* ABI version. */
	req.jc_abi_version = JAIL_ABI_VERSION + 1;
	expect(sc(JAIL_SYSCTL_CREATE, NULL, NULL, &req, sizeof(req)),
	    RUMP_EPROTO, "create with ABI version %u", JAIL_ABI_VERSION + 1);
	idr = (struct jail_id_req){ JAIL_ABI_VERSION + 1, j_alpha };
	expect(sc(JAIL_SYSCTL_DESTROY, NULL, NULL, &idr, sizeof(idr)),
	    RUMP_EPROTO, "destroy with a wrong ABI version");
	expect(sc(JAIL_SYSCTL_ENTER, NULL, NULL, &idr, sizeof(idr)),
	    RUMP_EPROTO, "enter with a wrong ABI version");

	/* list: size query, then the entries. */
	len = 0;
	e = sc(JAIL_SYSCTL_LIST, NULL, &len, NULL, 0);
	check(e == 0 && len == 3 * sizeof(struct jail_info),
	    "list size query: %zu bytes", len);
	len = sizeof(ji[0]);
	expect(sc(JAIL_SYSCTL_LIST, ji, &len, NULL, 0), ENOMEM,
	    "list into a buffer for one entry");
	e = jail_list(ji, 8, &n);
	check(e == 0 && n == 3 && strcmp(ji[0].ji_name, "alpha") == 0 &&
	    ji[0].ji_profile == JAIL_PROFILE_MEDIUM && ji[0].ji_nports == 4 &&
	    ji[0].ji_ports[0].jp_port == 8080 &&
	    ji[2].ji_flags == JAIL_FLAG_ANYPORT &&
	    ji[0].ji_abi_version == JAIL_ABI_VERSION,
	    "list: %zu jails, alpha first with its ports", n);
	check(jail_find(j_beta, &one) && one.ji_nprocs == 0,
	    "beta has no processes yet");

	/* destroy and enter errors. */
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, 200), ENOENT,
	    "destroy of a free id");
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, 0), EINVAL, "destroy of id 0");
	l = spawn(p_host);
	expect(jail_idreq(JAIL_SYSCTL_ENTER, j_alpha), EPERM,
	    "enter without chroot");
	check(jail_id() == 0, "still on the host after a refused enter");
	reap(l);
}

/*
 * Members, and the credential staying in its jail.  Every rfork runs
 * the cred scope's KAUTH_CRED_FORK hook, every chroot its
 * KAUTH_CRED_CHROOT hook and every setuid KAUTH_CRED_COPY and _FREE:
 * kauth_cred_hook() asserts (DIAGNOSTIC) that a listened scope says
 * ALLOW, so a listener answering DEFER panics the kernel here.
 */
void
test_creds(void)
{
	struct jail_create_reply rep;
	struct jail_info ji[4];
	struct lwp *l;
	uint64_t live0, live1;
	size_t n;
	int i, e, bad;

	/*
	 * The failure paths of enter give the credential back intact and
	 * free the new one: kern.jailtest_creds (test/rump/credcount.c)
	 * counts live credentials.
	 */
	l = spawn(p_host);
	check(rump_sys_chroot("/jail") == 0, "host root chroots to /jail");
	expect(jail_idreq(JAIL_SYSCTL_ENTER, 200), ENOENT,
	    "enter of a free id");
	live0 = live1 = 0;
	e = sc_quad("kern.jailtest_creds", &live0);
	for (bad = 0, i = 0; i < 64; i++)
		if (jail_idreq(JAIL_SYSCTL_ENTER, 200) != ENOENT)
			bad++;
	check(bad == 0, "64 more refused enters: %d not ENOENT", bad);
	if (e == 0)
		e = sc_quad("kern.jailtest_creds", &live1);
	check(e == 0 && live1 == live0, "no credential leaked by them: "
	    "%lld live before, %lld after", (long long)live0,
	    (long long)live1);
	check(jail_id() == 0 && rump_sys_geteuid() == 0,
	    "after refused enters: id %d euid %d", jail_id(),
	    rump_sys_geteuid());
	e = jail_create("scratch", JAIL_PROFILE_LOW, 0, NULL, 0, &rep);
	check(e == 0 && jail_idreq(JAIL_SYSCTL_DESTROY, rep.jr_id) == 0,
	    "and it still runs the control plane (create+destroy: %d)", e);
	reap(l);

	p_alpha = spawn_jailed((uint32_t)j_alpha);
	check(jail_id() == j_alpha, "entered alpha: id %d", jail_id());
	check(rump_sys_geteuid() == 0, "jailed root keeps euid 0");
	expect(jail_idreq(JAIL_SYSCTL_ENTER, j_beta), EPERM,
	    "a jailed process enters another jail");
	check(jail_id() == j_alpha, "still in alpha");
	expect(jail_create("evil", 0, 0, NULL, 0, &rep), EPERM,
	    "jailed root creates a jail");
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_beta), EPERM,
	    "jailed root destroys a jail");

	p_alpha_user = spawn(p_alpha);
	check(jail_id() == j_alpha, "fork in alpha: the child is in alpha "
	    "(the cred listener answered ALLOW to KAUTH_CRED_FORK)");
	check(rump_sys_setuid(1001) == 0 && rump_sys_geteuid() == 1001,
	    "setuid(1001) in alpha");
	check(jail_id() == j_alpha, "after setuid: still in alpha (id %d)",
	    jail_id());
	expect(rv_errno(rump_sys_setuid(0)), EPERM, "setuid(0) back");
	l = spawn(p_alpha_user);
	check(jail_id() == j_alpha && rump_sys_geteuid() == 1001,
	    "fork of the setuid child: alpha, euid 1001");
	reap(l);

	use(p_alpha);
	e = jail_list(ji, 4, &n);
	check(e == 0 && n == 1 && ji[0].ji_id == j_alpha &&
	    ji[0].ji_nprocs == 2, "alpha lists only alpha, with %u processes",
	    n == 1 ? ji[0].ji_nprocs : 0);

	p_beta = spawn_jailed((uint32_t)j_beta);
	p_gamma = spawn_jailed((uint32_t)j_gamma);
	p_user = spawn(p_host);
	check(rump_sys_setuid(1000) == 0 && jail_id() == 0,
	    "a host user (uid 1000)");
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_beta), EPERM,
	    "a host user destroys a jail");
	use(p_host);
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_alpha), EBUSY,
	    "destroy of alpha with members");
}

/*
 * Every denial is counted per scope and per jail; log lines are rate
 * limited (burst 10 per scope, then 1/s), and visibility filtering is
 * counted but never logged.
 */
void
test_audit(void)
{
	struct jail_info before, after;
	uint64_t sys0, sys1, sup0, sup1, proc0, proc1;
	int i, bad;

	use(p_host);
	check(sc_quad(JAIL_SYSCTL_COUNTERS ".system", &sys0) == 0 &&
	    sc_quad(JAIL_SYSCTL_COUNTERS ".log_suppressed", &sup0) == 0 &&
	    jail_find(j_alpha, &before), "read the counters");
	use(p_alpha);
	for (bad = 0, i = 0; i < 15; i++)
		if (rv_errno(rump_sys_chroot("/")) != EPERM)
			bad++;
	check(bad == 0, "15 chroots denied in alpha (%d not EPERM)", bad);
	/* The counters are readable from a jail. */
	check(sc_quad(JAIL_SYSCTL_COUNTERS ".system", &sys1) == 0 &&
	    sc_quad(JAIL_SYSCTL_COUNTERS ".log_suppressed", &sup1) == 0,
	    "alpha reads the counters");
	use(p_host);
	check(sys1 - sys0 == 15, "counters.system: +%llu",
	    (unsigned long long)(sys1 - sys0));
	memset(&after, 0, sizeof(after));
	(void)jail_find(j_alpha, &after);
	check(after.ji_denied - before.ji_denied == 15,
	    "alpha's ji_denied: +%llu",
	    (unsigned long long)(after.ji_denied - before.ji_denied));
	/* At most 10 + 1 lines pass in under 2 s; 15 denials were made. */
	check(sup1 - sup0 >= 3 && sup1 - sup0 <= 15,
	    "log_suppressed: +%llu of 15", (unsigned long long)(sup1 - sup0));

	/* A process list in alpha hides the others: counted, not logged. */
	check(sc_quad(JAIL_SYSCTL_COUNTERS ".process", &proc0) == 0 &&
	    sc_quad(JAIL_SYSCTL_COUNTERS ".log_suppressed", &sup0) == 0,
	    "read the counters again");
	use(p_alpha);
	{
		int mib[6] = { NB_CTL_KERN, NB_KERN_PROC2, NB_KERN_PROC_ALL, 0,
		    NB_KP2_SIZE, 64 };
		static uint8_t buf[64 * NB_KP2_SIZE];
		size_t len = sizeof(buf);

		check(rump_sys___sysctl(mib, 6, buf, &len, NULL, 0) == 0,
		    "kern.proc2 in alpha");
	}
	use(p_host);
	proc1 = sup1 = 0;
	(void)sc_quad(JAIL_SYSCTL_COUNTERS ".process", &proc1);
	(void)sc_quad(JAIL_SYSCTL_COUNTERS ".log_suppressed", &sup1);
	check(proc1 > proc0 && sup1 == sup0,
	    "CANSEE denials: process +%llu, log_suppressed +%llu",
	    (unsigned long long)(proc1 - proc0),
	    (unsigned long long)(sup1 - sup0));
}

/*
 * The audit callout writes the queued lines with log(9) once a second;
 * the rump kernel prints them on the program's standard output, which
 * is caught in a file for 1.2 seconds, which
 * always holds a tick of the callout.  The queue holds 16 lines; what
 * did not fit is reported as lost.
 */
void
test_logged(void)
{
	char path[] = "/tmp/jailtest-log.XXXXXX", line[512];
	FILE *f;
	int fd, saved, denied, chroot, lost, other;

	fflush(stdout);
	if ((fd = mkstemp(path)) == -1 || (saved = dup(1)) == -1) {
		check(false, "capture the console: %s", strerror(errno));
		return;
	}
	dup2(fd, 1);
	close(fd);
	usleep(1200000);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	denied = chroot = lost = other = 0;
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			fputs(line, stdout);
			if (strstr(line, "secmodel_jail: denied ") != NULL) {
				denied++;
				if (strstr(line, "system.CHROOT to jail") &&
				    strstr(line, "suppressed before"))
					chroot++;
			} else if (strstr(line, "denial lines lost") != NULL)
				lost++;
			else
				other++;
		}
		fclose(f);
	}
	unlink(path);
	check(denied >= 1 && denied <= 16 && chroot >= 1,
	    "the callout logged %d denial lines (%d of CHROOT), at most the "
	    "queue's 16", denied, chroot);
	check(lost <= 1, "lost lines reported %d time(s)", lost);
}

/* Destroy. */
void
test_teardown(void)
{
	struct jail_info ji;
	size_t n;

	use(p_host);
	reap(p_alpha_user);
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_alpha), EBUSY,
	    "destroy of alpha with one member left");
	reap(p_alpha);
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_alpha), 0,
	    "destroy of alpha once empty");
	check(!jail_find(j_alpha, &ji), "alpha is no longer listed");
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_alpha), ENOENT,
	    "destroy of alpha again");
	use(p_user);
	expect(bindp(NB_AF_INET, NB_SOCK_STREAM, 8080, NULL, NULL), 0,
	    "a host user binds alpha's old port 8080");
	expect(bindp(NB_AF_INET, NB_SOCK_STREAM, 9090, NULL, NULL), EACCES,
	    "but not beta's 9090");
	reap(p_beta);
	reap(p_gamma);
	reap(p_user);
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_beta), 0, "destroy beta");
	expect(jail_idreq(JAIL_SYSCTL_DESTROY, j_gamma), 0, "destroy gamma");
	check(jail_list(&ji, 1, &n) == 0 && n == 0, "no jail left");
}
