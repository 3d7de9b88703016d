/*	$Jails: test_policy.c $	*/

/*
 * Unit tests of the portable policy core (jail_policy.c), run in
 * userland with the host C compiler:
 *
 *	make -f Makefile.test test
 *
 * The expected profile table below is typed in independently of the
 * one in jail_policy.c, so a slip in either shows up as a failure.
 * Ends with "N passed, M failed"; exits non-zero on any failure.
 *
 * "test_policy --markdown" prints the documented table (README.md)
 * from the decisions themselves.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jail_policy.h"

/* NetBSD's AF_INET and AF_INET6; the core takes them as arguments. */
#define	T_AF_INET	2
#define	T_AF_INET6	24

static unsigned passed, failed;

#define	CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, \
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static const char *
dname(int d)
{

	switch (d) {
	case JP_ALLOW:
		return "ALLOW";
	case JP_DENY:
		return "DENY";
	case JP_DEFER:
		return "DEFER";
	default:
		return "?";
	}
}

static struct jp_subject
subj(uint32_t jail, uint32_t euid, uint32_t profile, uint32_t flags)
{
	struct jp_subject s;

	s.js_jail = jail;
	s.js_euid = euid;
	s.js_profile = profile;
	s.js_flags = flags;
	return s;
}

/*
 * Expected decisions for a jailed credential, per profile
 * (low, medium, high): 'D' deny, '-' defer.  "X" marks the
 * cross-jail rows, tested separately.
 */
static const struct {
	enum jp_action	a;
	const char	*lmh;
} expect[] = {
	{ JP_PROC_CANSEE, "X" },
	{ JP_PROC_CORENAME, "X" },
	{ JP_PROC_FORK, "X" },
	{ JP_PROC_KEVENT_FILTER, "X" },
	{ JP_PROC_KTRACE, "X" },
	{ JP_PROC_NICE, "X" },
	{ JP_PROC_PROCFS, "X" },
	{ JP_PROC_PTRACE, "X" },
	{ JP_PROC_RLIMIT, "X" },
	{ JP_PROC_SCHED_GETAFFINITY, "X" },
	{ JP_PROC_SCHED_SETAFFINITY, "X" },
	{ JP_PROC_SCHED_GETPARAM, "X" },
	{ JP_PROC_SCHED_SETPARAM, "X" },
	{ JP_PROC_SETID, "X" },
	{ JP_PROC_SIGNAL, "X" },
	{ JP_PROC_STOPFLAG, "X" },
	{ JP_PROC_UNKNOWN, "DDD" },

	{ JP_SYS_ACCOUNTING, "DDD" },
	{ JP_SYS_CHROOT, "-DD" },
	{ JP_SYS_CHSYSFLAGS, "-DD" },
	{ JP_SYS_CPU, "DDD" },
	{ JP_SYS_DEBUG, "DDD" },
	{ JP_SYS_DEVMAPPER, "DDD" },
	{ JP_SYS_FILEHANDLE, "-DD" },
	{ JP_SYS_FS_EXTATTR, "-DD" },
	{ JP_SYS_FS_QUOTA_GET, "--D" },
	{ JP_SYS_FS_QUOTA_MANAGE, "-DD" },
	{ JP_SYS_FS_QUOTA_NOLIMIT, "--D" },
	{ JP_SYS_FS_RESERVEDSPACE, "--D" },
	{ JP_SYS_FS_SNAPSHOT, "-DD" },
	{ JP_SYS_INTR, "DDD" },
	{ JP_SYS_KERNADDR, "DDD" },
	{ JP_SYS_LFS, "-DD" },
	{ JP_SYS_MAP_VA_ZERO, "DDD" },
	{ JP_SYS_MKNOD, "-DD" },
	{ JP_SYS_MODULE, "DDD" },
	{ JP_SYS_MOUNT_GET, "--D" },
	{ JP_SYS_MOUNT_MODIFY, "-DD" },
	{ JP_SYS_MQUEUE, "-DD" },
	{ JP_SYS_PSET, "DDD" },
	{ JP_SYS_REBOOT, "DDD" },
	{ JP_SYS_SEMAPHORE, "-DD" },
	{ JP_SYS_SETIDCORE, "-DD" },
	{ JP_SYS_SWAPCTL, "DDD" },
	{ JP_SYS_SYSCTL_DESC, "---" },
	{ JP_SYS_SYSCTL_PRIVATE, "DDD" },
	{ JP_SYS_SYSCTL_WRITE, "-DD" },
	{ JP_SYS_SYSVIPC, "--D" },
	{ JP_SYS_TIME, "DDD" },
	{ JP_SYS_VERIEXEC, "DDD" },
	{ JP_SYS_UNKNOWN, "DDD" },

	{ JP_MD_CACHEFLUSH, "--D" },
	{ JP_MD_CPU_UCODE_APPLY, "DDD" },
	{ JP_MD_IOPERM_GET, "-DD" },
	{ JP_MD_IOPERM_SET, "DDD" },
	{ JP_MD_IOPL, "DDD" },
	{ JP_MD_LDT_GET, "--D" },
	{ JP_MD_LDT_SET, "-DD" },
	{ JP_MD_MTRR_GET, "-DD" },
	{ JP_MD_MTRR_SET, "DDD" },
	{ JP_MD_NVRAM, "DDD" },
	{ JP_MD_PXG, "DDD" },
	{ JP_MD_SVS_DISABLE, "DDD" },
	{ JP_MD_UNMANAGEDMEM, "DDD" },
	{ JP_MD_UNKNOWN, "DDD" },

	{ JP_DEV_BLUETOOTH_BCSP, "DDD" },
	{ JP_DEV_BLUETOOTH_BTUART, "DDD" },
	{ JP_DEV_BLUETOOTH_RECV, "-DD" },
	{ JP_DEV_BLUETOOTH_SEND, "-DD" },
	{ JP_DEV_BLUETOOTH_SETPRIV, "-DD" },
	{ JP_DEV_GPIO_PINSET, "DDD" },
	{ JP_DEV_NVMM_CTL, "DDD" },
	{ JP_DEV_RAWIO_PASSTHRU, "DDD" },
	{ JP_DEV_RAWIO_SPEC, "DDD" },
	{ JP_DEV_RND_ADDDATA, "-DD" },
	{ JP_DEV_RND_ADDDATA_ESTIMATE, "DDD" },
	{ JP_DEV_RND_GETPRIV, "-DD" },
	{ JP_DEV_RND_SETPRIV, "DDD" },
	{ JP_DEV_TTY_OPEN, "--D" },
	{ JP_DEV_TTY_PRIVSET, "-DD" },
	{ JP_DEV_TTY_STI, "DDD" },
	{ JP_DEV_TTY_VIRTUAL, "DDD" },
	{ JP_DEV_WSCONS_KEYBOARD_BELL, "-DD" },
	{ JP_DEV_WSCONS_KEYBOARD_KEYREPEAT, "-DD" },
	{ JP_DEV_UNKNOWN, "DDD" },

	{ JP_NET_ALTQ, "-DD" },
	{ JP_NET_BIND, "P" },
	{ JP_NET_BIND_ANYADDR, "-DD" },
	{ JP_NET_FIREWALL, "-DD" },
	{ JP_NET_FORWSRCRT, "-DD" },
	{ JP_NET_IFACE_BRIDGE, "-DD" },
	{ JP_NET_IFACE_CREATE, "-DD" },
	{ JP_NET_IFACE_FIRMWARE, "DDD" },
	{ JP_NET_IFACE_GET, "---" },
	{ JP_NET_IFACE_GETPRIV, "-DD" },
	{ JP_NET_IFACE_SET, "-DD" },
	{ JP_NET_IFACE_SETPRIV, "-DD" },
	{ JP_NET_IFACE_WG, "-DD" },
	{ JP_NET_IPSEC_BYPASS, "-DD" },
	{ JP_NET_IPV6_HOPBYHOP, "-DD" },
	{ JP_NET_IPV6_JOIN_MULTICAST, "--D" },
	{ JP_NET_NFS, "-DD" },
	{ JP_NET_ROUTE, "-DD" },
	{ JP_NET_SMB, "-DD" },
	{ JP_NET_SOCKET_CANSEE, "X" },
	{ JP_NET_SOCKET_DROP, "-DD" },
	{ JP_NET_SOCKET_OPEN, "---" },
	{ JP_NET_SOCKET_OPEN_KEY, "-DD" },
	{ JP_NET_SOCKET_RAWSOCK, "-DD" },
	{ JP_NET_SOCKET_SETPRIV, "-DD" },
	{ JP_NET_UNKNOWN, "DDD" },
};

