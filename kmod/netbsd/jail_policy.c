/*	$Jails: jail_policy.c $	*/

/*
 * The portable policy core of secmodel_jail; see jail_policy.h.
 * Plain C99, no kernel headers: unit-tested in userland by
 * test_policy.c, linked unchanged into the kernel module.
 */

#if defined(_KERNEL) || defined(_STANDALONE)
#include <sys/param.h>
#include <sys/systm.h>		/* memset, memcpy */
#else
#include <string.h>
#endif

#include "jail_policy.h"

/* Row kinds. */
#define	K_PROFILE	0	/* denied from profile deny_from upward */
#define	K_CROSS		1	/* denied across jails, in every profile */
#define	K_PORT		2	/* the port rule: jp_bind() decides */

/* deny_from: the lowest profile that denies the row. */
#define	L	0	/* denied in low, medium and high */
#define	M	1	/* denied in medium and high */
#define	H	2	/* denied in high only */
#define	N	3	/* never denied (normal rules apply) */
#define	X	L	/* cross-jail rows: the profile does not matter */

struct jp_row {
	const char	*r_name;
	uint8_t		r_scope;
	uint8_t		r_kind;
	uint8_t		r_deny_from;
	uint8_t		r_quiet;	/* counted, never logged */
};

#define	PROC(a, q)	[JP_PROC_##a] = { "process." #a, JP_SCOPE_PROCESS, \
			    K_CROSS, X, q }
#define	SYS(a, d)	[JP_SYS_##a] = { "system." #a, JP_SCOPE_SYSTEM, \
			    K_PROFILE, d, 0 }
#define	MD(a, d)	[JP_MD_##a] = { "machdep." #a, JP_SCOPE_MACHDEP, \
			    K_PROFILE, d, 0 }
#define	DEV(a, d)	[JP_DEV_##a] = { "device." #a, JP_SCOPE_DEVICE, \
			    K_PROFILE, d, 0 }
#define	NET(a, d)	[JP_NET_##a] = { "network." #a, JP_SCOPE_NETWORK, \
			    K_PROFILE, d, 0 }

/*
 * The documented table (README.md, "Profiles").  low takes away what
 * is global to the kernel (modules, reboot, time, the kernel log and
 * addresses, raw hardware and disk I/O); medium adds mount, device
 * nodes, chroot, sysctl writes, raw sockets and the administration of
 * host-global state (network configuration, IPC name spaces); high
 * adds every remaining privilege a jailed root could use on things it
 * does not own.  Each level includes the one below.
 */
