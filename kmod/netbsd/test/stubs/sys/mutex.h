/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_MUTEX_H_
#define _STUB_SYS_MUTEX_H_
#include <sys/types.h>
typedef struct kmutex { uintptr_t mtx_pad[2]; } kmutex_t;
typedef enum kmutex_type_t { MUTEX_SPIN = 0, MUTEX_ADAPTIVE = 1,
	MUTEX_DEFAULT = 2, MUTEX_DRIVER = 3, MUTEX_NODEBUG = 4 } kmutex_type_t;
typedef int ipl_t;
#define	IPL_NONE	0
#define	IPL_VM		6
#define	IPL_SCHED	7
#define	IPL_HIGH	8
void	mutex_init(kmutex_t *, kmutex_type_t, int);
void	mutex_destroy(kmutex_t *);
void	mutex_enter(kmutex_t *);
void	mutex_exit(kmutex_t *);
void	mutex_spin_enter(kmutex_t *);
void	mutex_spin_exit(kmutex_t *);
int	mutex_owned(const kmutex_t *);
#endif
