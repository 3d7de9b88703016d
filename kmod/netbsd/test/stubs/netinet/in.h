/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_NETINET_IN_H_
#define _STUB_NETINET_IN_H_
#include <sys/types.h>
#include <sys/socket.h>
struct in_addr { in_addr_t s_addr; };
struct sockaddr_in {
	uint8_t		sin_len;
	sa_family_t	sin_family;
	in_port_t	sin_port;
	struct in_addr	sin_addr;
	int8_t		sin_zero[8];
};
struct in6_addr { uint8_t s6_addr[16]; };
struct sockaddr_in6 {
	uint8_t		sin6_len;
	sa_family_t	sin6_family;
	in_port_t	sin6_port;
	uint32_t	sin6_flowinfo;
	struct in6_addr	sin6_addr;
	uint32_t	sin6_scope_id;
};
#endif