#define	NEXPECT	(sizeof(expect) / sizeof(expect[0]))

static void
test_table_complete(void)
{
	unsigned seen[JP_NACTIONS];
	size_t i;
	int a;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < NEXPECT; i++)
		seen[expect[i].a]++;
	for (a = 0; a < JP_NACTIONS; a++) {
		CHECK(seen[a] == 1, "action %d (%s) expected %u times", a,
		    jp_action_name((enum jp_action)a), seen[a]);
		CHECK(strcmp(jp_action_name((enum jp_action)a), "INVALID") != 0,
		    "action %d has no row", a);
	}
	CHECK(NEXPECT == JP_NACTIONS, "%zu expectations, %d actions",
	    NEXPECT, JP_NACTIONS);
}

/* Every profile row, every profile, jailed root and non-root. */
static void
test_profile_rows(void)
{
	static const uint32_t euids[] = { 0, 1000 };
	struct jp_subject s;
	size_t i, e;
	uint32_t p;
	int want, got;

	for (i = 0; i < NEXPECT; i++) {
		CHECK(jp_action_is_port(expect[i].a) ==
		    (expect[i].lmh[0] == 'P'), "%s port row",
		    jp_action_name(expect[i].a));
		if (expect[i].lmh[0] == 'P') {
			/* jp_bind() decides; test_ports() covers it */
			for (p = JAIL_PROFILE_LOW; p <= JAIL_PROFILE_HIGH;
			    p++) {
				s = subj(7, 0, p, 0);
				CHECK(jp_decide(&s, expect[i].a, 7) ==
				    JP_DEFER, "port row p%u", p);
			}
			continue;
		}
		if (expect[i].lmh[0] == 'X') {
			CHECK(jp_action_is_cross(expect[i].a), "%s not cross",
			    jp_action_name(expect[i].a));
			continue;
		}
		CHECK(!jp_action_is_cross(expect[i].a), "%s is cross",
		    jp_action_name(expect[i].a));
		for (p = JAIL_PROFILE_LOW; p <= JAIL_PROFILE_HIGH; p++) {
			want = expect[i].lmh[p] == 'D' ? JP_DENY : JP_DEFER;
			for (e = 0; e < 2; e++) {
				s = subj(7, euids[e], p, 0);
				got = jp_decide(&s, expect[i].a, 7);
				CHECK(got == want, "%s profile %u euid %u: %s",
				    jp_action_name(expect[i].a), p, euids[e],
				    dname(got));
			}
		}
	}
}

/* Host credentials are never restricted by a profile row. */
static void
test_profile_rows_host(void)
{
	struct jp_subject root = subj(JP_HOST, 0, 0, 0);
	struct jp_subject user = subj(JP_HOST, 1000, 0, 0);
	size_t i;

	for (i = 0; i < NEXPECT; i++) {
		if (expect[i].lmh[0] == 'X')
			continue;
		CHECK(jp_decide(&root, expect[i].a, JP_HOST) == JP_DEFER,
		    "host root %s", jp_action_name(expect[i].a));
		CHECK(jp_decide(&user, expect[i].a, JP_HOST) == JP_DEFER,
		    "host user %s", jp_action_name(expect[i].a));
	}
}

/* Unknown profiles and actions fail closed for jailed credentials. */
static void
test_fail_closed(void)
{
	static const uint32_t bad[] = { 3, 4, 15 };
	struct jp_subject s, h;
	size_t i, b;

	for (b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		s = subj(3, 0, bad[b], 0);
		for (i = 0; i < NEXPECT; i++) {
			/* even on its own jail's objects */
			CHECK(jp_decide(&s, expect[i].a, 3) == JP_DENY,
			    "profile %u %s", bad[b],
			    jp_action_name(expect[i].a));
		}
	}
	s = subj(3, 0, JAIL_PROFILE_LOW, 0);
	h = subj(JP_HOST, 1000, 0, 0);
	CHECK(jp_decide(&s, JP_NACTIONS, 3) == JP_DENY, "action out of range");
	CHECK(jp_decide(&s, (enum jp_action)-1, 3) == JP_DENY, "action -1");
	CHECK(jp_decide(&h, JP_NACTIONS, 0) == JP_DEFER, "host, bad action");
	CHECK(strcmp(jp_action_name(JP_NACTIONS), "INVALID") == 0, "name");
	CHECK(jp_profile_deny_from(JP_NACTIONS) == -1, "deny_from invalid");
	CHECK(jp_profile_deny_from(JP_PROC_SIGNAL) == -1, "deny_from cross");
	CHECK(jp_profile_deny_from(JP_SYS_REBOOT) == 0, "deny_from reboot");
	CHECK(jp_profile_deny_from(JP_SYS_SYSCTL_DESC) == 3, "deny_from desc");
	CHECK(jp_profile_deny_from(JP_NET_BIND) == -1, "deny_from port");
	CHECK(!jp_action_is_port(JP_NACTIONS), "port invalid");
}

