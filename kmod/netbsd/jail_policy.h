/*	$Jails: jail_policy.h $	*/

/*
 * The portable policy core of secmodel_jail.
 *
 * Every decision the module makes is taken here, in plain C99 that
 * knows nothing about the kernel: the kernel glue (secmodel_jail.c)
 * only translates kauth(9) arguments into the vocabulary below and the
 * results back.  That keeps the part that decides testable in
 * userland (test_policy.c) and the part that cannot be tested here
 * small.
 *
 * Nothing in this file allocates, sleeps or locks: callers own the
 * storage and the locking (see the comment on each function).
 */

#ifndef _JAIL_POLICY_H_
#define _JAIL_POLICY_H_

#if defined(_KERNEL) || defined(_STANDALONE)
#include <sys/types.h>		/* uint*_t, bool, size_t */
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#include "jail_abi.h"

/* Decisions; equal to KAUTH_RESULT_ALLOW/DENY/DEFER on purpose. */
#define	JP_ALLOW	0
#define	JP_DENY		1
#define	JP_DEFER	2

/* Bound on the jail table: ids are 1..JP_MAX_JAILS. */
#ifndef JP_MAX_JAILS
#define	JP_MAX_JAILS	256
#endif
#if JP_MAX_JAILS < 1 || JP_MAX_JAILS > 0xffff
#error "JP_MAX_JAILS must be 1..65535 (ids are 16 bits in the cred token)"
#endif

#define	JP_HOST		0u		/* jail id of host credentials */
#define	JP_TARGET_UNKNOWN 0xffffffffu	/* target jail not known */

/* Scopes; the values are the JAIL_SCOPE_* counter indices. */
enum jp_scope {
	JP_SCOPE_PROCESS = JAIL_SCOPE_PROCESS,
	JP_SCOPE_SYSTEM = JAIL_SCOPE_SYSTEM,
	JP_SCOPE_MACHDEP = JAIL_SCOPE_MACHDEP,
	JP_SCOPE_DEVICE = JAIL_SCOPE_DEVICE,
	JP_SCOPE_NETWORK = JAIL_SCOPE_NETWORK,
	JP_NSCOPES = JAIL_NSCOPES
};

/*
 * Actions: one per row of the documented table (README.md).  The
 * glue maps each (kauth scope, action, request) to one of these;
 * anything it does not recognise maps to the scope's *_UNKNOWN row,
 * which denies every jailed credential (fail closed).
 */
