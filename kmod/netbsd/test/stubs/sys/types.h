/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_TYPES_H_
#define _STUB_SYS_TYPES_H_
#include <sys/cdefs.h>
typedef signed char		int8_t;
typedef unsigned char		uint8_t;
typedef short			int16_t;
typedef unsigned short		uint16_t;
typedef int			int32_t;
typedef unsigned int		uint32_t;
typedef long long		int64_t;
typedef unsigned long long	uint64_t;
typedef long			intptr_t;
typedef unsigned long		uintptr_t;
typedef unsigned long		size_t;
typedef long			ssize_t;
typedef unsigned char		u_char;
typedef unsigned short		u_short;
typedef unsigned int		u_int;
typedef unsigned long		u_long;
typedef uint64_t		u_quad_t;
typedef int32_t			pid_t;
typedef uint32_t		uid_t;
typedef uint32_t		gid_t;
typedef int64_t			time_t;
typedef int			suseconds_t;
typedef uint8_t			sa_family_t;
typedef uint16_t		in_port_t;
typedef uint32_t		in_addr_t;
typedef _Bool			bool;
#define	true	1
#define	false	0
#define	NULL	((void *)0)
#endif
