/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_SOCKET_H_
#define _STUB_SYS_SOCKET_H_
#include <sys/types.h>
#define	SOCK_STREAM	1
#define	SOCK_DGRAM	2
#define	SOCK_RAW	3
#define	AF_INET		2
#define	AF_INET6	24
#define	AF_KEY		29
#define	PF_KEY		AF_KEY
#define	AF_BLUETOOTH	31
#define	PF_BLUETOOTH	AF_BLUETOOTH
#define	AF_ROUTE	34
#define	PF_ROUTE	AF_ROUTE
struct sockaddr {
	uint8_t		sa_len;
	sa_family_t	sa_family;
	char		sa_data[14];
};
#endif