/* The cross-jail rule, for every cross row and profile. */
static void
test_cross_rows(void)
{
	struct jp_subject a, hr, hu;
	size_t i;
	uint32_t p;

	hr = subj(JP_HOST, 0, 0, 0);
	hu = subj(JP_HOST, 1000, 0, 0);
	for (i = 0; i < NEXPECT; i++) {
		enum jp_action x = expect[i].a;

		if (expect[i].lmh[0] != 'X')
			continue;
		for (p = JAIL_PROFILE_LOW; p <= JAIL_PROFILE_HIGH; p++) {
			a = subj(5, 0, p, 0);
			CHECK(jp_decide(&a, x, 5) == JP_DEFER,
			    "%s same jail p%u", jp_action_name(x), p);
			CHECK(jp_decide(&a, x, 6) == JP_DENY,
			    "%s other jail p%u", jp_action_name(x), p);
			CHECK(jp_decide(&a, x, JP_HOST) == JP_DENY,
			    "%s jailed->host p%u", jp_action_name(x), p);
			CHECK(jp_decide(&a, x, JP_TARGET_UNKNOWN) == JP_DENY,
			    "%s jailed->unknown p%u", jp_action_name(x), p);
			a.js_euid = 1000;
			CHECK(jp_decide(&a, x, 5) == JP_DEFER,
			    "%s same jail non-root p%u", jp_action_name(x), p);
			CHECK(jp_decide(&a, x, 6) == JP_DENY,
			    "%s other jail non-root p%u", jp_action_name(x), p);
		}
		/* host root bypasses: never denied */
		CHECK(jp_decide(&hr, x, 5) == JP_DEFER, "%s host root->jail",
		    jp_action_name(x));
		CHECK(jp_decide(&hr, x, JP_HOST) == JP_DEFER,
		    "%s host root->host", jp_action_name(x));
		/* host non-root users do not own jailed processes */
		CHECK(jp_decide(&hu, x, 5) == JP_DENY, "%s host user->jail",
		    jp_action_name(x));
		CHECK(jp_decide(&hu, x, JP_HOST) == JP_DEFER,
		    "%s host user->host", jp_action_name(x));
		CHECK(jp_decide(&hu, x, JP_TARGET_UNKNOWN) == JP_DEFER,
		    "%s host user->unknown", jp_action_name(x));
	}
	/* the model never answers ALLOW */
	for (i = 0; i < NEXPECT; i++) {
		a = subj(5, 0, JAIL_PROFILE_LOW, 0);
		CHECK(jp_decide(&a, expect[i].a, 5) != JP_ALLOW, "ALLOW %s",
		    jp_action_name(expect[i].a));
		CHECK(jp_decide(&hr, expect[i].a, 5) != JP_ALLOW, "ALLOW %s",
		    jp_action_name(expect[i].a));
	}
}

static void
test_scopes(void)
{
	size_t i;
	enum jp_scope sc;
	const char *n;

	for (i = 0; i < NEXPECT; i++) {
		sc = jp_action_scope(expect[i].a);
		n = jp_action_name(expect[i].a);
		CHECK(strncmp(n, jp_scope_name(sc), strlen(jp_scope_name(sc)))
		    == 0, "%s in scope %s", n, jp_scope_name(sc));
	}
	CHECK(jp_scope_name(JP_SCOPE_PROCESS)[0] == 'p', "process");
	CHECK(strcmp(jp_scope_name(JP_NSCOPES), "INVALID") == 0, "scope");
	CHECK(jp_action_scope(JP_NACTIONS) == JP_SCOPE_SYSTEM, "fallback");
	CHECK(jp_action_is_quiet(JP_PROC_CANSEE), "cansee quiet");
	CHECK(jp_action_is_quiet(JP_NET_SOCKET_CANSEE), "socket quiet");
	CHECK(!jp_action_is_quiet(JP_PROC_SIGNAL), "signal logged");
	CHECK(!jp_action_is_quiet(JP_NACTIONS), "invalid not quiet");
}

static void
test_tokens(void)
{
	struct jp_subject s;
	uint32_t t;

	t = jp_token_make(0, 0, 0);
	CHECK(t == 0, "host token %#x", t);
	jp_token_subject(t, 0, &s);
	CHECK(s.js_jail == JP_HOST && jp_is_host_root(&s), "host root");
	jp_token_subject(t, 5, &s);
	CHECK(!jp_is_host_root(&s), "host user");

	t = jp_token_make(JP_MAX_JAILS, JAIL_PROFILE_MEDIUM,
	    JAIL_FLAG_ANYPORT);
	jp_token_subject(t, 0, &s);
	CHECK(s.js_jail == JP_MAX_JAILS && s.js_profile == JAIL_PROFILE_MEDIUM
	    && s.js_flags == JAIL_FLAG_ANYPORT && s.js_euid == 0,
	    "round trip %u %u %u", s.js_jail, s.js_profile, s.js_flags);
	CHECK(!jp_is_host_root(&s), "jailed root is not host root");

	t = jp_token_make(1, JAIL_PROFILE_HIGH, 0);
	jp_token_subject(t, 33, &s);
	CHECK(s.js_jail == 1 && s.js_profile == 2 && s.js_euid == 33, "high");

	/* a token without an id is the host, whatever else it says */
	jp_token_subject(0x00f30000u, 0, &s);
	CHECK(s.js_jail == 0 && s.js_profile == 0 && s.js_flags == 0,
	    "stray bits");
	/* a corrupt profile survives decoding, so it fails closed */
	jp_token_subject(jp_token_make(2, 9, 0), 0, &s);
	CHECK(jp_decide(&s, JP_SYS_SYSCTL_DESC, 2) == JP_DENY, "bad profile");
	/* flags must fit the token */
	CHECK((JAIL_FLAGS_ALL & ~0xffu) == 0, "flags fit 8 bits");
}

/*
 * Requests.
 */
static struct jail_create_req
mkreq(const char *name, uint32_t profile)
{
	struct jail_create_req r;

	memset(&r, 0, sizeof(r));
	r.jc_abi_version = JAIL_ABI_VERSION;
	r.jc_profile = profile;
	strncpy(r.jc_name, name, sizeof(r.jc_name) - 1);
	return r;
}

static void
addport(struct jail_create_req *r, uint16_t port, uint8_t proto)
{

	r->jc_ports[r->jc_nports].jp_port = port;
	r->jc_ports[r->jc_nports].jp_proto = proto;
	r->jc_nports++;
}