static const struct jp_row jp_rows[JP_NACTIONS] = {
	/* visibility is filtered on every ps(1): count, do not log */
	PROC(CANSEE, 1),
	PROC(CORENAME, 0),
	PROC(FORK, 0),
	PROC(KEVENT_FILTER, 0),
	PROC(KTRACE, 0),
	PROC(NICE, 0),
	PROC(PROCFS, 0),
	PROC(PTRACE, 0),
	PROC(RLIMIT, 0),
	PROC(SCHED_GETAFFINITY, 0),
	PROC(SCHED_SETAFFINITY, 0),
	PROC(SCHED_GETPARAM, 0),
	PROC(SCHED_SETPARAM, 0),
	PROC(SETID, 0),
	PROC(SIGNAL, 0),
	PROC(STOPFLAG, 0),
	[JP_PROC_UNKNOWN] = { "process.UNKNOWN", JP_SCOPE_PROCESS,
	    K_PROFILE, L, 0 },

	SYS(ACCOUNTING, L),	/* acct(2) writes one host-wide file */
	SYS(CHROOT, M),		/* a nested chroot escapes the jail root */
	SYS(CHSYSFLAGS, M),
	SYS(CPU, L),		/* CPUs on/offline */
	SYS(DEBUG, L),
	SYS(DEVMAPPER, L),	/* raw block device control */
	SYS(FILEHANDLE, M),	/* fhopen(2) bypasses the jail root */
	SYS(FS_EXTATTR, M),
	SYS(FS_QUOTA_GET, H),	/* only others' quotas need privilege */
	SYS(FS_QUOTA_MANAGE, M),
	SYS(FS_QUOTA_NOLIMIT, H),
	SYS(FS_RESERVEDSPACE, H),
	SYS(FS_SNAPSHOT, M),
	SYS(INTR, L),
	SYS(KERNADDR, L),	/* kernel addresses */
	SYS(LFS, M),
	SYS(MAP_VA_ZERO, L),
	SYS(MKNOD, M),
	SYS(MODULE, L),
	SYS(MOUNT_GET, H),
	SYS(MOUNT_MODIFY, M),	/* new, update, unmount, umap, device */
	SYS(MQUEUE, M),		/* one mq name space for all jails */
	SYS(PSET, L),
	SYS(REBOOT, L),
	SYS(SEMAPHORE, M),	/* one ksem name space for all jails */
	SYS(SETIDCORE, M),
	SYS(SWAPCTL, L),
	SYS(SYSCTL_DESC, N),	/* reading node descriptions */
	SYS(SYSCTL_PRIVATE, L),	/* private nodes: the kernel log et al. */
	SYS(SYSCTL_WRITE, M),	/* add, delete, modify */
	SYS(SYSVIPC, H),	/* admin override of SysV IPC permissions */
	SYS(TIME, L),
	SYS(VERIEXEC, L),
	SYS(UNKNOWN, L),

	MD(CACHEFLUSH, H),
	MD(CPU_UCODE_APPLY, L),
	MD(IOPERM_GET, M),
	MD(IOPERM_SET, L),	/* raw port I/O */
	MD(IOPL, L),
	MD(LDT_GET, H),
	MD(LDT_SET, M),
	MD(MTRR_GET, M),
	MD(MTRR_SET, L),
	MD(NVRAM, L),
	MD(PXG, L),
	MD(SVS_DISABLE, L),
	MD(UNMANAGEDMEM, L),	/* /dev/mem beyond managed RAM */
	MD(UNKNOWN, L),

	DEV(BLUETOOTH_BCSP, L),
	DEV(BLUETOOTH_BTUART, L),
	DEV(BLUETOOTH_RECV, M),
	DEV(BLUETOOTH_SEND, M),
	DEV(BLUETOOTH_SETPRIV, M),
	DEV(GPIO_PINSET, L),
	DEV(NVMM_CTL, L),
	DEV(RAWIO_PASSTHRU, L),	/* SCSI/ATA pass-through */
	DEV(RAWIO_SPEC, L),	/* raw disk device files */
	DEV(RND_ADDDATA, M),
	DEV(RND_ADDDATA_ESTIMATE, L), /* crediting entropy host-wide */
	DEV(RND_GETPRIV, M),
	DEV(RND_SETPRIV, L),
	DEV(TTY_OPEN, H),	/* override of exclusive-use ttys */
	DEV(TTY_PRIVSET, M),
	DEV(TTY_STI, L),	/* TIOCSTI: typing into another tty */
	DEV(TTY_VIRTUAL, L),	/* TIOCCONS: stealing the console */
	DEV(WSCONS_KEYBOARD_BELL, M),
	DEV(WSCONS_KEYBOARD_KEYREPEAT, M),
	DEV(UNKNOWN, L),

	NET(ALTQ, M),
	[JP_NET_BIND] = { "network.BIND", JP_SCOPE_NETWORK, K_PORT, N, 0 },
	NET(BIND_ANYADDR, M),	/* binding addresses the host lacks */
	NET(FIREWALL, M),
	NET(FORWSRCRT, M),
	NET(IFACE_BRIDGE, M),
	NET(IFACE_CREATE, M),	/* ppp, sl, strip, tun, pvc */
	NET(IFACE_FIRMWARE, L),
	NET(IFACE_GET, N),
	NET(IFACE_GETPRIV, M),
	NET(IFACE_SET, M),
	NET(IFACE_SETPRIV, M),
	NET(IFACE_WG, M),
	NET(IPSEC_BYPASS, M),
	NET(IPV6_HOPBYHOP, M),
	NET(IPV6_JOIN_MULTICAST, H),
	NET(NFS, M),		/* exports, nfsd */
	NET(ROUTE, M),
	NET(SMB, M),
	[JP_NET_SOCKET_CANSEE] = { "network.SOCKET_CANSEE", JP_SCOPE_NETWORK,
	    K_CROSS, X, 1 },
	NET(SOCKET_DROP, M),	/* dropping any host connection */
	NET(SOCKET_OPEN, N),
	NET(SOCKET_OPEN_KEY, M),/* PF_KEY: host IPsec keys */
	NET(SOCKET_RAWSOCK, M),
	NET(SOCKET_SETPRIV, M),
	NET(UNKNOWN, L),
};

