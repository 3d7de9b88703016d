/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_CALLOUT_H_
#define _STUB_SYS_CALLOUT_H_
#include <sys/types.h>
#include <sys/mutex.h>
typedef struct callout { void *_c_cancel; void *_c_func; void *_c_arg;
	u_int _c_time; u_int _c_flags; u_int _c_magic; } callout_t;
#define	CALLOUT_MPSAFE	0x0100
void	callout_init(callout_t *, u_int);
void	callout_destroy(callout_t *);
void	callout_setfunc(callout_t *, void (*)(void *), void *);
void	callout_schedule(callout_t *, int);
bool	callout_halt(callout_t *, kmutex_t *);
#endif