enum jp_action {
	/* process scope: the cross-jail rule */
	JP_PROC_CANSEE,
	JP_PROC_CORENAME,
	JP_PROC_FORK,
	JP_PROC_KEVENT_FILTER,
	JP_PROC_KTRACE,
	JP_PROC_NICE,
	JP_PROC_PROCFS,
	JP_PROC_PTRACE,
	JP_PROC_RLIMIT,
	JP_PROC_SCHED_GETAFFINITY,
	JP_PROC_SCHED_SETAFFINITY,
	JP_PROC_SCHED_GETPARAM,
	JP_PROC_SCHED_SETPARAM,
	JP_PROC_SETID,
	JP_PROC_SIGNAL,
	JP_PROC_STOPFLAG,
	JP_PROC_UNKNOWN,
	/* system scope */
	JP_SYS_ACCOUNTING,
	JP_SYS_CHROOT,
	JP_SYS_CHSYSFLAGS,
	JP_SYS_CPU,
	JP_SYS_DEBUG,
	JP_SYS_DEVMAPPER,
	JP_SYS_FILEHANDLE,
	JP_SYS_FS_EXTATTR,
	JP_SYS_FS_QUOTA_GET,
	JP_SYS_FS_QUOTA_MANAGE,
	JP_SYS_FS_QUOTA_NOLIMIT,
	JP_SYS_FS_RESERVEDSPACE,
	JP_SYS_FS_SNAPSHOT,
	JP_SYS_INTR,
	JP_SYS_KERNADDR,
	JP_SYS_LFS,
	JP_SYS_MAP_VA_ZERO,
	JP_SYS_MKNOD,
	JP_SYS_MODULE,
	JP_SYS_MOUNT_GET,
	JP_SYS_MOUNT_MODIFY,
	JP_SYS_MQUEUE,
	JP_SYS_PSET,
	JP_SYS_REBOOT,
	JP_SYS_SEMAPHORE,
	JP_SYS_SETIDCORE,
	JP_SYS_SWAPCTL,
	JP_SYS_SYSCTL_DESC,
	JP_SYS_SYSCTL_PRIVATE,
	JP_SYS_SYSCTL_WRITE,
	JP_SYS_SYSVIPC,
	JP_SYS_TIME,
	JP_SYS_VERIEXEC,
	JP_SYS_UNKNOWN,
	/* machdep scope */
	JP_MD_CACHEFLUSH,
	JP_MD_CPU_UCODE_APPLY,
	JP_MD_IOPERM_GET,
	JP_MD_IOPERM_SET,
	JP_MD_IOPL,
	JP_MD_LDT_GET,
	JP_MD_LDT_SET,
	JP_MD_MTRR_GET,
	JP_MD_MTRR_SET,
	JP_MD_NVRAM,
	JP_MD_PXG,
	JP_MD_SVS_DISABLE,
	JP_MD_UNMANAGEDMEM,
	JP_MD_UNKNOWN,
	/* device scope */
	JP_DEV_BLUETOOTH_BCSP,
	JP_DEV_BLUETOOTH_BTUART,
	JP_DEV_BLUETOOTH_RECV,
	JP_DEV_BLUETOOTH_SEND,
	JP_DEV_BLUETOOTH_SETPRIV,
	JP_DEV_GPIO_PINSET,
	JP_DEV_NVMM_CTL,
	JP_DEV_RAWIO_PASSTHRU,
	JP_DEV_RAWIO_SPEC,
	JP_DEV_RND_ADDDATA,
	JP_DEV_RND_ADDDATA_ESTIMATE,
	JP_DEV_RND_GETPRIV,
	JP_DEV_RND_SETPRIV,
	JP_DEV_TTY_OPEN,
	JP_DEV_TTY_PRIVSET,
	JP_DEV_TTY_STI,
	JP_DEV_TTY_VIRTUAL,
	JP_DEV_WSCONS_KEYBOARD_BELL,
	JP_DEV_WSCONS_KEYBOARD_KEYREPEAT,
	JP_DEV_UNKNOWN,
	/* network scope (bind is jp_bind(), not a row) */
	JP_NET_ALTQ,
	JP_NET_BIND_ANYADDR,
	JP_NET_FIREWALL,
	JP_NET_FORWSRCRT,
	JP_NET_IFACE_BRIDGE,
	JP_NET_IFACE_CREATE,
	JP_NET_IFACE_FIRMWARE,
	JP_NET_IFACE_GET,
	JP_NET_IFACE_GETPRIV,
	JP_NET_IFACE_SET,
	JP_NET_IFACE_SETPRIV,
	JP_NET_IFACE_WG,
	JP_NET_IPSEC_BYPASS,
	JP_NET_IPV6_HOPBYHOP,
	JP_NET_IPV6_JOIN_MULTICAST,
	JP_NET_NFS,
	JP_NET_ROUTE,
	JP_NET_SMB,
	JP_NET_SOCKET_CANSEE,
	JP_NET_SOCKET_DROP,
	JP_NET_SOCKET_OPEN,
	JP_NET_SOCKET_OPEN_KEY,
	JP_NET_SOCKET_RAWSOCK,
	JP_NET_SOCKET_SETPRIV,
	JP_NET_UNKNOWN,
	JP_NACTIONS
};

/* Error codes of the control plane; the glue maps them to errno. */
enum jp_err {
	JP_OK = 0,
	JP_E_ABI,		/* abi_version mismatch: EPROTO */
	JP_E_NAME,		/* bad name: EINVAL */
	JP_E_PROFILE,		/* unknown profile: EINVAL */
	JP_E_FLAGS,		/* unknown flag bits: EINVAL */
	JP_E_NPORTS,		/* more than JAIL_PORTS_MAX ports: EINVAL */
	JP_E_PORT,		/* port 0: EINVAL */
	JP_E_PROTO,		/* protocol mask 0 or unknown: EINVAL */
	JP_E_DUPPORT,		/* same port and protocol twice: EINVAL */
	JP_E_PAD,		/* nonzero padding or unused slot: EINVAL */
	JP_E_ID,		/* id out of range: EINVAL */
	JP_E_EXISTS,		/* name taken: EEXIST */
	JP_E_PORTINUSE,		/* port held by another jail: EADDRINUSE */
	JP_E_FULL,		/* all JP_MAX_JAILS ids in use: ENOSPC */
	JP_E_NOENT,		/* no such jail: ENOENT */
	JP_E_BUSY,		/* jail still has member processes: EBUSY */
	JP_E_PERM,		/* caller is not host root: EPERM */
	JP_E_NOTCHROOTED,	/* enter without chroot(2) first: EPERM */
	JP_NERR
};

/*
 * The credential seen by a decision.  Built by jp_token_subject() from
 * the jail token the module keeps in each kauth credential.
 */
struct jp_subject {
	uint32_t	js_jail;	/* JP_HOST or 1..JP_MAX_JAILS */
	uint32_t	js_euid;
	uint32_t	js_profile;	/* JAIL_PROFILE_*; others fail closed */
	uint32_t	js_flags;	/* JAIL_FLAG_* */
};

/*
 * Jail token: what a credential carries (kauth specific data, stored
 * as an integer, never a pointer, so nothing is allocated or freed
 * with credentials).  Immutable for the life of the jail, so checks
 * on the hot paths need no lock.  Token 0 is the host.
 *   bits  0..15 jail id, 16..19 profile, 20..27 flags.
 */
