/*	$Jails: jailtest.h $	*/

/*
 * The secmodel_jail harness for a NetBSD 8.99.25 rump kernel: see
 * run.sh.  The program runs on the host (Linux, glibc); every
 * rump_sys_*() call runs in the NetBSD kernel linked into it, module
 * included.  Host libc headers describe the host, so the few NetBSD
 * constants and layouts needed are spelled out here; the Go test
 * kmod/netbsd_abi_test.go checks the same numbers against the kit's
 * headers.
 */

#ifndef _JAILTEST_H_
#define _JAILTEST_H_

#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include "jail_abi.h"

/* NetBSD values (sys/socket.h, sys/sysctl.h, ...), not the host's. */
#define	NB_AF_INET		2
#define	NB_AF_INET6		24
#define	NB_PF_KEY		29
#define	NB_PF_ROUTE		34
#define	NB_SOCK_STREAM		1
#define	NB_SOCK_DGRAM		2
#define	NB_SOCK_RAW		3
#define	NB_IPPROTO_ICMP		1
#define	NB_IPPROTO_ICMPV6	58
#define	NB_CTL_KERN		1
#define	NB_CTL_PROC		10
#define	NB_KERN_PROC2		47
#define	NB_KERN_PROC_ALL	0
#define	NB_PROC_PID_CORENAME	1
#define	NB_PROC_PID_LIMIT	2
#define	NB_PROC_PID_LIMIT_NOFILE 9	/* RLIMIT_NOFILE + 1 */
#define	NB_PROC_PID_LIMIT_SOFT	1
#define	NB_CTL_QUERY		(-2)
#define	NB_SYSCTL_VERS_1	0x01000000
#define	NB_SYSCTLNODE_SIZE	96	/* sizeof(struct sysctlnode) */
#define	NB_KP2_PID		116	/* offsetof(kinfo_proc2, p_pid) */
#define	NB_KP2_SIZE		120	/* the prefix asked for */
#define	NB_SIOCSIFFLAGS		0x80906910UL	/* _IOW('i', 16, ifreq) */
#define	NB_SIOCGIFFLAGS		0xc0906911UL	/* _IOWR('i', 17, ifreq) */
#define	NB_IFREQ_SIZE		144
#define	NB_MODCTL_LOAD		0
#define	NB_MODCTL_UNLOAD	1
#define	NB_S_IFCHR		0020000

struct nb_modctl_load {		/* modctl_load_t */
	const char	*ml_filename;
	int		ml_flags;
	const char	*ml_props;
	size_t		ml_propslen;
};

/* Results. */
void	check(bool, const char *, ...) __attribute__((format(printf, 2, 3)));
void	expect(int, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	rv_errno(int);

/* Processes: a rump process is an lwp; use() makes it the caller. */
extern struct lwp *p_host;	/* host root */
void	use(struct lwp *);
struct lwp *spawn(struct lwp *);
void	reap(struct lwp *);
struct lwp *spawn_jailed(uint32_t);

/* sysctl by name; 0 or a NetBSD errno. */
int	sc(const char *, void *, size_t *, const void *, size_t);
int	sc_mib(const char *, int *, u_int *);
int	sc_int(const char *, int *);
int	sc_quad(const char *, uint64_t *);
int	jail_id(void);
int	jail_create(const char *, uint32_t, uint32_t, const struct jail_port *,
	    uint32_t, struct jail_create_reply *);
int	jail_idreq(const char *, int32_t);
int	jail_list(struct jail_info *, size_t, size_t *);
bool	jail_find(int32_t, struct jail_info *);

void	test_profiles(void);
void	test_ports(void);
void	test_visibility(void);

/* Jails the tests share: see main(). */
extern int32_t j_alpha, j_beta, j_gamma;
extern struct lwp *p_alpha, *p_alpha_user, *p_beta, *p_gamma, *p_user;

#endif /* !_JAILTEST_H_ */
