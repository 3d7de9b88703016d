/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_SYSTM_H_
#define _STUB_SYS_SYSTM_H_
#include <sys/types.h>
void	*memcpy(void *, const void *, size_t);
void	*memset(void *, int, size_t);
int	memcmp(const void *, const void *, size_t);
int	printf(const char *, ...) __printflike(1, 2);
void	panic(const char *, ...) __printflike(1, 2) __attribute__((__noreturn__));
#define	KASSERT(e)	((e) ? (void)0 : panic("assert: %s", #e))
#endif