uint32_t	jp_token_make(uint32_t, uint32_t, uint32_t);
void		jp_token_subject(uint32_t, uint32_t, struct jp_subject *);
bool		jp_is_host_root(const struct jp_subject *);

/* Decisions. */
enum jp_scope	jp_action_scope(enum jp_action);
const char	*jp_action_name(enum jp_action);
const char	*jp_scope_name(enum jp_scope);
bool		jp_action_is_cross(enum jp_action);
bool		jp_action_is_quiet(enum jp_action);
int		jp_profile_deny_from(enum jp_action);
int		jp_decide(const struct jp_subject *, enum jp_action, uint32_t);

/* Where a bind request came from (see jp_bind()). */
enum jp_bind_origin {
	JP_BIND_EXPLICIT,	/* bind(2)/connect(2) path: port is exact */
	JP_BIND_CANDIDATE	/* a port the kernel's autoassign tries */
};

/* sa_len of a well-formed sockaddr_in / sockaddr_in6 on NetBSD. */
#define	JP_SIN_LEN	16
#define	JP_SIN6_LEN	28

enum jp_bind_origin jp_sockaddr_port(const void *, uint8_t, uint8_t,
		    uint16_t *);

struct jp_jail {
	uint32_t	jj_id;		/* 0: free slot */
	uint32_t	jj_profile;
	uint32_t	jj_flags;
	uint32_t	jj_nports;
	uint64_t	jj_created;	/* caller's clock, seconds */
	char		jj_name[JAIL_NAME_MAX];
	struct jail_port jj_ports[JAIL_PORTS_MAX];
};

/*
 * The jail table.  The caller allocates it (about 320 KB with the
 * default bound, mostly the port owner map) and serialises access:
 * writers (create/destroy) exclusive, readers shared.
 */
struct jp_table {
	uint32_t	jt_next;	/* next id to try, 1..JP_MAX_JAILS */
	uint32_t	jt_count;	/* jails in use */
	struct jp_jail	jt_jails[JP_MAX_JAILS];	/* slot i holds id i+1 */
	uint16_t	jt_owner[2][65536]; /* [tcp,udp][port] -> jail id */
};

void		jp_table_init(struct jp_table *);
bool		jp_table_empty(const struct jp_table *);
const struct jp_jail *jp_lookup(const struct jp_table *, uint32_t);
int		jp_validate_create(const struct jail_create_req *);
int		jp_create(struct jp_table *, const struct jail_create_req *,
		    uint64_t, struct jail_create_reply *);
int		jp_destroy(struct jp_table *, uint32_t, uint32_t);
int		jp_id_req(const struct jail_id_req *, uint32_t *);
int		jp_may_admin(const struct jp_subject *);
int		jp_enter_check(const struct jp_table *,
		    const struct jp_subject *, uint32_t, bool);
bool		jp_may_list(const struct jp_subject *, uint32_t);
void		jp_info_fill(const struct jp_jail *, struct jail_info *);
uint32_t	jp_port_owner(const struct jp_table *, uint16_t, uint32_t);
int		jp_bind(const struct jp_table *, const struct jp_subject *,
		    uint16_t, uint32_t, enum jp_bind_origin, uint16_t,
		    uint16_t);
const char	*jp_strerror(int);

/*
 * Token bucket for audit logging, driven by a caller-supplied clock
 * in milliseconds so it can be tested.  Tokens are kept in
 * thousandths to refill smoothly with integer arithmetic.
 */
struct jp_ratelimit {
	uint64_t	rl_last_ms;	/* clock at the last refill */
	uint64_t	rl_milli;	/* tokens * 1000 */
	uint32_t	rl_burst;	/* bucket size, tokens */
	uint32_t	rl_per_sec;	/* refill, tokens per second */
};

void		jp_ratelimit_init(struct jp_ratelimit *, uint32_t, uint32_t,
		    uint64_t);
bool		jp_ratelimit_take(struct jp_ratelimit *, uint64_t);

/*
 * Denial accounting: per-scope and per-jail counters plus one rate
 * limiter per scope.  The caller serialises access (the glue uses a
 * spin mutex, as kauth listeners may run under spin locks).
 */
struct jp_audit {
	uint64_t	ja_denied[JP_NSCOPES];
	uint64_t	ja_suppressed[JP_NSCOPES];	/* log lines dropped */
	uint64_t	ja_pending[JP_NSCOPES];	/* dropped since last line */
	uint64_t	ja_jail_denied[JP_MAX_JAILS + 1]; /* [0]: host */
	struct jp_ratelimit ja_rl[JP_NSCOPES];
};

#define	JP_AUDIT_BURST		10	/* log lines at once, per scope */
#define	JP_AUDIT_PER_SEC	1	/* sustained log lines/s, per scope */

void		jp_audit_init(struct jp_audit *, uint64_t);
bool		jp_audit_deny(struct jp_audit *, enum jp_action, uint32_t,
		    uint64_t, uint64_t *);
void		jp_audit_reset_jail(struct jp_audit *, uint32_t);

#endif /* !_JAIL_POLICY_H_ */
