/*	$Jails: jailtest.h $	*/

/*
 * The secmodel_jail harness for a NetBSD 8.99.25 rump kernel: see
 * run.sh.  The program runs on the host (Linux, glibc); every
 * rump_sys_*() call runs in the NetBSD kernel linked into it, module
 * included.  Host libc headers describe the host, so the few NetBSD
 * constants and layouts needed are spelled out in nbconst.h, which
 * nbcheck.c checks against the kit's headers (run.sh strict).
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

#include "nbconst.h"

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

int	bindp(int, int, uint16_t, int *, uint16_t *);

void	test_profiles(void);
void	test_ports(void);
void	test_visibility(void);

/* Jails the tests share: see main(). */
extern int32_t j_alpha, j_beta, j_gamma;
extern struct lwp *p_alpha, *p_alpha_user, *p_beta, *p_gamma, *p_user;

#endif /* !_JAILTEST_H_ */
