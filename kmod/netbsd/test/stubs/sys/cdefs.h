/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_CDEFS_H_
#define _STUB_SYS_CDEFS_H_
#define	__KERNEL_RCSID(n, s)	static const char __rcsid_##n[] \
	__attribute__((__unused__)) = s
#define	__UNCONST(a)		((void *)(unsigned long)(const void *)(a))
#define	__printflike(f, a)	__attribute__((__format__(__printf__, f, a)))
#define	__CTASSERT1(x, l)	typedef char __ctassert##l[(x) ? 1 : -1] \
	__attribute__((__unused__))
#define	__CTASSERT0(x, l)	__CTASSERT1(x, l)
#define	CTASSERT(x)		__CTASSERT0(x, __LINE__)
#endif