static void
test_validate(void)
{
	struct jail_create_req r;
	char longname[JAIL_NAME_MAX + 1];
	int i;

	r = mkreq("web-1.example_A", JAIL_PROFILE_HIGH);
	CHECK(jp_validate_create(&r) == JP_OK, "good request");
	addport(&r, 80, JAIL_PROTO_TCP);
	addport(&r, 80, JAIL_PROTO_UDP);	/* same port, other proto */
	addport(&r, 65535, JAIL_PROTO_ALL);
	CHECK(jp_validate_create(&r) == JP_OK, "good ports");

	r = mkreq("a", JAIL_PROFILE_LOW);
	r.jc_abi_version = JAIL_ABI_VERSION + 1;
	CHECK(jp_validate_create(&r) == JP_E_ABI, "abi +1");
	r.jc_abi_version = 0;
	CHECK(jp_validate_create(&r) == JP_E_ABI, "abi 0");

	/* names */
	r = mkreq("", JAIL_PROFILE_LOW);
	CHECK(jp_validate_create(&r) == JP_E_NAME, "empty name");
	r = mkreq(".", JAIL_PROFILE_LOW);
	CHECK(jp_validate_create(&r) == JP_E_NAME, "dot");
	r = mkreq("..", JAIL_PROFILE_LOW);
	CHECK(jp_validate_create(&r) == JP_E_NAME, "dotdot");
	r = mkreq("...", JAIL_PROFILE_LOW);
	CHECK(jp_validate_create(&r) == JP_OK, "three dots are a name");
	r = mkreq(".hidden", JAIL_PROFILE_LOW);
	CHECK(jp_validate_create(&r) == JP_OK, "leading dot");
	{
		static const char *const bad[] = {
			"a b", "a/b", "a\nb", "a\tb", "caf\xc3\xa9", "a:b",
			"a\\b", "a\"b", "a$b", "a*b", "a@b", "\x7f",
		};
		size_t k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			r = mkreq(bad[k], JAIL_PROFILE_LOW);
			CHECK(jp_validate_create(&r) == JP_E_NAME,
			    "bad name %zu", k);
		}
	}
	memset(longname, 'x', sizeof(longname));
	longname[JAIL_NAME_MAX - 1] = '\0';	/* 63 bytes: the maximum */
	r = mkreq(longname, JAIL_PROFILE_LOW);
	CHECK(jp_validate_create(&r) == JP_OK, "63-byte name");
	memset(r.jc_name, 'x', sizeof(r.jc_name));	/* no NUL at all */
	CHECK(jp_validate_create(&r) == JP_E_NAME, "unterminated name");
	r = mkreq("ab", JAIL_PROFILE_LOW);
	r.jc_name[5] = 'z';			/* garbage after the NUL */
	CHECK(jp_validate_create(&r) == JP_E_PAD, "bytes after NUL");

	/* profiles and flags */
	for (i = 0; i <= 2; i++) {
		r = mkreq("p", (uint32_t)i);
		CHECK(jp_validate_create(&r) == JP_OK, "profile %d", i);
	}
	r = mkreq("p", 3);
	CHECK(jp_validate_create(&r) == JP_E_PROFILE, "profile 3");
	r = mkreq("p", 0xffffffffu);
	CHECK(jp_validate_create(&r) == JP_E_PROFILE, "profile ~0");
	r = mkreq("f", JAIL_PROFILE_HIGH);
	r.jc_flags = JAIL_FLAG_ANYPORT;
	CHECK(jp_validate_create(&r) == JP_OK, "anyport flag");
	r.jc_flags = 0x2;
	CHECK(jp_validate_create(&r) == JP_E_FLAGS, "unknown flag");
	r.jc_flags = 0x80000000u;
	CHECK(jp_validate_create(&r) == JP_E_FLAGS, "high flag");

	/* port lists */
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	for (i = 1; i <= JAIL_PORTS_MAX; i++)
		addport(&r, (uint16_t)(1000 + i), JAIL_PROTO_TCP);
	CHECK(jp_validate_create(&r) == JP_OK, "32 ports");
	r.jc_nports = JAIL_PORTS_MAX + 1;
	CHECK(jp_validate_create(&r) == JP_E_NPORTS, "33 ports");
	r.jc_nports = 0xffffffffu;
	CHECK(jp_validate_create(&r) == JP_E_NPORTS, "~0 ports");

	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 0, JAIL_PROTO_TCP);
	CHECK(jp_validate_create(&r) == JP_E_PORT, "port 0");
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 22, 0);
	CHECK(jp_validate_create(&r) == JP_E_PROTO, "proto 0");
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 22, 0x04);
	CHECK(jp_validate_create(&r) == JP_E_PROTO, "proto 4");
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 22, JAIL_PROTO_TCP);
	r.jc_ports[0].jp_pad = 1;
	CHECK(jp_validate_create(&r) == JP_E_PAD, "port pad");
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 22, JAIL_PROTO_TCP);
	addport(&r, 23, JAIL_PROTO_TCP);
	addport(&r, 22, JAIL_PROTO_TCP);
	CHECK(jp_validate_create(&r) == JP_E_DUPPORT, "dup port");
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 53, JAIL_PROTO_UDP);
	addport(&r, 53, JAIL_PROTO_ALL);
	CHECK(jp_validate_create(&r) == JP_E_DUPPORT, "dup overlap");
	r = mkreq("ports", JAIL_PROFILE_HIGH);
	addport(&r, 22, JAIL_PROTO_TCP);
	r.jc_ports[5].jp_port = 9;		/* beyond jc_nports */
	CHECK(jp_validate_create(&r) == JP_E_PAD, "unused slot");
	r.jc_ports[5].jp_port = 0;
	r.jc_ports[JAIL_PORTS_MAX - 1].jp_proto = 1;
	CHECK(jp_validate_create(&r) == JP_E_PAD, "last unused slot");
}

static struct jp_table *
newtable(void)
{
	struct jp_table *t;

	if ((t = malloc(sizeof(*t))) == NULL) {
		perror("malloc");
		exit(2);
	}
	jp_table_init(t);
	return t;
}

static uint32_t
mustcreate(struct jp_table *t, struct jail_create_req *r)
{
	struct jail_create_reply rep;
	int e;

	e = jp_create(t, r, 100, &rep);
	CHECK(e == JP_OK, "create %s: %s", r->jc_name, jp_strerror(e));
	CHECK(rep.jr_abi_version == JAIL_ABI_VERSION, "reply abi");
	return e == JP_OK ? (uint32_t)rep.jr_id : 0;
}

