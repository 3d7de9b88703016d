/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_PARAM_H_
#define _STUB_SYS_PARAM_H_
#define	__NetBSD_Version__	1000000000	/* 10.0 */
#include <sys/types.h>
#define	MIN(a, b)	((a) < (b) ? (a) : (b))
#define	MAX(a, b)	((a) > (b) ? (a) : (b))
#endif