#undef L
#undef M
#undef H
#undef N
#undef X

static bool
action_valid(enum jp_action a)
{

	return (unsigned)a < JP_NACTIONS && jp_rows[a].r_name != NULL;
}

static bool
profile_valid(uint32_t profile)
{

	return profile <= JAIL_PROFILE_HIGH;
}

/*
 * Jail tokens.
 */
uint32_t
jp_token_make(uint32_t id, uint32_t profile, uint32_t flags)
{

	return (id & 0xffffu) | ((profile & 0xfu) << 16) |
	    ((flags & 0xffu) << 20);
}

void
jp_token_subject(uint32_t token, uint32_t euid, struct jp_subject *s)
{

	s->js_jail = token & 0xffffu;
	s->js_euid = euid;
	s->js_profile = (token >> 16) & 0xfu;
	s->js_flags = (token >> 20) & 0xffu;
	if (s->js_jail == JP_HOST) {
		/* A token without an id is the host, whatever else it has. */
		s->js_profile = 0;
		s->js_flags = 0;
	}
}

bool
jp_is_host_root(const struct jp_subject *s)
{

	return s->js_jail == JP_HOST && s->js_euid == 0;
}

/*
 * Decisions.
 */
enum jp_scope
jp_action_scope(enum jp_action a)
{

	if (!action_valid(a))
		return JP_SCOPE_SYSTEM;
	return (enum jp_scope)jp_rows[a].r_scope;
}

const char *
jp_action_name(enum jp_action a)
{

	return action_valid(a) ? jp_rows[a].r_name : "INVALID";
}

const char *
jp_scope_name(enum jp_scope sc)
{
	static const char *const names[JP_NSCOPES] = {
		"process", "system", "machdep", "device", "network"
	};

	return (unsigned)sc < JP_NSCOPES ? names[sc] : "INVALID";
}

bool
jp_action_is_cross(enum jp_action a)
{

	return action_valid(a) && jp_rows[a].r_kind == K_CROSS;
}

bool
jp_action_is_port(enum jp_action a)
{

	return action_valid(a) && jp_rows[a].r_kind == K_PORT;
}

bool
jp_action_is_quiet(enum jp_action a)
{

	return action_valid(a) && jp_rows[a].r_quiet != 0;
}

/* The lowest profile that denies a profile row; 3: none. */
int
jp_profile_deny_from(enum jp_action a)
{

	if (!action_valid(a) || jp_rows[a].r_kind != K_PROFILE)
		return -1;	/* cross-jail and port rows */
	return jp_rows[a].r_deny_from;
}

/*
 * Decide an action for subject s.  target is the jail of the object
 * (process or socket) for cross-jail rows, JP_TARGET_UNKNOWN if the
 * caller had none; it is ignored for profile rows.
 *
 * Host credentials are never restricted by a profile.  The only host
 * credentials this model denies are host non-root users acting on a
 * jailed process: they are not the jail's owner.  Host root is never
 * denied.  This model never answers ALLOW: it only takes away.
 */
