/*	$Jails: jail_abi.h $	*/

/*
 * The binary interface between the secmodel_jail kernel module and
 * userland (jailctl, the Go package kmod/secmodel).
 *
 * Rules, all checked by kmod/secmodel/abi_test.go against this file:
 *  - every request and reply struct begins with uint32_t abi_version,
 *    which must equal JAIL_ABI_VERSION or the kernel refuses the request
 *    (EPROTO); a changed layout MUST bump JAIL_ABI_VERSION;
 *  - only fixed-width types; every field is naturally aligned and the
 *    fields tile the struct exactly, with explicit padding fields and
 *    no implicit holes, so the layout is the same on ILP32 and LP64;
 *  - padding and unused array slots must be zero (the kernel refuses
 *    anything else, so they stay usable for later versions);
 *  - integers are in host byte order, ports included.
 *
 * All sysctl nodes live under security.models.jail; their MIB numbers
 * are assigned at load time, so userland resolves them by name.
 */

#ifndef _JAIL_ABI_H_
#define _JAIL_ABI_H_

#if defined(_KERNEL) || defined(_STANDALONE)
#include <sys/types.h>
#else
#include <stdint.h>
#endif

#define	JAIL_ABI_VERSION	1u

#define	JAIL_NAME_MAX		64	/* name buffer; names are 1..63 bytes */
#define	JAIL_PORTS_MAX		32	/* reserved ports per jail */

/* Security profiles (jc_profile, ji_profile). */
#define	JAIL_PROFILE_LOW	0u
#define	JAIL_PROFILE_MEDIUM	1u
#define	JAIL_PROFILE_HIGH	2u
#define	JAIL_PROFILE_DEFAULT	JAIL_PROFILE_HIGH

/* Jail flags (jc_flags, ji_flags). */
#define	JAIL_FLAG_ANYPORT	0x00000001u /* may bind any unreserved port */
#define	JAIL_FLAGS_ALL		JAIL_FLAG_ANYPORT

/* Protocols of a reserved port (jp_proto); a bit mask. */
#define	JAIL_PROTO_TCP		0x01u
#define	JAIL_PROTO_UDP		0x02u
#define	JAIL_PROTO_ALL		(JAIL_PROTO_TCP | JAIL_PROTO_UDP)

/* Denial counter scopes, in the order of the counters.* sysctl nodes. */
#define	JAIL_SCOPE_PROCESS	0u
#define	JAIL_SCOPE_SYSTEM	1u
#define	JAIL_SCOPE_MACHDEP	2u
#define	JAIL_SCOPE_DEVICE	3u
#define	JAIL_SCOPE_NETWORK	4u
#define	JAIL_NSCOPES		5u

/* sysctl names (security.models.jail.<node>). */
#define	JAIL_SYSCTL_ROOT	"security.models.jail"
#define	JAIL_SYSCTL_VERSION	JAIL_SYSCTL_ROOT ".version"
#define	JAIL_SYSCTL_CREATE	JAIL_SYSCTL_ROOT ".create"
#define	JAIL_SYSCTL_DESTROY	JAIL_SYSCTL_ROOT ".destroy"
#define	JAIL_SYSCTL_ENTER	JAIL_SYSCTL_ROOT ".enter"
#define	JAIL_SYSCTL_ID		JAIL_SYSCTL_ROOT ".id"
#define	JAIL_SYSCTL_LIST	JAIL_SYSCTL_ROOT ".list"
#define	JAIL_SYSCTL_COUNTERS	JAIL_SYSCTL_ROOT ".counters"

/* One reserved port: 4 bytes. */
struct jail_port {
	uint16_t	jp_port;	/* 1..65535 */
	uint8_t		jp_proto;	/* JAIL_PROTO_* mask, not 0 */
	uint8_t		jp_pad;		/* must be 0 */
};

/*
 * Written to security.models.jail.create (newlen == sizeof); the old
 * buffer, if given, receives a struct jail_create_reply.  208 bytes.
 */
struct jail_create_req {
	uint32_t	jc_abi_version;		/* JAIL_ABI_VERSION */
	uint32_t	jc_profile;		/* JAIL_PROFILE_* */
	uint32_t	jc_flags;		/* JAIL_FLAG_* */
	uint32_t	jc_nports;		/* 0..JAIL_PORTS_MAX */
	char		jc_name[JAIL_NAME_MAX];	/* NUL-terminated, zero-filled */
	struct jail_port jc_ports[JAIL_PORTS_MAX]; /* unused slots zero */
};

/*
 * Reply to create.  On success jr_id is the new jail.  On EADDRINUSE
 * jr_conflict_* name the first requested port that another jail
 * holds; on EEXIST jr_conflict_id is the jail that has the name.
 * 16 bytes.
 */
struct jail_create_reply {
	uint32_t	jr_abi_version;
	int32_t		jr_id;
	int32_t		jr_conflict_id;
	uint16_t	jr_conflict_port;
	uint8_t		jr_conflict_proto;
	uint8_t		jr_pad;
};

/*
 * Written to security.models.jail.destroy and .enter.  8 bytes.
 */
struct jail_id_req {
	uint32_t	jd_abi_version;
	int32_t		jd_id;
};

/*
 * security.models.jail.list returns an array of these (host
 * credentials see every jail, a jailed process only its own).  The
 * telemetry is a snapshot taken by walking the process list at read
 * time.  264 bytes.
 */
struct jail_info {
	uint32_t	ji_abi_version;
	int32_t		ji_id;
	uint32_t	ji_profile;
	uint32_t	ji_flags;
	char		ji_name[JAIL_NAME_MAX];
	uint32_t	ji_nports;
	uint32_t	ji_nprocs;		/* live member processes */
	uint32_t	ji_nzombies;		/* members not yet reaped */
	uint32_t	ji_pad0;
	struct jail_port ji_ports[JAIL_PORTS_MAX];
	uint64_t	ji_cpu_ticks;		/* statclock ticks, live members */
	uint64_t	ji_child_cpu_usec;	/* user+sys of reaped children */
	uint64_t	ji_rss_pages;		/* resident pages, live members */
	uint64_t	ji_created;		/* uptime (s) at creation */
	uint64_t	ji_denied;		/* kauth denials of members */
};

#endif /* !_JAIL_ABI_H_ */