static void
test_create_destroy(void)
{
	struct jp_table *t = newtable();
	struct jail_create_req r;
	struct jail_create_reply rep;
	const struct jp_jail *j;
	uint32_t a, b;

	CHECK(jp_table_empty(t), "empty");
	r = mkreq("alpha", JAIL_PROFILE_MEDIUM);
	addport(&r, 8080, JAIL_PROTO_TCP);
	addport(&r, 53, JAIL_PROTO_UDP);
	a = mustcreate(t, &r);
	CHECK(a == 1, "first id %u", a);
	CHECK(!jp_table_empty(t), "not empty");
	j = jp_lookup(t, a);
	CHECK(j != NULL && j->jj_profile == JAIL_PROFILE_MEDIUM &&
	    j->jj_nports == 2 && j->jj_created == 100 &&
	    strcmp(j->jj_name, "alpha") == 0, "lookup");
	CHECK(jp_port_owner(t, 8080, JAIL_PROTO_TCP) == a, "owner tcp");
	CHECK(jp_port_owner(t, 8080, JAIL_PROTO_UDP) == 0, "not udp");
	CHECK(jp_port_owner(t, 53, JAIL_PROTO_UDP) == a, "owner udp");
	CHECK(jp_port_owner(t, 53, JAIL_PROTO_ALL) == a, "owner any");

	/* name taken */
	r = mkreq("alpha", JAIL_PROFILE_LOW);
	CHECK(jp_create(t, &r, 0, &rep) == JP_E_EXISTS, "dup name");
	CHECK(rep.jr_conflict_id == (int32_t)a && rep.jr_id == 0,
	    "dup name names owner %d", rep.jr_conflict_id);

	/* port taken, reported with its owner */
	r = mkreq("beta", JAIL_PROFILE_LOW);
	addport(&r, 9000, JAIL_PROTO_TCP);
	addport(&r, 8080, JAIL_PROTO_ALL);
	CHECK(jp_create(t, &r, 0, &rep) == JP_E_PORTINUSE, "port taken");
	CHECK(rep.jr_conflict_id == (int32_t)a && rep.jr_conflict_port ==
	    8080 && rep.jr_conflict_proto == JAIL_PROTO_TCP,
	    "conflict %d %u %u", rep.jr_conflict_id, rep.jr_conflict_port,
	    rep.jr_conflict_proto);
	CHECK(jp_port_owner(t, 9000, JAIL_PROTO_TCP) == 0,
	    "failed create claims nothing");
	CHECK(jp_lookup(t, 2) == NULL, "failed create leaves no jail");

	/* the same port for the other protocol is free */
	r = mkreq("beta", JAIL_PROFILE_LOW);
	addport(&r, 8080, JAIL_PROTO_UDP);
	b = mustcreate(t, &r);
	CHECK(b == 2, "second id %u", b);
	CHECK(jp_port_owner(t, 8080, JAIL_PROTO_UDP) == b, "udp 8080");
	CHECK(jp_port_owner(t, 8080, JAIL_PROTO_TCP) == a, "tcp 8080");

	/* invalid request through create */
	r = mkreq("bad name", JAIL_PROFILE_LOW);
	CHECK(jp_create(t, &r, 0, &rep) == JP_E_NAME, "create validates");
	CHECK(rep.jr_abi_version == JAIL_ABI_VERSION && rep.jr_id == 0,
	    "reply on error");

	/* destroy */
	CHECK(jp_destroy(t, a, 1) == JP_E_BUSY, "busy with a member");
	CHECK(jp_destroy(t, a, 3) == JP_E_BUSY, "busy with members");
	CHECK(jp_lookup(t, a) != NULL, "busy leaves the jail");
	CHECK(jp_destroy(t, 0, 0) == JP_E_ID, "destroy 0");
	CHECK(jp_destroy(t, JP_MAX_JAILS + 1, 0) == JP_E_ID, "destroy N+1");
	CHECK(jp_destroy(t, 77, 0) == JP_E_NOENT, "destroy unknown");
	CHECK(jp_destroy(t, a, 0) == JP_OK, "destroy");
	CHECK(jp_destroy(t, a, 0) == JP_E_NOENT, "destroy twice");
	CHECK(jp_lookup(t, a) == NULL, "gone");
	CHECK(jp_port_owner(t, 8080, JAIL_PROTO_TCP) == 0, "tcp released");
	CHECK(jp_port_owner(t, 53, JAIL_PROTO_UDP) == 0, "udp released");
	CHECK(jp_port_owner(t, 8080, JAIL_PROTO_UDP) == b, "other kept");
	CHECK(jp_destroy(t, b, 0) == JP_OK, "destroy b");
	CHECK(jp_table_empty(t), "empty again");

	/* the name and the ports are free again */
	r = mkreq("alpha", JAIL_PROFILE_LOW);
	addport(&r, 8080, JAIL_PROTO_ALL);
	a = mustcreate(t, &r);
	CHECK(a == 3, "ids are not reused at once: %u", a);
	free(t);
}

/* Round-robin allocation: exhaustion, then reuse of the freed ids. */
static void
test_ids(void)
{
	struct jp_table *t = newtable();
	struct jail_create_req r;
	struct jail_create_reply rep;
	char name[16];
	uint32_t i, id;
	bool ok;

	ok = true;
	for (i = 1; i <= JP_MAX_JAILS; i++) {
		snprintf(name, sizeof(name), "j%u", i);
		r = mkreq(name, JAIL_PROFILE_HIGH);
		ok = ok && jp_create(t, &r, 0, &rep) == JP_OK &&
		    rep.jr_id == (int32_t)i;
	}
	CHECK(ok, "ids 1..%d in order", JP_MAX_JAILS);
	CHECK(t->jt_count == JP_MAX_JAILS, "count %u", t->jt_count);
	r = mkreq("overflow", JAIL_PROFILE_HIGH);
	CHECK(jp_create(t, &r, 0, &rep) == JP_E_FULL, "table full");
	CHECK(rep.jr_id == 0, "no id when full");

	/* the only free id is reused */
	CHECK(jp_destroy(t, 2, 0) == JP_OK, "free 2");
	id = mustcreate(t, &r);
	CHECK(id == 2, "reuse 2: %u", id);
	r = mkreq("again", JAIL_PROFILE_HIGH);
	CHECK(jp_create(t, &r, 0, &rep) == JP_E_FULL, "full again");

	/* freed ids come back in cursor order, not lowest first */
	CHECK(jp_destroy(t, 5, 0) == JP_OK, "free 5");
	CHECK(jp_destroy(t, 1, 0) == JP_OK, "free 1");
	r = mkreq("n1", JAIL_PROFILE_HIGH);
	id = mustcreate(t, &r);
	CHECK(id == 5, "after 2 the cursor finds 5 first: %u", id);
	r = mkreq("n2", JAIL_PROFILE_HIGH);
	id = mustcreate(t, &r);
	CHECK(id == 1, "then wraps to 1: %u", id);

	/* emptied table: the cursor keeps going, it does not restart */
	for (i = 1; i <= JP_MAX_JAILS; i++)
		(void)jp_destroy(t, i, 0);
	CHECK(jp_table_empty(t), "all destroyed");
	r = mkreq("fresh", JAIL_PROFILE_HIGH);
	id = mustcreate(t, &r);
	CHECK(id == 2, "cursor after 1 is 2: %u", id);

	/* lookups out of range */
	CHECK(jp_lookup(t, 0) == NULL, "lookup 0");
	CHECK(jp_lookup(t, JP_MAX_JAILS + 1) == NULL, "lookup N+1");
	CHECK(jp_lookup(t, 0xffffffffu) == NULL, "lookup ~0");
	free(t);
}

