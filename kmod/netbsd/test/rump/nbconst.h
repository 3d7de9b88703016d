/*	$Jails: nbconst.h $	*/

/*
 * NetBSD values (sys/socket.h, sys/sysctl.h, ...) the harness needs,
 * not the host's.  Only #defines, so nbcheck.c can compare each with
 * NetBSD 8.99.25's own headers.
 */

#ifndef _NBCONST_H_
#define _NBCONST_H_

#define	NB_AF_INET		2
#define	NB_AF_INET6		24
#define	NB_PF_KEY		29
#define	NB_PF_ROUTE		34
#define	NB_SOCK_STREAM		1
#define	NB_SOCK_DGRAM		2
#define	NB_SOCK_RAW		3
#define	NB_IPPROTO_ICMP		1
#define	NB_IPPROTO_ICMPV6	58
#define	NB_IPPROTO_IPV6		41
#define	NB_IPV6_JOIN_GROUP	12
#define	NB_IPV6_HOPOPTS		49
#define	NB_MNT_GETARGS		0x00400000
#define	NB_KTROP_SET		0
#define	NB_KTROP_CLEAR		1
#define	NB_KTRFAC_SYSCALL	(1 << 1)
#define	NB_CTL_KERN		1
#define	NB_CTL_PROC		10
#define	NB_KERN_PROC2		47
#define	NB_KERN_PROC_ALL	0
#define	NB_PROC_PID_CORENAME	1
#define	NB_PROC_PID_LIMIT	2
#define	NB_PROC_PID_LIMIT_NOFILE 9	/* RLIMIT_NOFILE + 1 */
#define	NB_PROC_PID_LIMIT_SOFT	1
#define	NB_CTL_QUERY		(-2)
#define	NB_SYSCTL_VERS_1	0x01000000
#define	NB_SYSCTLNODE_SIZE	96	/* sizeof(struct sysctlnode) */
#define	NB_KP2_PID		116	/* offsetof(kinfo_proc2, p_pid) */
#define	NB_KP2_SIZE		120	/* the prefix asked for */
#define	NB_KINFO_PCB_SIZE	640	/* sizeof(struct kinfo_pcb) */
#define	NB_SIOCSIFFLAGS		0x80906910UL	/* _IOW('i', 16, ifreq) */
#define	NB_SIOCGIFFLAGS		0xc0906911UL	/* _IOWR('i', 17, ifreq) */
#define	NB_IFREQ_SIZE		144
#define	NB_MODCTL_LOAD		0
#define	NB_MODCTL_UNLOAD	1
#define	NB_S_IFCHR		0020000

#endif /* !_NBCONST_H_ */