int
jp_decide(const struct jp_subject *s, enum jp_action a, uint32_t target)
{
	const struct jp_row *r;

	if (!action_valid(a))
		return s->js_jail == JP_HOST ? JP_DEFER : JP_DENY;
	r = &jp_rows[a];

	if (s->js_jail == JP_HOST) {
		if (r->r_kind != K_CROSS || s->js_euid == 0)
			return JP_DEFER;
		if (target == JP_HOST || target == JP_TARGET_UNKNOWN)
			return JP_DEFER;
		return JP_DENY;
	}

	if (!profile_valid(s->js_profile))
		return JP_DENY;		/* fail closed */
	if (r->r_kind == K_CROSS)
		return target == s->js_jail ? JP_DEFER : JP_DENY;
	if (r->r_kind == K_PORT)
		return JP_DEFER;	/* the port is jp_bind()'s question */
	return s->js_profile >= r->r_deny_from ? JP_DENY : JP_DEFER;
}

/*
 * The jail table.
 */
void
jp_table_init(struct jp_table *t)
{

	memset(t, 0, sizeof(*t));
	t->jt_next = 1;
}

bool
jp_table_empty(const struct jp_table *t)
{

	return t->jt_count == 0;
}

const struct jp_jail *
jp_lookup(const struct jp_table *t, uint32_t id)
{
	const struct jp_jail *j;

	if (id < 1 || id > JP_MAX_JAILS)
		return NULL;
	j = &t->jt_jails[id - 1];
	return j->jj_id == id ? j : NULL;
}

