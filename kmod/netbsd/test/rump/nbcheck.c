/*	$Jails: nbcheck.c $	*/

/*
 * Compiled (never run) by run.sh strict against NetBSD 8.99.25's
 * headers from the rump kit: every value of nbconst.h, which the
 * harness uses in place of the host's, must equal NetBSD's own.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/ktrace.h>
#include <sys/module.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <sys/stat.h>
#include <sys/sysctl.h>

#include <net/if.h>
#include <netinet/in.h>

#include "nbconst.h"

#define	SAME(a, b)	_Static_assert((a) == (b), #a " != " #b)

SAME(NB_AF_INET, AF_INET);
SAME(NB_AF_INET6, AF_INET6);
SAME(NB_PF_KEY, PF_KEY);
SAME(NB_PF_ROUTE, PF_ROUTE);
SAME(NB_SOCK_STREAM, SOCK_STREAM);
SAME(NB_SOCK_DGRAM, SOCK_DGRAM);
SAME(NB_SOCK_RAW, SOCK_RAW);
SAME(NB_IPPROTO_ICMP, IPPROTO_ICMP);
SAME(NB_IPPROTO_ICMPV6, IPPROTO_ICMPV6);
SAME(NB_IPPROTO_IPV6, IPPROTO_IPV6);
SAME(NB_IPV6_JOIN_GROUP, IPV6_JOIN_GROUP);
SAME(NB_IPV6_HOPOPTS, IPV6_HOPOPTS);
SAME(NB_MNT_GETARGS, MNT_GETARGS);
SAME(NB_KTROP_SET, KTROP_SET);
SAME(NB_KTROP_CLEAR, KTROP_CLEAR);
SAME(NB_KTRFAC_SYSCALL, KTRFAC_SYSCALL);
SAME(NB_CTL_KERN, CTL_KERN);
SAME(NB_CTL_PROC, CTL_PROC);
SAME(NB_KERN_PROC2, KERN_PROC2);
SAME(NB_KERN_PROC_ALL, KERN_PROC_ALL);
SAME(NB_PROC_PID_CORENAME, PROC_PID_CORENAME);
SAME(NB_PROC_PID_LIMIT, PROC_PID_LIMIT);
SAME(NB_PROC_PID_LIMIT_NOFILE, PROC_PID_LIMIT_NOFILE);
SAME(NB_PROC_PID_LIMIT_SOFT, PROC_PID_LIMIT_TYPE_SOFT);
SAME(NB_CTL_QUERY, CTL_QUERY);
SAME(NB_SYSCTL_VERS_1, SYSCTL_VERS_1);
SAME(NB_SYSCTLNODE_SIZE, sizeof(struct sysctlnode));
SAME(NB_KP2_PID, __builtin_offsetof(struct kinfo_proc2, p_pid));
SAME(NB_KP2_PID + sizeof(int32_t), NB_KP2_SIZE);
SAME(NB_KINFO_PCB_SIZE, sizeof(struct kinfo_pcb));
SAME(NB_SIOCSIFFLAGS, SIOCSIFFLAGS);
SAME(NB_SIOCGIFFLAGS, SIOCGIFFLAGS);
SAME(NB_IFREQ_SIZE, sizeof(struct ifreq));
SAME(NB_MODCTL_LOAD, MODCTL_LOAD);
SAME(NB_MODCTL_UNLOAD, MODCTL_UNLOAD);
SAME(NB_S_IFCHR, S_IFCHR);
SAME(32, sizeof(modctl_load_t));
SAME(16, sizeof(struct sockaddr_in));
SAME(28, sizeof(struct sockaddr_in6));
SAME(20, sizeof(struct ipv6_mreq));