static void
test_id_req_enter_list(void)
{
	struct jp_table *t = newtable();
	struct jail_id_req q;
	struct jail_create_req r;
	struct jp_subject hr, hu, jr;
	uint32_t id, a;

	q.jd_abi_version = JAIL_ABI_VERSION;
	q.jd_id = 4;
	CHECK(jp_id_req(&q, &id) == JP_OK && id == 4, "id req");
	q.jd_id = 0;
	CHECK(jp_id_req(&q, &id) == JP_E_ID, "id 0");
	q.jd_id = -1;
	CHECK(jp_id_req(&q, &id) == JP_E_ID, "id -1");
	q.jd_id = JP_MAX_JAILS + 1;
	CHECK(jp_id_req(&q, &id) == JP_E_ID, "id N+1");
	q.jd_id = 1;
	q.jd_abi_version = 7;
	CHECK(jp_id_req(&q, &id) == JP_E_ABI, "id req abi");

	r = mkreq("e", JAIL_PROFILE_HIGH);
	a = mustcreate(t, &r);
	hr = subj(JP_HOST, 0, 0, 0);
	hu = subj(JP_HOST, 1, 0, 0);
	jr = subj(a, 0, JAIL_PROFILE_HIGH, 0);

	CHECK(jp_may_admin(&hr) == JP_OK, "host root admin");
	CHECK(jp_may_admin(&hu) == JP_E_PERM, "host user admin");
	CHECK(jp_may_admin(&jr) == JP_E_PERM, "jailed root admin");

	CHECK(jp_enter_check(t, &hr, a, true) == JP_OK, "enter");
	CHECK(jp_enter_check(t, &hr, a, false) == JP_E_NOTCHROOTED,
	    "enter unchrooted");
	CHECK(jp_enter_check(t, &hu, a, true) == JP_E_PERM, "host user");
	CHECK(jp_enter_check(t, &jr, a, true) == JP_E_PERM, "jailed root");
	jr.js_jail = 9;
	CHECK(jp_enter_check(t, &jr, a, true) == JP_E_PERM, "jail to jail");
	CHECK(jp_enter_check(t, &hr, 42, true) == JP_E_NOENT, "no jail");
	CHECK(jp_enter_check(t, &hr, 0, true) == JP_E_ID, "enter host");

	CHECK(jp_may_list(&hr, a) && jp_may_list(&hu, a), "host lists");
	jr.js_jail = a;
	CHECK(jp_may_list(&jr, a), "own jail");
	CHECK(!jp_may_list(&jr, a + 1), "not others");
	free(t);
}

static void
test_info(void)
{
	struct jp_table *t = newtable();
	struct jail_create_req r;
	struct jail_info ji;
	uint32_t a;

	r = mkreq("info", JAIL_PROFILE_LOW);
	r.jc_flags = JAIL_FLAG_ANYPORT;
	addport(&r, 443, JAIL_PROTO_TCP);
	a = mustcreate(t, &r);
	memset(&ji, 0xa5, sizeof(ji));
	jp_info_fill(jp_lookup(t, a), &ji);
	CHECK(ji.ji_abi_version == JAIL_ABI_VERSION && ji.ji_id == (int32_t)a
	    && ji.ji_profile == JAIL_PROFILE_LOW &&
	    ji.ji_flags == JAIL_FLAG_ANYPORT && ji.ji_nports == 1 &&
	    ji.ji_ports[0].jp_port == 443 && ji.ji_ports[1].jp_port == 0 &&
	    ji.ji_created == 100 && strcmp(ji.ji_name, "info") == 0,
	    "info fields");
	CHECK(ji.ji_pad0 == 0 && ji.ji_nprocs == 0 && ji.ji_cpu_ticks == 0 &&
	    ji.ji_denied == 0, "telemetry zeroed");
	free(t);
}

/*
 * Ports.
 */
static void
test_sockaddr(void)
{
	uint8_t sa[28];
	uint16_t port, host_order;

	/* sockaddr_in from bind(2): port in network order */
	memset(sa, 0, sizeof(sa));
	sa[0] = JP_SIN_LEN;
	sa[1] = T_AF_INET;
	sa[2] = 0x1f;
	sa[3] = 0x90;				/* 8080 */
	CHECK(jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_EXPLICIT && port == 8080, "v4 explicit %u", port);
	/* sockaddr_in6 */
	sa[0] = JP_SIN6_LEN;
	sa[1] = T_AF_INET6;
	sa[2] = 0x00;
	sa[3] = 0x50;				/* 80 */
	CHECK(jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_EXPLICIT && port == 80, "v6 explicit %u", port);
	sa[2] = 0;
	sa[3] = 0;
	CHECK(jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_EXPLICIT && port == 0, "v6 port 0");
	/* mismatched length: not what bind(2) passes */
	sa[0] = JP_SIN_LEN;
	sa[1] = T_AF_INET6;
	CHECK(jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_CANDIDATE, "v6 family, v4 length");
	/* portalgo candidate: garbage header, host-order port */
	sa[0] = 0xde;
	sa[1] = 0xad;
	host_order = 49153;
	memcpy(sa + 2, &host_order, sizeof(host_order));
	CHECK(jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_CANDIDATE && port == 49153, "candidate %u", port);
	sa[0] = JP_SIN_LEN;			/* right length, garbage */
	sa[1] = 0;
	CHECK(jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_CANDIDATE && port == 49153, "candidate, family 0");
	CHECK(jp_sockaddr_port(NULL, T_AF_INET, T_AF_INET6, &port) ==
	    JP_BIND_EXPLICIT && port == 0, "NULL sockaddr");
}

#define	EPH_LO	49152
#define	EPH_HI	65535

static int
bindx(const struct jp_table *t, const struct jp_subject *s, uint16_t port,
    uint32_t mask)
{

	return jp_bind(t, s, port, mask, JP_BIND_EXPLICIT, EPH_LO, EPH_HI);
}

static int
bindc(const struct jp_table *t, const struct jp_subject *s, uint16_t port,
    uint32_t mask)
{

	return jp_bind(t, s, port, mask, JP_BIND_CANDIDATE, EPH_LO, EPH_HI);
}

/*
 * Port ownership, through the byte layouts the kernel passes, for
 * IPv4 and IPv6 (the rule itself does not depend on the family).
 */
static int
bind_sa(const struct jp_table *t, const struct jp_subject *s, int v6,
    uint16_t port, uint32_t mask)
{
	uint8_t sa[28];
	uint16_t p;
	enum jp_bind_origin o;

	memset(sa, 0, sizeof(sa));
	sa[0] = v6 ? JP_SIN6_LEN : JP_SIN_LEN;
	sa[1] = v6 ? T_AF_INET6 : T_AF_INET;
	sa[2] = (uint8_t)(port >> 8);
	sa[3] = (uint8_t)port;
	o = jp_sockaddr_port(sa, T_AF_INET, T_AF_INET6, &p);
	return jp_bind(t, s, p, mask, o, EPH_LO, EPH_HI);
}

