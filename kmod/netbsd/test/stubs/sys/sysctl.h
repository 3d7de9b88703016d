/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_SYSCTL_H_
#define _STUB_SYS_SYSCTL_H_
#include <sys/types.h>
#include <sys/proc.h>

#define	CTLTYPE_NODE	1
#define	CTLTYPE_INT	2
#define	CTLTYPE_STRING	3
#define	CTLTYPE_QUAD	4
#define	CTLTYPE_STRUCT	5
#define	CTLTYPE_BOOL	6
#define	CTLFLAG_READONLY	0x00000000
#define	CTLFLAG_READWRITE	0x00000070
#define	CTLFLAG_ANYWRITE	0x00000080
#define	CTLFLAG_PRIVATE		0x00000100
#define	CTLFLAG_PERMANENT	0x00000200
#define	CTLFLAG_IMMEDIATE	0x00000800
#define	CTL_EOL		(-1)
#define	CTL_QUERY	(-2)
#define	CTL_CREATE	(-3)
#define	CTL_SECURITY	13

struct sysctllog;
struct sysctlnode;
#define	SYSCTLFN_PROTO const int *, u_int, void *, size_t *,	\
	const void *, size_t, const int *, struct lwp *,	\
	const struct sysctlnode *
#define	SYSCTLFN_ARGS const int *name, u_int namelen, void *oldp,	\
	size_t *oldlenp, const void *newp, size_t newlen,		\
	const int *oname, struct lwp *l, const struct sysctlnode *rnode
#define	SYSCTLFN_CALL(node) name, namelen, oldp, oldlenp, newp,	\
	newlen, oname, l, node
typedef int (*sysctlfn)(SYSCTLFN_PROTO);

struct sysctlnode {
	uint32_t	sysctl_flags;
	int32_t		sysctl_num;
	char		sysctl_name[32];
	void		*sysctl_data;	/* a union member in NetBSD */
	size_t		sysctl_size;
	sysctlfn	sysctl_func;
};

int	sysctl_lookup(SYSCTLFN_PROTO);
int	sysctl_copyin(struct lwp *, const void *, void *, size_t);
int	sysctl_copyout(struct lwp *, const void *, void *, size_t);
void	sysctl_teardown(struct sysctllog **);
int	(sysctl_createv)(struct sysctllog **, int,
	    const struct sysctlnode **, const struct sysctlnode **,
	    int, int, const char *, const char *,
	    sysctlfn, u_quad_t, void *, size_t, ...);
#define	SYSCTL_DESCR(s)	s

/* As in NetBSD: the data pointer must match the node type. */
static inline void *__sysctl_verify_CTLTYPE_NODE_arg(struct sysctlnode *a)
	{ return a; }
static inline void *__sysctl_verify_CTLTYPE_INT_arg(int *a) { return a; }
static inline void *__sysctl_verify_CTLTYPE_STRING_arg(char *a)
	{ return a; }
static inline void *__sysctl_verify_CTLTYPE_QUAD_arg(int64_t *a)
	{ return a; }
static inline void *__sysctl_verify_CTLTYPE_STRUCT_arg(void *a)
	{ return a; }
static inline void *__sysctl_verify_CTLTYPE_BOOL_arg(bool *a) { return a; }
#define	sysctl_createv(lg, cfl, rn, cn, fl, type, nm, desc, fn, qv, newp, ...) \
	(sysctl_createv)(lg, cfl, rn, cn, fl, type, nm, desc, fn, qv,	\
	    __sysctl_verify_##type##_arg(newp), __VA_ARGS__)
#endif
