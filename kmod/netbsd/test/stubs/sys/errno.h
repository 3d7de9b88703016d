/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_ERRNO_H_
#define _STUB_SYS_ERRNO_H_
#define	EPERM		1
#define	ENOENT		2
#define	ENXIO		6
#define	ENOMEM		12
#define	EBUSY		16
#define	EEXIST		17
#define	EINVAL		22
#define	ENOTTY		25
#define	ENOSPC		28
#define	EADDRINUSE	48
#define	EPROTO		96
#endif