static void
test_ports(void)
{
	struct jp_table *t = newtable();
	struct jail_create_req r;
	struct jp_subject own, own_user, other, other_any, hr, hu, bad;
	uint32_t a, b;
	int v6, pr;
	static const uint32_t protos[] = { JAIL_PROTO_TCP, JAIL_PROTO_UDP };

	r = mkreq("owner", JAIL_PROFILE_HIGH);
	addport(&r, 80, JAIL_PROTO_ALL);	/* privileged */
	addport(&r, 8080, JAIL_PROTO_TCP);
	addport(&r, 50000, JAIL_PROTO_ALL);	/* inside the ephemeral range */
	a = mustcreate(t, &r);
	r = mkreq("other", JAIL_PROFILE_LOW);
	addport(&r, 9090, JAIL_PROTO_UDP);
	b = mustcreate(t, &r);

	own = subj(a, 0, JAIL_PROFILE_HIGH, 0);
	own_user = subj(a, 1000, JAIL_PROFILE_HIGH, 0);
	other = subj(b, 0, JAIL_PROFILE_LOW, 0);
	other_any = subj(b, 0, JAIL_PROFILE_LOW, JAIL_FLAG_ANYPORT);
	hr = subj(JP_HOST, 0, 0, 0);
	hu = subj(JP_HOST, 1000, 0, 0);
	bad = subj(a, 0, 7, 0);

	for (v6 = 0; v6 <= 1; v6++) {
		for (pr = 0; pr < 2; pr++) {
			uint32_t m = protos[pr];

			/* the owner: DEFER, never ALLOW */
			CHECK(bind_sa(t, &own, v6, 80, m) == JP_DEFER,
			    "owner root 80 v6=%d", v6);
			/*
			 * A non-root owner of a privileged port also gets
			 * DEFER: the normal privileged-port check (suser)
			 * then denies it.
			 */
			CHECK(bind_sa(t, &own_user, v6, 80, m) == JP_DEFER,
			    "owner user 80 v6=%d", v6);
			CHECK(bind_sa(t, &own, v6, 50000, m) == JP_DEFER,
			    "owner 50000 v6=%d", v6);
			/* another jail: denied, even with ANYPORT */
			CHECK(bind_sa(t, &other, v6, 80, m) == JP_DENY,
			    "other jail 80 v6=%d", v6);
			CHECK(bind_sa(t, &other_any, v6, 80, m) == JP_DENY,
			    "other jail anyport 80 v6=%d", v6);
			CHECK(bind_sa(t, &other, v6, 50000, m) == JP_DENY,
			    "other jail 50000 (ephemeral, reserved) v6=%d",
			    v6);
			/* the host: non-root denied, root bypasses */
			CHECK(bind_sa(t, &hu, v6, 80, m) == JP_DENY,
			    "host user 80 v6=%d", v6);
			CHECK(bind_sa(t, &hu, v6, 50000, m) == JP_DENY,
			    "host user 50000 v6=%d", v6);
			CHECK(bind_sa(t, &hr, v6, 80, m) == JP_DEFER,
			    "host root 80 v6=%d", v6);
			/* port 0: the kernel picks: allowed for all */
			CHECK(bind_sa(t, &own, v6, 0, m) == JP_DEFER, "0 own");
			CHECK(bind_sa(t, &other, v6, 0, m) == JP_DEFER,
			    "0 other");
			CHECK(bind_sa(t, &hu, v6, 0, m) == JP_DEFER, "0 hu");
			/* unreserved ports */
			CHECK(bind_sa(t, &hu, v6, 3000, m) == JP_DEFER,
			    "host user free port");
			CHECK(bind_sa(t, &hu, v6, 22, m) == JP_DEFER,
			    "host user free low port (suser decides)");
			CHECK(bind_sa(t, &own, v6, 3000, m) == JP_DENY,
			    "jail only binds its ports v6=%d", v6);
			CHECK(bind_sa(t, &own, v6, 22, m) == JP_DENY,
			    "jail, free low port v6=%d", v6);
			CHECK(bind_sa(t, &own, v6, EPH_LO, m) == JP_DEFER,
			    "jail, ephemeral low edge");
			CHECK(bind_sa(t, &own, v6, EPH_HI, m) == JP_DEFER,
			    "jail, ephemeral high edge");
			CHECK(bind_sa(t, &own, v6, EPH_LO - 1, m) == JP_DENY,
			    "jail, below ephemeral");
			CHECK(bind_sa(t, &other_any, v6, 3000, m) == JP_DEFER,
			    "ANYPORT lifts the default v6=%d", v6);
			CHECK(bind_sa(t, &other_any, v6, 22, m) == JP_DEFER,
			    "ANYPORT, low port (suser decides)");
			/* fail closed */
			CHECK(bind_sa(t, &bad, v6, 80, m) == JP_DENY,
			    "bad profile, own port");
			CHECK(bind_sa(t, &bad, v6, 0, m) == JP_DENY,
			    "bad profile, port 0");
		}
	}

	/* per protocol: 8080 is reserved for TCP only */
	CHECK(bindx(t, &own, 8080, JAIL_PROTO_TCP) == JP_DEFER, "8080 tcp own");
	CHECK(bindx(t, &own, 8080, JAIL_PROTO_UDP) == JP_DENY,
	    "8080 udp is not the jail's");
	CHECK(bindx(t, &hu, 8080, JAIL_PROTO_UDP) == JP_DEFER,
	    "8080 udp free for the host");
	CHECK(bindx(t, &hu, 8080, JAIL_PROTO_TCP) == JP_DENY, "8080 tcp host");
	CHECK(bindx(t, &own, 9090, JAIL_PROTO_TCP) == JP_DENY, "9090 tcp");
	CHECK(bindx(t, &other, 9090, JAIL_PROTO_UDP) == JP_DEFER, "9090 own");
	/* another protocol (e.g. SCTP): checked against both maps */
	CHECK(bindx(t, &hu, 8080, JAIL_PROTO_ALL) == JP_DENY, "other proto");
	CHECK(bindx(t, &hu, 8080, 0) == JP_DENY, "mask 0 means all");
	CHECK(bindx(t, &own, 8080, JAIL_PROTO_ALL) == JP_DEFER, "own, all");

	/* autoassign candidates steer around other jails' ports */
	CHECK(bindc(t, &hr, 50000, JAIL_PROTO_TCP) == JP_DENY,
	    "host root candidate on a reserved port");
	CHECK(bindc(t, &hu, 50000, JAIL_PROTO_TCP) == JP_DENY, "hu cand");
	CHECK(bindc(t, &other, 50000, JAIL_PROTO_TCP) == JP_DENY, "oj cand");
	CHECK(bindc(t, &own, 50000, JAIL_PROTO_TCP) == JP_DEFER, "own cand");
	CHECK(bindc(t, &own, 50001, JAIL_PROTO_TCP) == JP_DEFER, "free cand");
	CHECK(bindc(t, &own, 700, JAIL_PROTO_TCP) == JP_DEFER,
	    "free low candidate (IP_PORTRANGE_LOW)");
	CHECK(bindc(t, &hu, 50001, JAIL_PROTO_TCP) == JP_DEFER, "hu free");

	/* the model never answers ALLOW for a bind */
	CHECK(bindx(t, &hr, 3000, JAIL_PROTO_TCP) != JP_ALLOW, "no allow");

	/* destroying the owner frees its ports for everyone */
	CHECK(jp_destroy(t, a, 0) == JP_OK, "destroy owner");
	CHECK(bindx(t, &hu, 80, JAIL_PROTO_TCP) == JP_DEFER, "80 free");
	CHECK(bindx(t, &other, 80, JAIL_PROTO_TCP) == JP_DENY,
	    "80 free but not the jail's");
	free(t);
}

/*
 * Rate limiting and audit.
 */