static bool
name_char_ok(char c)
{

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* 1..63 bytes of [A-Za-z0-9._-], not "." or "..", zero-filled. */
static int
validate_name(const char *name)
{
	size_t i, len;

	for (len = 0; len < JAIL_NAME_MAX && name[len] != '\0'; len++)
		if (!name_char_ok(name[len]))
			return JP_E_NAME;
	if (len == 0 || len == JAIL_NAME_MAX)
		return JP_E_NAME;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return JP_E_NAME;
	for (i = len; i < JAIL_NAME_MAX; i++)
		if (name[i] != '\0')
			return JP_E_PAD;
	return JP_OK;
}

static bool
port_slot_zero(const struct jail_port *p)
{

	return p->jp_port == 0 && p->jp_proto == 0 && p->jp_pad == 0;
}

static int
validate_ports(const struct jail_create_req *req)
{
	const struct jail_port *p, *q;
	uint32_t i, k;

	if (req->jc_nports > JAIL_PORTS_MAX)
		return JP_E_NPORTS;
	for (i = 0; i < req->jc_nports; i++) {
		p = &req->jc_ports[i];
		if (p->jp_port == 0)
			return JP_E_PORT;
		if (p->jp_proto == 0 || (p->jp_proto & ~JAIL_PROTO_ALL) != 0)
			return JP_E_PROTO;
		if (p->jp_pad != 0)
			return JP_E_PAD;
		for (k = 0; k < i; k++) {
			q = &req->jc_ports[k];
			if (q->jp_port == p->jp_port &&
			    (q->jp_proto & p->jp_proto) != 0)
				return JP_E_DUPPORT;
		}
	}
	for (; i < JAIL_PORTS_MAX; i++)
		if (!port_slot_zero(&req->jc_ports[i]))
			return JP_E_PAD;
	return JP_OK;
}

/* Check a create request on its own, without the table. */
int
jp_validate_create(const struct jail_create_req *req)
{
	int error;

	if (req->jc_abi_version != JAIL_ABI_VERSION)
		return JP_E_ABI;
	if ((error = validate_name(req->jc_name)) != JP_OK)
		return error;
	if (!profile_valid(req->jc_profile))
		return JP_E_PROFILE;
	if ((req->jc_flags & ~JAIL_FLAGS_ALL) != 0)
		return JP_E_FLAGS;
	return validate_ports(req);
}

static bool
names_equal(const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < JAIL_NAME_MAX; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return true;
}

/* Index into jt_owner for each bit of a JAIL_PROTO_* mask. */
static const uint32_t proto_bits[2] = { JAIL_PROTO_TCP, JAIL_PROTO_UDP };

/*
 * The first jail other than `self' that holds port for any protocol
 * in mask, or 0.  *protop receives that protocol.
 */
static uint32_t
port_held_by_other(const struct jp_table *t, uint16_t port, uint32_t mask,
    uint32_t self, uint8_t *protop)
{
	uint32_t owner;
	int b;

	for (b = 0; b < 2; b++) {
		if ((mask & proto_bits[b]) == 0)
			continue;
		owner = t->jt_owner[b][port];
		if (owner != 0 && owner != self) {
			if (protop != NULL)
				*protop = (uint8_t)proto_bits[b];
			return owner;
		}
	}
	return 0;
}

/* A free id at or after the cursor: freed ids come back last. */
static uint32_t
alloc_id(const struct jp_table *t)
{
	uint32_t id, n;

	id = t->jt_next;
	for (n = 0; n < JP_MAX_JAILS; n++) {
		if (t->jt_jails[id - 1].jj_id == 0)
			return id;
		id = id % JP_MAX_JAILS + 1;
	}
	return 0;
}

/*
 * Create a jail.  Validates req, then checks the name, the ports and
 * the id space against the table; on success the jail owns its ports.
 * reply is always filled (jr_conflict_* on EXISTS and PORTINUSE).
 * Caller holds the table exclusively.
 */
int
jp_create(struct jp_table *t, const struct jail_create_req *req,
    uint64_t now, struct jail_create_reply *reply)
{
	struct jp_jail *j;
	const struct jail_port *p;
	uint32_t i, id, other;
	int error, b;
	uint8_t proto;

	memset(reply, 0, sizeof(*reply));
	reply->jr_abi_version = JAIL_ABI_VERSION;
	if ((error = jp_validate_create(req)) != JP_OK)
		return error;

	for (i = 0; i < JP_MAX_JAILS; i++) {
		j = &t->jt_jails[i];
		if (j->jj_id != 0 && names_equal(j->jj_name, req->jc_name)) {
			reply->jr_conflict_id = (int32_t)j->jj_id;
			return JP_E_EXISTS;
		}
	}
	for (i = 0; i < req->jc_nports; i++) {
		p = &req->jc_ports[i];
		proto = 0;
		other = port_held_by_other(t, p->jp_port, p->jp_proto, 0,
		    &proto);
		if (other != 0) {
			reply->jr_conflict_id = (int32_t)other;
			reply->jr_conflict_port = p->jp_port;
			reply->jr_conflict_proto = proto;
			return JP_E_PORTINUSE;
		}
	}
	if ((id = alloc_id(t)) == 0)
		return JP_E_FULL;

	j = &t->jt_jails[id - 1];
	memset(j, 0, sizeof(*j));
	j->jj_id = id;
	j->jj_profile = req->jc_profile;
	j->jj_flags = req->jc_flags;
	j->jj_nports = req->jc_nports;
	j->jj_created = now;
	memcpy(j->jj_name, req->jc_name, sizeof(j->jj_name));
	memcpy(j->jj_ports, req->jc_ports, sizeof(j->jj_ports));
	for (i = 0; i < j->jj_nports; i++) {
		p = &j->jj_ports[i];
		for (b = 0; b < 2; b++)
			if (p->jp_proto & proto_bits[b])
				t->jt_owner[b][p->jp_port] = (uint16_t)id;
	}
	t->jt_count++;
	t->jt_next = id % JP_MAX_JAILS + 1;
	reply->jr_id = (int32_t)id;
	return JP_OK;
}

/*
 * Destroy jail id, which the caller has counted nmembers member
 * processes (live and zombie) of, while holding the table
 * exclusively so none can enter in between.
 */
int
jp_destroy(struct jp_table *t, uint32_t id, uint32_t nmembers)
{
	struct jp_jail *j;
	const struct jail_port *p;
	uint32_t i;
	int b;

	if (id < 1 || id > JP_MAX_JAILS)
		return JP_E_ID;
	j = &t->jt_jails[id - 1];
	if (j->jj_id != id)
		return JP_E_NOENT;
	if (nmembers != 0)
		return JP_E_BUSY;
	for (i = 0; i < j->jj_nports; i++) {
		p = &j->jj_ports[i];
		for (b = 0; b < 2; b++)
			if ((p->jp_proto & proto_bits[b]) != 0 &&
			    t->jt_owner[b][p->jp_port] == id)
				t->jt_owner[b][p->jp_port] = 0;
	}
	memset(j, 0, sizeof(*j));
	t->jt_count--;
	return JP_OK;
}

/* Check a destroy/enter request; *idp receives the jail id. */
int
jp_id_req(const struct jail_id_req *r, uint32_t *idp)
{

	if (r->jd_abi_version != JAIL_ABI_VERSION)
		return JP_E_ABI;
	if (r->jd_id < 1 || r->jd_id > JP_MAX_JAILS)
		return JP_E_ID;
	*idp = (uint32_t)r->jd_id;
	return JP_OK;
}

/* Only host root (euid 0 outside any jail) runs the control plane. */
int
jp_may_admin(const struct jp_subject *s)
{

	return jp_is_host_root(s) ? JP_OK : JP_E_PERM;
}

/*
 * May caller move its own process into jail target?  Only host root,
 * only into an existing jail, and only once chrooted, so that no
 * jailed process ever runs with the host's root directory.  There is
 * no way out of a jail and none between jails.
 */
int
jp_enter_check(const struct jp_table *t, const struct jp_subject *caller,
    uint32_t target, bool chrooted)
{

	if (jp_may_admin(caller) != JP_OK)
		return JP_E_PERM;
	if (target < 1 || target > JP_MAX_JAILS)
		return JP_E_ID;
	if (jp_lookup(t, target) == NULL)
		return JP_E_NOENT;
	if (!chrooted)
		return JP_E_NOTCHROOTED;
	return JP_OK;
}

/* Host credentials list every jail, a jailed process only its own. */
bool
jp_may_list(const struct jp_subject *s, uint32_t id)
{

	return s->js_jail == JP_HOST || s->js_jail == id;
}

/* The static part of a jail_info; the glue adds the telemetry. */
void
jp_info_fill(const struct jp_jail *j, struct jail_info *ji)
{

	memset(ji, 0, sizeof(*ji));
	ji->ji_abi_version = JAIL_ABI_VERSION;
	ji->ji_id = (int32_t)j->jj_id;
	ji->ji_profile = j->jj_profile;
	ji->ji_flags = j->jj_flags;
	memcpy(ji->ji_name, j->jj_name, sizeof(ji->ji_name));
	ji->ji_nports = j->jj_nports;
	memcpy(ji->ji_ports, j->jj_ports, sizeof(ji->ji_ports));
	ji->ji_created = j->jj_created;
}

/* The jail holding port for any protocol in mask, or 0. */
uint32_t
jp_port_owner(const struct jp_table *t, uint16_t port, uint32_t mask)
{

	return port_held_by_other(t, port, mask, 0, NULL);
}

/*
 * The port of a KAUTH_NETWORK_BIND request, from the sockaddr the
 * kernel passed: sa_len, sa_family, then the port at offset 2 for
 * both sockaddr_in and sockaddr_in6.
 *
 * bind(2), and the port-0 check before autoassign, pass a sockaddr
 * that in_pcbbind()/in6_pcbbind() already validated, with the port in
 * network byte order.  NetBSD's portalgo.c check_suitable_port()
 * instead authorises each autoassign candidate with an on-stack
 * sockaddr whose sa_len and sa_family it never sets and whose port it
 * stores in HOST byte order.  So a well-formed sockaddr is an explicit
 * request; anything else is read as a candidate, in host order.  A
 * candidate whose stack garbage happens to look well-formed is read
 * byte-swapped and, for a jailed caller, most likely refused: the
 * kernel then tries the next candidate (see README, "Ports").
 */
enum jp_bind_origin
jp_sockaddr_port(const void *sa, uint8_t af_inet, uint8_t af_inet6,
    uint16_t *portp)
{
	const uint8_t *b = sa;
	uint16_t raw;

	*portp = 0;
	if (sa == NULL)
		return JP_BIND_EXPLICIT;	/* port 0: nothing to check */
	if ((b[1] == af_inet && b[0] == JP_SIN_LEN) ||
	    (b[1] == af_inet6 && b[0] == JP_SIN6_LEN)) {
		*portp = (uint16_t)((b[2] << 8) | b[3]);
		return JP_BIND_EXPLICIT;
	}
	memcpy(&raw, b + 2, sizeof(raw));
	*portp = raw;
	return JP_BIND_CANDIDATE;
}

/*
 * Decide a bind of port (protocols in mask; JAIL_PROTO_ALL when the
 * socket's protocol is neither TCP nor UDP) by subject s.  Caller
 * holds the table shared.  [eph_lo, eph_hi] is the kernel's ephemeral
 * port range.
 *
 * Port 0 asks the kernel to pick a port: allowed.  The kernel then
 * authorises each candidate it tries (origin JP_BIND_CANDIDATE): any
 * candidate that another jail reserved is refused, for every caller
 * including host root, which only steers autoassign elsewhere.
 *
 * An explicit port reserved by another jail is denied to everyone but
 * host root.  A port the subject's jail reserved is never ALLOWed:
 * the answer is DEFER, so the normal privileged-port rule still
 * applies to it.  A jailed subject may bind an unreserved port only in
 * the ephemeral range, unless its jail has JAIL_FLAG_ANYPORT.
 */
int
jp_bind(const struct jp_table *t, const struct jp_subject *s, uint16_t port,
    uint32_t mask, enum jp_bind_origin origin, uint16_t eph_lo,
    uint16_t eph_hi)
{
	uint32_t other;
	bool jailed;

	jailed = s->js_jail != JP_HOST;
	if (jailed && !profile_valid(s->js_profile))
		return JP_DENY;
	if (port == 0)
		return JP_DEFER;
	mask &= JAIL_PROTO_ALL;
	if (mask == 0)
		mask = JAIL_PROTO_ALL;

	other = port_held_by_other(t, port, mask, s->js_jail, NULL);
	if (origin == JP_BIND_CANDIDATE)
		return other != 0 ? JP_DENY : JP_DEFER;
	if (other != 0)
		return jp_is_host_root(s) ? JP_DEFER : JP_DENY;
	if (!jailed)
		return JP_DEFER;
	if (port_held_by_other(t, port, mask, 0, NULL) == s->js_jail)
		return JP_DEFER;	/* its own */
	if ((s->js_flags & JAIL_FLAG_ANYPORT) != 0)
		return JP_DEFER;
	if (port >= eph_lo && port <= eph_hi)
		return JP_DEFER;
	return JP_DENY;
}

const char *
jp_strerror(int e)
{
	static const char *const msgs[JP_NERR] = {
		[JP_OK] = "ok",
		[JP_E_ABI] = "ABI version mismatch",
		[JP_E_NAME] = "bad name: 1..63 bytes of [A-Za-z0-9._-]",
		[JP_E_PROFILE] = "unknown profile",
		[JP_E_FLAGS] = "unknown flags",
		[JP_E_NPORTS] = "too many reserved ports",
		[JP_E_PORT] = "reserved port 0",
		[JP_E_PROTO] = "bad port protocol",
		[JP_E_DUPPORT] = "duplicate reserved port",
		[JP_E_PAD] = "nonzero padding or unused field",
		[JP_E_ID] = "jail id out of range",
		[JP_E_EXISTS] = "name already in use",
		[JP_E_PORTINUSE] = "port reserved by another jail",
		[JP_E_FULL] = "no free jail id",
		[JP_E_NOENT] = "no such jail",
		[JP_E_BUSY] = "jail still has processes",
		[JP_E_PERM] = "only host root may do this",
		[JP_E_NOTCHROOTED] = "chroot before entering a jail",
	};

	return (unsigned)e < JP_NERR ? msgs[e] : "unknown error";
}

/*
 * Token bucket.
 */
void
jp_ratelimit_init(struct jp_ratelimit *rl, uint32_t burst, uint32_t per_sec,
    uint64_t now_ms)
{

	rl->rl_burst = burst;
	rl->rl_per_sec = per_sec;
	rl->rl_milli = (uint64_t)burst * 1000;
	rl->rl_last_ms = now_ms;
}

/* Take one token if there is one.  A clock going back adds nothing. */
bool
jp_ratelimit_take(struct jp_ratelimit *rl, uint64_t now_ms)
{
	uint64_t cap, elapsed;

	cap = (uint64_t)rl->rl_burst * 1000;
	if (now_ms > rl->rl_last_ms) {
		elapsed = now_ms - rl->rl_last_ms;
		/*
		 * per_sec tokens/s is per_sec thousandths per ms.  Past a
		 * full refill the product could overflow: clamp first.
		 */
		if (rl->rl_per_sec != 0) {
			if (elapsed > cap / rl->rl_per_sec)
				rl->rl_milli = cap;
			else
				rl->rl_milli += elapsed * rl->rl_per_sec;
			if (rl->rl_milli > cap)
				rl->rl_milli = cap;
		}
		rl->rl_last_ms = now_ms;
	}
	if (rl->rl_milli < 1000)
		return false;
	rl->rl_milli -= 1000;
	return true;
}

/*
 * Denial accounting.
 */
void
jp_audit_init(struct jp_audit *a, uint64_t now_ms)
{
	int sc;

	memset(a, 0, sizeof(*a));
	for (sc = 0; sc < JP_NSCOPES; sc++)
		jp_ratelimit_init(&a->ja_rl[sc], JP_AUDIT_BURST,
		    JP_AUDIT_PER_SEC, now_ms);
}

/*
 * Count a denial of action by a credential of jail `jail'.  Returns
 * true when the caller should log a line now; *pendingp then holds the
 * lines suppressed for this scope since the last one logged.
 */
bool
jp_audit_deny(struct jp_audit *a, enum jp_action action, uint32_t jail,
    uint64_t now_ms, uint64_t *pendingp)
{
	enum jp_scope sc;

	sc = jp_action_scope(action);
	a->ja_denied[sc]++;
	if (jail <= JP_MAX_JAILS)
		a->ja_jail_denied[jail]++;
	*pendingp = 0;
	if (jp_action_is_quiet(action))
		return false;
	if (!jp_ratelimit_take(&a->ja_rl[sc], now_ms)) {
		a->ja_suppressed[sc]++;
		a->ja_pending[sc]++;
		return false;
	}
	*pendingp = a->ja_pending[sc];
	a->ja_pending[sc] = 0;
	return true;
}

/* A new jail starts with a clean count. */
void
jp_audit_reset_jail(struct jp_audit *a, uint32_t jail)
{

	if (jail >= 1 && jail <= JP_MAX_JAILS)
		a->ja_jail_denied[jail] = 0;
}