static void
test_ratelimit(void)
{
	struct jp_ratelimit rl;
	int i, n;

	jp_ratelimit_init(&rl, 3, 1, 1000);
	for (n = 0, i = 0; i < 10; i++)
		n += jp_ratelimit_take(&rl, 1000);
	CHECK(n == 3, "burst of 3: %d", n);
	CHECK(!jp_ratelimit_take(&rl, 1999), "999 ms: not yet");
	CHECK(jp_ratelimit_take(&rl, 2000), "1 s: one token");
	CHECK(!jp_ratelimit_take(&rl, 2000), "and only one");
	CHECK(!jp_ratelimit_take(&rl, 2500), "half a token");
	CHECK(jp_ratelimit_take(&rl, 3000), "accumulates halves");
	for (n = 0, i = 0; i < 10; i++)
		n += jp_ratelimit_take(&rl, 100000);
	CHECK(n == 3, "refill caps at the burst: %d", n);
	/* the clock going back refills nothing and breaks nothing */
	CHECK(!jp_ratelimit_take(&rl, 50), "clock back");
	CHECK(!jp_ratelimit_take(&rl, 100000), "no refill after going back");
	CHECK(jp_ratelimit_take(&rl, 101000), "refills from there");
	/* a huge gap cannot overflow */
	jp_ratelimit_init(&rl, 0xffffffffu, 0xffffffffu, 0);
	for (i = 0; i < 5; i++)
		(void)jp_ratelimit_take(&rl, 0);
	CHECK(jp_ratelimit_take(&rl, 0xffffffffffffffffULL), "huge gap");
	CHECK(rl.rl_milli <= (uint64_t)0xffffffffu * 1000, "capped");
	/* no refill rate: the burst only */
	jp_ratelimit_init(&rl, 1, 0, 0);
	CHECK(jp_ratelimit_take(&rl, 0), "one");
	CHECK(!jp_ratelimit_take(&rl, 1000000), "never again");
	/* zero burst: never */
	jp_ratelimit_init(&rl, 0, 5, 0);
	CHECK(!jp_ratelimit_take(&rl, 0) && !jp_ratelimit_take(&rl, 9999),
	    "zero burst");
}

static void
test_audit(void)
{
	static struct jp_audit a;
	uint64_t pend;
	int i, logged;

	jp_audit_init(&a, 0);
	logged = 0;
	for (i = 0; i < 25; i++)
		logged += jp_audit_deny(&a, JP_SYS_REBOOT, 4, 0, &pend);
	CHECK(logged == JP_AUDIT_BURST, "burst logged: %d", logged);
	CHECK(a.ja_denied[JP_SCOPE_SYSTEM] == 25, "counted all");
	CHECK(a.ja_suppressed[JP_SCOPE_SYSTEM] == 25 - JP_AUDIT_BURST,
	    "suppressed");
	CHECK(a.ja_jail_denied[4] == 25, "per jail");
	/* the next line that gets out reports what was dropped */
	CHECK(jp_audit_deny(&a, JP_SYS_TIME, 4, 1000, &pend), "after 1 s");
	CHECK(pend == 25 - JP_AUDIT_BURST, "pending %llu",
	    (unsigned long long)pend);
	CHECK(!jp_audit_deny(&a, JP_SYS_TIME, 4, 1000, &pend) && pend == 0,
	    "pending reset");
	/* scopes have their own buckets */
	CHECK(jp_audit_deny(&a, JP_NET_ROUTE, 0, 1000, &pend), "network");
	CHECK(a.ja_denied[JP_SCOPE_NETWORK] == 1, "network count");
	CHECK(a.ja_jail_denied[0] == 1, "host slot");
	/* visibility filtering is counted, never logged */
	for (i = 0; i < 3; i++)
		CHECK(!jp_audit_deny(&a, JP_PROC_CANSEE, 4, 99999, &pend),
		    "cansee quiet");
	CHECK(a.ja_denied[JP_SCOPE_PROCESS] == 3, "cansee counted");
	CHECK(a.ja_suppressed[JP_SCOPE_PROCESS] == 0, "not suppressed");
	CHECK(jp_audit_deny(&a, JP_PROC_SIGNAL, 4, 99999, &pend), "signal");
	/* out-of-range jail ids do not write out of bounds */
	(void)jp_audit_deny(&a, JP_SYS_TIME, JP_MAX_JAILS + 1, 0, &pend);
	(void)jp_audit_deny(&a, JP_SYS_TIME, 0xffffffffu, 0, &pend);
	jp_audit_reset_jail(&a, 4);
	CHECK(a.ja_jail_denied[4] == 0, "reset");
	jp_audit_reset_jail(&a, 0);
	CHECK(a.ja_jail_denied[0] == 1, "host slot is never reset");
	jp_audit_reset_jail(&a, 0xffffffffu);
}

static void
test_strerror(void)
{
	int e;

	for (e = 0; e < JP_NERR; e++)
		CHECK(jp_strerror(e) != NULL && jp_strerror(e)[0] != '\0' &&
		    strcmp(jp_strerror(e), "unknown error") != 0,
		    "message for %d", e);
	CHECK(strcmp(jp_strerror(JP_NERR), "unknown error") == 0, "past");
	CHECK(strcmp(jp_strerror(-1), "unknown error") == 0, "negative");
}

/* The ABI sizes the layout test in Go also pins. */
static void
test_abi_sizes(void)
{

	CHECK(sizeof(struct jail_port) == 4, "jail_port");
	CHECK(sizeof(struct jail_create_req) == 208, "create req %zu",
	    sizeof(struct jail_create_req));
	CHECK(sizeof(struct jail_create_reply) == 16, "create reply");
	CHECK(sizeof(struct jail_id_req) == 8, "id req");
	CHECK(sizeof(struct jail_info) == 264, "info %zu",
	    sizeof(struct jail_info));
	CHECK(JP_ALLOW == 0 && JP_DENY == 1 && JP_DEFER == 2,
	    "KAUTH_RESULT_* values");
}

/*
 * The documented table, from the decisions themselves.
 */
static void
markdown(void)
{
	static const char *const mark[3] = { "deny", "-", "?" };
	struct jp_subject s;
	int a, p, d;

	printf("| Scope | Action | low | medium | high |\n");
	printf("|---|---|---|---|---|\n");
	for (a = 0; a < JP_NACTIONS; a++) {
		const char *n = jp_action_name((enum jp_action)a);
		const char *dot = strchr(n, '.');

		printf("| %.*s | %s |", (int)(dot - n), n, dot + 1);
		for (p = 0; p <= 2; p++) {
			if (jp_action_is_cross((enum jp_action)a)) {
				printf(" cross-jail |");
				continue;
			}
			if (jp_action_is_port((enum jp_action)a)) {
				printf(" port rule |");
				continue;
			}
			s = subj(1, 0, (uint32_t)p, 0);
			d = jp_decide(&s, (enum jp_action)a, 1);
			printf(" %s |", d == JP_DENY ? mark[0] :
			    d == JP_DEFER ? mark[1] : mark[2]);
		}
		printf("\n");
	}
}

int
main(int argc, char **argv)
{

	if (argc > 1 && strcmp(argv[1], "--markdown") == 0) {
		markdown();
		return 0;
	}
	test_table_complete();
	test_profile_rows();
	test_profile_rows_host();
	test_fail_closed();
	test_cross_rows();
	test_scopes();
	test_tokens();
	test_validate();
	test_create_destroy();
	test_ids();
	test_id_req_enter_list();
	test_info();
	test_sockaddr();
	test_ports();
	test_ratelimit();
	test_audit();
	test_strerror();
	test_abi_sizes();
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
