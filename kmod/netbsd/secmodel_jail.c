/*	$Jails: secmodel_jail.c $	*/

/*
 * secmodel_jail: the NetBSD kernel side of Jails.
 *
 * A loadable secmodel(9) module.  Each kauth(9) credential carries a
 * jail token (kauth specific data, an integer: see jail_policy.h);
 * kauth listeners on the process, system, machdep, device and network
 * scopes turn every request into a question for the portable policy
 * core (jail_policy.c) and return its answer.  Nothing is decided
 * here.  The control plane is a sysctl subtree, security.models.jail.
 *
 * Compiled against NetBSD 8.99.25's headers and run in its rump kernel
 * (test/rump); never built or loaded on NetBSD 10: see README.md,
 * "Verified here / Needs a NetBSD machine".
 *
 * Locks, in order: proc_lock, p->p_lock, jail_lock (adaptive), and
 * jail_audit_lock (spin, IPL_HIGH, taken last and alone, because
 * kauth listeners can run under spin locks: KAUTH_PROCESS_SCHEDULER_
 * SETPARAM is authorised under lwp_lock()).
 */

#include <sys/cdefs.h>
__KERNEL_RCSID(0, "$Jails: secmodel_jail.c $");

#include <sys/param.h>
#include <sys/types.h>
#include <sys/systm.h>
#include <sys/callout.h>
#include <sys/errno.h>
#include <sys/filedesc.h>
#include <sys/kauth.h>
#include <sys/kernel.h>
#include <sys/kmem.h>
#include <sys/module.h>
#include <sys/mutex.h>
#include <sys/proc.h>
#include <sys/resourcevar.h>
#include <sys/socket.h>
#include <sys/socketvar.h>
#include <sys/sysctl.h>
#include <sys/syslog.h>
#include <sys/time.h>
#include <sys/timevar.h>

#include <netinet/in.h>
#include <netinet/in_systm.h>
#include <netinet/ip.h>
#include <netinet/ip_var.h>

#include <uvm/uvm_extern.h>

#include <secmodel/secmodel.h>

#include "jail_abi.h"
#include "jail_policy.h"

MODULE(MODULE_CLASS_SECMODEL, secmodel_jail, NULL);

/*
 * Kernel interfaces that differ between the releases this builds on:
 * the NetBSD 8.99.25 headers of the rump test kit, NetBSD 10 and later
 * (see README.md, "Verified here").
 *
 * proc_lock is a kmutex_t * up to 9.99.x and a kmutex_t after; the
 * exact version is not pinned here, so the type decides.
 */
#define	JAIL_PROC_LOCK	_Generic(proc_lock,				\
	kmutex_t *: proc_lock,						\
	default: &proc_lock)

/*
 * kauth names newer than 8.99.25.  They are enumerators, not macros,
 * so only the version can tell; a build that disagrees sets the
 * JAIL_HAVE_* knob (CPPFLAGS+=-DJAIL_HAVE_KAUTH_WG=0).  A request the
 * glue cannot name maps to the scope's UNKNOWN row, which denies.
 */
#ifndef JAIL_HAVE_KAUTH_NVMM
#if defined(KAUTH_DEVICE_NVMM_CTL) || __NetBSD_Version__ >= 999000000
#define	JAIL_HAVE_KAUTH_NVMM		1
#else
#define	JAIL_HAVE_KAUTH_NVMM		0
#endif
#endif
#ifndef JAIL_HAVE_KAUTH_WG
#if defined(KAUTH_NETWORK_INTERFACE_WG) || __NetBSD_Version__ >= 999000000
#define	JAIL_HAVE_KAUTH_WG		1
#else
#define	JAIL_HAVE_KAUTH_WG		0
#endif
#endif
#ifndef JAIL_HAVE_KAUTH_BIND_ANYADDR
#if defined(KAUTH_REQ_NETWORK_BIND_ANYADDR) || \
    __NetBSD_Version__ >= 999000000
#define	JAIL_HAVE_KAUTH_BIND_ANYADDR	1
#else
#define	JAIL_HAVE_KAUTH_BIND_ANYADDR	0
#endif
#endif

#define	SECMODEL_JAIL_ID	"org.jailsproject.secmodel.jail"
#define	SECMODEL_JAIL_NAME	"Jails"

CTASSERT(sizeof(struct sockaddr_in) == JP_SIN_LEN);
CTASSERT(sizeof(struct sockaddr_in6) == JP_SIN6_LEN);
CTASSERT(JP_ALLOW == KAUTH_RESULT_ALLOW);
CTASSERT(JP_DENY == KAUTH_RESULT_DENY);
CTASSERT(JP_DEFER == KAUTH_RESULT_DEFER);

static secmodel_t jail_sm;
static kauth_key_t jail_key;
static kauth_listener_t jail_l_cred, jail_l_process, jail_l_system;
static kauth_listener_t jail_l_machdep, jail_l_device, jail_l_network;
static struct sysctllog *jail_sysctl_log;

static kmutex_t jail_lock;		/* jail_table */
static struct jp_table *jail_table;

/*
 * Denials are counted and queued under jail_audit_lock; a callout
 * writes the queued lines with log(9), outside any listener, since
 * log(9) wakes syslogd and must not run under the caller's spin locks.
 */
#define	JAIL_LOGQ	16
struct jail_logrec {
	enum jp_action	lr_action;
	uint32_t	lr_jail;
	pid_t		lr_pid;
	uid_t		lr_euid;
	uint64_t	lr_dropped;
};
static kmutex_t jail_audit_lock;
static struct jp_audit *jail_audit;
static struct jail_logrec jail_logq[JAIL_LOGQ];
static u_int jail_logq_n;
static uint64_t jail_logq_lost;
static struct callout jail_log_ch;

static int jail_counter_num[JAIL_NSCOPES + 1];

/*
 * Credentials.
 */
static uint32_t
jail_cred_token(kauth_cred_t cred)
{

	if (cred == NULL || cred == NOCRED || cred == FSCRED)
		return 0;
	return (uint32_t)(uintptr_t)kauth_cred_getdata(cred, jail_key);
}

static void
jail_cred_set(kauth_cred_t cred, uint32_t token)
{

	kauth_cred_setdata(cred, jail_key, (void *)(uintptr_t)token);
}

static uint32_t
jail_cred_jail(kauth_cred_t cred)
{
	struct jp_subject s;

	jp_token_subject(jail_cred_token(cred), 0, &s);
	return s.js_jail;
}

static void
jail_subject(kauth_cred_t cred, struct jp_subject *s)
{

	jp_token_subject(jail_cred_token(cred), kauth_cred_geteuid(cred), s);
}

/*
 * Credential hooks must answer ALLOW: kauth_cred_hook() asserts that
 * the scope agrees when anyone listens.  The jail token follows every
 * copy of a credential (fork shares it; setuid, exec and setgroups
 * clone it), so a process cannot leave its jail.
 */
static int
jail_cred_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{
	kauth_cred_t to;
	uint32_t token;

	if (action == KAUTH_CRED_COPY) {
		to = arg0;
		token = jail_cred_token(cred);
		/* Host to fresh credential: nothing to store. */
		if (token != 0 || jail_cred_token(to) != 0)
			jail_cred_set(to, token);
	}
	return KAUTH_RESULT_ALLOW;
}

/*
 * Audit.
 */
static uint64_t
jail_now_ms(void)
{
	struct timeval tv;

	getmicrouptime(&tv);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static int
jail_deny(const struct jp_subject *s, enum jp_action a)
{
	struct jail_logrec *lr;
	uint64_t dropped, now;

	now = jail_now_ms();
	mutex_spin_enter(&jail_audit_lock);
	if (jp_audit_deny(jail_audit, a, s->js_jail, now, &dropped)) {
		if (jail_logq_n < JAIL_LOGQ) {
			lr = &jail_logq[jail_logq_n++];
			lr->lr_action = a;
			lr->lr_jail = s->js_jail;
			lr->lr_pid = curproc->p_pid;
			lr->lr_euid = s->js_euid;
			lr->lr_dropped = dropped;
		} else
			jail_logq_lost++;
	}
	mutex_spin_exit(&jail_audit_lock);
	return KAUTH_RESULT_DENY;
}

static void
jail_log_tick(void *arg)
{
	struct jail_logrec q[JAIL_LOGQ];
	u_int i, n;
	uint64_t lost;

	mutex_spin_enter(&jail_audit_lock);
	n = jail_logq_n;
	memcpy(q, jail_logq, n * sizeof(q[0]));
	jail_logq_n = 0;
	lost = jail_logq_lost;
	jail_logq_lost = 0;
	mutex_spin_exit(&jail_audit_lock);

	for (i = 0; i < n; i++)
		log(LOG_NOTICE, "secmodel_jail: denied %s to jail %u "
		    "(pid %d, euid %u); %llu lines suppressed before\n",
		    jp_action_name(q[i].lr_action), q[i].lr_jail,
		    (int)q[i].lr_pid, (u_int)q[i].lr_euid,
		    (unsigned long long)q[i].lr_dropped);
	if (lost != 0)
		log(LOG_NOTICE, "secmodel_jail: %llu denial lines lost\n",
		    (unsigned long long)lost);
	callout_schedule(&jail_log_ch, hz);
}

static int
jail_decide(kauth_cred_t cred, enum jp_action a, uint32_t target)
{
	struct jp_subject s;

	jail_subject(cred, &s);
	if (jp_decide(&s, a, target) == JP_DENY)
		return jail_deny(&s, a);
	return KAUTH_RESULT_DEFER;
}

/*
 * Process scope: the cross-jail rule for every action.
 */
static enum jp_action
jail_map_process(kauth_action_t action)
{

	switch (action) {
	case KAUTH_PROCESS_CANSEE:
		return JP_PROC_CANSEE;
	case KAUTH_PROCESS_CORENAME:
		return JP_PROC_CORENAME;
	case KAUTH_PROCESS_FORK:
		return JP_PROC_FORK;
	case KAUTH_PROCESS_KEVENT_FILTER:
		return JP_PROC_KEVENT_FILTER;
	case KAUTH_PROCESS_KTRACE:
		return JP_PROC_KTRACE;
	case KAUTH_PROCESS_NICE:
		return JP_PROC_NICE;
	case KAUTH_PROCESS_PROCFS:
		return JP_PROC_PROCFS;
	case KAUTH_PROCESS_PTRACE:
		return JP_PROC_PTRACE;
	case KAUTH_PROCESS_RLIMIT:
		return JP_PROC_RLIMIT;
	case KAUTH_PROCESS_SCHEDULER_GETAFFINITY:
		return JP_PROC_SCHED_GETAFFINITY;
	case KAUTH_PROCESS_SCHEDULER_SETAFFINITY:
		return JP_PROC_SCHED_SETAFFINITY;
	case KAUTH_PROCESS_SCHEDULER_GETPARAM:
		return JP_PROC_SCHED_GETPARAM;
	case KAUTH_PROCESS_SCHEDULER_SETPARAM:
		return JP_PROC_SCHED_SETPARAM;
	case KAUTH_PROCESS_SETID:
		return JP_PROC_SETID;
	case KAUTH_PROCESS_SIGNAL:
		return JP_PROC_SIGNAL;
	case KAUTH_PROCESS_STOPFLAG:
		return JP_PROC_STOPFLAG;
	default:
		return JP_PROC_UNKNOWN;
	}
}

static int
jail_process_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{
	struct proc *p = arg0;
	struct jp_subject s;
	enum jp_action a;
	uint32_t target;

	/*
	 * Acting on a process that shares our credential: same jail.  This
	 * and the host-root test below also spare most lookups made under
	 * lwp_lock() (SCHEDULER_SETPARAM), see the comment at the top.
	 */
	if (p != NULL && p->p_cred == cred)
		return KAUTH_RESULT_DEFER;
	jail_subject(cred, &s);
	if (jp_is_host_root(&s))
		return KAUTH_RESULT_DEFER;
	a = jail_map_process(action);
	target = p != NULL ? jail_cred_jail(p->p_cred) : JP_TARGET_UNKNOWN;
	if (jp_decide(&s, a, target) == JP_DENY)
		return jail_deny(&s, a);
	return KAUTH_RESULT_DEFER;
}

/*
 * System scope.
 */
static enum jp_action
jail_map_system(kauth_action_t action, enum kauth_system_req req)
{

	switch (action) {
	case KAUTH_SYSTEM_ACCOUNTING:
		return JP_SYS_ACCOUNTING;
	case KAUTH_SYSTEM_CHROOT:
		return JP_SYS_CHROOT;
	case KAUTH_SYSTEM_CHSYSFLAGS:
		return JP_SYS_CHSYSFLAGS;
	case KAUTH_SYSTEM_CPU:
		return JP_SYS_CPU;
	case KAUTH_SYSTEM_DEBUG:
		return JP_SYS_DEBUG;
	case KAUTH_SYSTEM_DEVMAPPER:
		return JP_SYS_DEVMAPPER;
	case KAUTH_SYSTEM_FILEHANDLE:
		return JP_SYS_FILEHANDLE;
	case KAUTH_SYSTEM_FS_EXTATTR:
		return JP_SYS_FS_EXTATTR;
	case KAUTH_SYSTEM_FS_QUOTA:
		switch (req) {
		case KAUTH_REQ_SYSTEM_FS_QUOTA_GET:
			return JP_SYS_FS_QUOTA_GET;
		case KAUTH_REQ_SYSTEM_FS_QUOTA_MANAGE:
		case KAUTH_REQ_SYSTEM_FS_QUOTA_ONOFF:
			return JP_SYS_FS_QUOTA_MANAGE;
		case KAUTH_REQ_SYSTEM_FS_QUOTA_NOLIMIT:
			return JP_SYS_FS_QUOTA_NOLIMIT;
		default:
			return JP_SYS_UNKNOWN;
		}
	case KAUTH_SYSTEM_FS_RESERVEDSPACE:
		return JP_SYS_FS_RESERVEDSPACE;
	case KAUTH_SYSTEM_FS_SNAPSHOT:
		return JP_SYS_FS_SNAPSHOT;
	case KAUTH_SYSTEM_INTR:
		return JP_SYS_INTR;
	case KAUTH_SYSTEM_KERNADDR:
		return JP_SYS_KERNADDR;
	case KAUTH_SYSTEM_LFS:
		return JP_SYS_LFS;
	case KAUTH_SYSTEM_MAP_VA_ZERO:
		return JP_SYS_MAP_VA_ZERO;
	case KAUTH_SYSTEM_MKNOD:
		return JP_SYS_MKNOD;
	case KAUTH_SYSTEM_MODULE:
		return JP_SYS_MODULE;
	case KAUTH_SYSTEM_MOUNT:
		switch (req) {
		case KAUTH_REQ_SYSTEM_MOUNT_GET:
			return JP_SYS_MOUNT_GET;
		case KAUTH_REQ_SYSTEM_MOUNT_NEW:
		case KAUTH_REQ_SYSTEM_MOUNT_UNMOUNT:
		case KAUTH_REQ_SYSTEM_MOUNT_UPDATE:
		case KAUTH_REQ_SYSTEM_MOUNT_UMAP:
		case KAUTH_REQ_SYSTEM_MOUNT_DEVICE:
			return JP_SYS_MOUNT_MODIFY;
		default:
			return JP_SYS_UNKNOWN;
		}
	case KAUTH_SYSTEM_MQUEUE:
		return JP_SYS_MQUEUE;
	case KAUTH_SYSTEM_PSET:
		return JP_SYS_PSET;
	case KAUTH_SYSTEM_REBOOT:
		return JP_SYS_REBOOT;
	case KAUTH_SYSTEM_SEMAPHORE:
		return JP_SYS_SEMAPHORE;
	case KAUTH_SYSTEM_SETIDCORE:
		return JP_SYS_SETIDCORE;
	case KAUTH_SYSTEM_SWAPCTL:
		return JP_SYS_SWAPCTL;
	case KAUTH_SYSTEM_SYSCTL:
		switch (req) {
		case KAUTH_REQ_SYSTEM_SYSCTL_DESC:
			return JP_SYS_SYSCTL_DESC;
		case KAUTH_REQ_SYSTEM_SYSCTL_PRVT:
			return JP_SYS_SYSCTL_PRIVATE;
		case KAUTH_REQ_SYSTEM_SYSCTL_ADD:
		case KAUTH_REQ_SYSTEM_SYSCTL_DELETE:
		case KAUTH_REQ_SYSTEM_SYSCTL_MODIFY:
			return JP_SYS_SYSCTL_WRITE;
		default:
			return JP_SYS_UNKNOWN;
		}
	case KAUTH_SYSTEM_SYSVIPC:
		return JP_SYS_SYSVIPC;
	case KAUTH_SYSTEM_TIME:
		return JP_SYS_TIME;
	case KAUTH_SYSTEM_VERIEXEC:
		return JP_SYS_VERIEXEC;
	default:
		return JP_SYS_UNKNOWN;
	}
}

static int
jail_system_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{
	enum kauth_system_req req;

	req = (enum kauth_system_req)(uintptr_t)arg0;
	return jail_decide(cred, jail_map_system(action, req),
	    JP_TARGET_UNKNOWN);
}

/*
 * Machdep scope.
 */
static enum jp_action
jail_map_machdep(kauth_action_t action)
{

	switch (action) {
	case KAUTH_MACHDEP_CACHEFLUSH:
		return JP_MD_CACHEFLUSH;
	case KAUTH_MACHDEP_CPU_UCODE_APPLY:
		return JP_MD_CPU_UCODE_APPLY;
	case KAUTH_MACHDEP_IOPERM_GET:
		return JP_MD_IOPERM_GET;
	case KAUTH_MACHDEP_IOPERM_SET:
		return JP_MD_IOPERM_SET;
	case KAUTH_MACHDEP_IOPL:
		return JP_MD_IOPL;
	case KAUTH_MACHDEP_LDT_GET:
		return JP_MD_LDT_GET;
	case KAUTH_MACHDEP_LDT_SET:
		return JP_MD_LDT_SET;
	case KAUTH_MACHDEP_MTRR_GET:
		return JP_MD_MTRR_GET;
	case KAUTH_MACHDEP_MTRR_SET:
		return JP_MD_MTRR_SET;
	case KAUTH_MACHDEP_NVRAM:
		return JP_MD_NVRAM;
	case KAUTH_MACHDEP_PXG:
		return JP_MD_PXG;
	case KAUTH_MACHDEP_SVS_DISABLE:
		return JP_MD_SVS_DISABLE;
	case KAUTH_MACHDEP_UNMANAGEDMEM:
		return JP_MD_UNMANAGEDMEM;
	default:
		return JP_MD_UNKNOWN;
	}
}

static int
jail_machdep_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{

	return jail_decide(cred, jail_map_machdep(action), JP_TARGET_UNKNOWN);
}

/*
 * Device scope.
 */
static enum jp_action
jail_map_device(kauth_action_t action)
{

	switch (action) {
	case KAUTH_DEVICE_BLUETOOTH_BCSP:
		return JP_DEV_BLUETOOTH_BCSP;
	case KAUTH_DEVICE_BLUETOOTH_BTUART:
		return JP_DEV_BLUETOOTH_BTUART;
	case KAUTH_DEVICE_BLUETOOTH_RECV:
		return JP_DEV_BLUETOOTH_RECV;
	case KAUTH_DEVICE_BLUETOOTH_SEND:
		return JP_DEV_BLUETOOTH_SEND;
	case KAUTH_DEVICE_BLUETOOTH_SETPRIV:
		return JP_DEV_BLUETOOTH_SETPRIV;
	case KAUTH_DEVICE_GPIO_PINSET:
		return JP_DEV_GPIO_PINSET;
#if JAIL_HAVE_KAUTH_NVMM
	case KAUTH_DEVICE_NVMM_CTL:
		return JP_DEV_NVMM_CTL;
#endif
	case KAUTH_DEVICE_RAWIO_PASSTHRU:
		return JP_DEV_RAWIO_PASSTHRU;
	case KAUTH_DEVICE_RAWIO_SPEC:
		return JP_DEV_RAWIO_SPEC;
	case KAUTH_DEVICE_RND_ADDDATA:
		return JP_DEV_RND_ADDDATA;
	case KAUTH_DEVICE_RND_ADDDATA_ESTIMATE:
		return JP_DEV_RND_ADDDATA_ESTIMATE;
	case KAUTH_DEVICE_RND_GETPRIV:
		return JP_DEV_RND_GETPRIV;
	case KAUTH_DEVICE_RND_SETPRIV:
		return JP_DEV_RND_SETPRIV;
	case KAUTH_DEVICE_TTY_OPEN:
		return JP_DEV_TTY_OPEN;
	case KAUTH_DEVICE_TTY_PRIVSET:
		return JP_DEV_TTY_PRIVSET;
	case KAUTH_DEVICE_TTY_STI:
		return JP_DEV_TTY_STI;
	case KAUTH_DEVICE_TTY_VIRTUAL:
		return JP_DEV_TTY_VIRTUAL;
	case KAUTH_DEVICE_WSCONS_KEYBOARD_BELL:
		return JP_DEV_WSCONS_KEYBOARD_BELL;
	case KAUTH_DEVICE_WSCONS_KEYBOARD_KEYREPEAT:
		return JP_DEV_WSCONS_KEYBOARD_KEYREPEAT;
	default:
		return JP_DEV_UNKNOWN;
	}
}

static int
jail_device_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{

	return jail_decide(cred, jail_map_device(action), JP_TARGET_UNKNOWN);
}

/*
 * Network scope.
 */
static enum jp_action
jail_map_network(kauth_action_t action, enum kauth_network_req req,
    void *arg1, void *arg2)
{
	int domain;

	switch (action) {
	case KAUTH_NETWORK_ALTQ:
		return JP_NET_ALTQ;
	case KAUTH_NETWORK_BIND:
		/* BIND_PORT and BIND_PRIVPORT never get here. */
#if JAIL_HAVE_KAUTH_BIND_ANYADDR
		if (req == KAUTH_REQ_NETWORK_BIND_ANYADDR)
			return JP_NET_BIND_ANYADDR;
#endif
		return JP_NET_UNKNOWN;
	case KAUTH_NETWORK_FIREWALL:
		return JP_NET_FIREWALL;
	case KAUTH_NETWORK_FORWSRCRT:
		return JP_NET_FORWSRCRT;
	case KAUTH_NETWORK_INTERFACE:
		switch (req) {
		case KAUTH_REQ_NETWORK_INTERFACE_GET:
			return JP_NET_IFACE_GET;
		case KAUTH_REQ_NETWORK_INTERFACE_GETPRIV:
			return JP_NET_IFACE_GETPRIV;
		case KAUTH_REQ_NETWORK_INTERFACE_SET:
			return JP_NET_IFACE_SET;
		case KAUTH_REQ_NETWORK_INTERFACE_SETPRIV:
			return JP_NET_IFACE_SETPRIV;
		case KAUTH_REQ_NETWORK_INTERFACE_FIRMWARE:
			return JP_NET_IFACE_FIRMWARE;
		default:
			return JP_NET_UNKNOWN;
		}
	case KAUTH_NETWORK_INTERFACE_BRIDGE:
		return JP_NET_IFACE_BRIDGE;
	case KAUTH_NETWORK_INTERFACE_PPP:
	case KAUTH_NETWORK_INTERFACE_SLIP:
	case KAUTH_NETWORK_INTERFACE_STRIP:
	case KAUTH_NETWORK_INTERFACE_TUN:
	case KAUTH_NETWORK_INTERFACE_PVC:
		return JP_NET_IFACE_CREATE;
#if JAIL_HAVE_KAUTH_WG
	case KAUTH_NETWORK_INTERFACE_WG:
		return JP_NET_IFACE_WG;
#endif
	case KAUTH_NETWORK_IPSEC:
		return JP_NET_IPSEC_BYPASS;
	case KAUTH_NETWORK_IPV6:
		if (req == KAUTH_REQ_NETWORK_IPV6_JOIN_MULTICAST)
			return JP_NET_IPV6_JOIN_MULTICAST;
		if (req == KAUTH_REQ_NETWORK_IPV6_HOPBYHOP)
			return JP_NET_IPV6_HOPBYHOP;
		return JP_NET_UNKNOWN;
	case KAUTH_NETWORK_NFS:
		return JP_NET_NFS;
	case KAUTH_NETWORK_ROUTE:
		return JP_NET_ROUTE;
	case KAUTH_NETWORK_SMB:
		return JP_NET_SMB;
	case KAUTH_NETWORK_SOCKET:
		switch (req) {
		case KAUTH_REQ_NETWORK_SOCKET_OPEN:
			/*
			 * arg1 is the domain of the new socket, arg2 its
			 * type.  socreate() authorises raw IPv4 sockets
			 * here (only rip6_attach() asks for RAWSOCK), so
			 * a raw socket is RAWSOCK whichever way it comes;
			 * routing sockets are SOCK_RAW too but open to
			 * everybody, as secmodel_suser has them.
			 */
			domain = (int)(intptr_t)arg1;
			if (domain == PF_KEY)
				return JP_NET_SOCKET_OPEN_KEY;
			if ((int)(intptr_t)arg2 == SOCK_RAW &&
			    domain != PF_ROUTE && domain != PF_BLUETOOTH)
				return JP_NET_SOCKET_RAWSOCK;
			return JP_NET_SOCKET_OPEN;
		case KAUTH_REQ_NETWORK_SOCKET_RAWSOCK:
			return JP_NET_SOCKET_RAWSOCK;
		case KAUTH_REQ_NETWORK_SOCKET_DROP:
			return JP_NET_SOCKET_DROP;
		case KAUTH_REQ_NETWORK_SOCKET_SETPRIV:
			return JP_NET_SOCKET_SETPRIV;
		default:
			return JP_NET_UNKNOWN;
		}
	default:
		return JP_NET_UNKNOWN;
	}
}

/* The kernel's ephemeral range (net.inet.ip.anonportmin/max). */
static void
jail_ephemeral(uint16_t *lo, uint16_t *hi)
{
	int a, b, t;

	a = anonportmin;
	b = anonportmax;
	if (a > b) {
		t = a;
		a = b;
		b = t;
	}
	*lo = (uint16_t)MAX(a, 0);
	*hi = (uint16_t)MIN(b, 65535);
}

static int
jail_bind(kauth_cred_t cred, struct socket *so, const struct sockaddr *sa)
{
	struct jp_subject s;
	enum jp_bind_origin origin;
	uint32_t mask;
	uint16_t port, lo, hi;
	int d;

	jail_subject(cred, &s);
	/* No jails, host credential: nothing to check (racy read is fine). */
	if (s.js_jail == JP_HOST && jp_table_empty(jail_table))
		return KAUTH_RESULT_DEFER;
	origin = jp_sockaddr_port(sa, AF_INET, AF_INET6, &port);
	mask = JAIL_PROTO_ALL;
	if (so != NULL && so->so_type == SOCK_STREAM)
		mask = JAIL_PROTO_TCP;
	else if (so != NULL && so->so_type == SOCK_DGRAM)
		mask = JAIL_PROTO_UDP;
	jail_ephemeral(&lo, &hi);

	mutex_enter(&jail_lock);
	d = jp_bind(jail_table, &s, port, mask, origin, lo, hi);
	mutex_exit(&jail_lock);
	if (d != JP_DENY)
		return KAUTH_RESULT_DEFER;
	/* Autoassign candidates are steering, not denials. */
	if (origin == JP_BIND_CANDIDATE)
		return KAUTH_RESULT_DENY;
	return jail_deny(&s, JP_NET_BIND);
}

static int
jail_network_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{
	enum kauth_network_req req;
	struct socket *so;
	uint32_t target;

	req = (enum kauth_network_req)(uintptr_t)arg0;
	if (action == KAUTH_NETWORK_BIND &&
	    (req == KAUTH_REQ_NETWORK_BIND_PORT ||
	    req == KAUTH_REQ_NETWORK_BIND_PRIVPORT))
		return jail_bind(cred, arg1, arg2);
	if (action == KAUTH_NETWORK_SOCKET &&
	    req == KAUTH_REQ_NETWORK_SOCKET_CANSEE) {
		so = arg1;
		target = so != NULL ? jail_cred_jail(so->so_cred) :
		    JP_TARGET_UNKNOWN;
		return jail_decide(cred, JP_NET_SOCKET_CANSEE, target);
	}
	return jail_decide(cred, jail_map_network(action, req, arg1, arg2),
	    JP_TARGET_UNKNOWN);
}

/*
 * Control plane.
 */
static int
jail_errno(int e)
{

	switch (e) {
	case JP_OK:
		return 0;
	case JP_E_ABI:
		return EPROTO;
	case JP_E_EXISTS:
		return EEXIST;
	case JP_E_PORTINUSE:
		return EADDRINUSE;
	case JP_E_FULL:
		return ENOSPC;
	case JP_E_NOENT:
		return ENOENT;
	case JP_E_BUSY:
		return EBUSY;
	case JP_E_PERM:
	case JP_E_NOTCHROOTED:
		return EPERM;
	default:
		return EINVAL;
	}
}

/* Member processes of jail id, zombies included.  proc_lock held. */
static uint32_t
jail_count_members(uint32_t id)
{
	struct proc *p;
	uint32_t n;

	KASSERT(mutex_owned(JAIL_PROC_LOCK));
	n = 0;
	PROCLIST_FOREACH(p, &allproc)
		if (jail_cred_jail(p->p_cred) == id)
			n++;
	PROCLIST_FOREACH(p, &zombproc)
		if (jail_cred_jail(p->p_cred) == id)
			n++;
	return n;
}

static int
jail_sysctl_create(SYSCTLFN_ARGS)
{
	struct jail_create_req req;
	struct jail_create_reply rep;
	struct jp_subject s;
	int e, error;

	if (namelen != 0)
		return EINVAL;
	if (newp == NULL) {
		/* A plain read (sysctl -a): nothing to show. */
		*oldlenp = 0;
		return 0;
	}
	jail_subject(l->l_cred, &s);
	if ((e = jp_may_admin(&s)) != JP_OK)
		return jail_errno(e);
	if (newlen != sizeof(req))
		return EINVAL;
	/* Refuse a short reply buffer before anything changes. */
	if (oldp != NULL && *oldlenp < sizeof(rep))
		return ENOMEM;
	if ((error = sysctl_copyin(l, newp, &req, sizeof(req))) != 0)
		return error;

	mutex_enter(&jail_lock);
	e = jp_create(jail_table, &req, (uint64_t)time_uptime, &rep);
	mutex_exit(&jail_lock);
	if (e == JP_OK) {
		mutex_spin_enter(&jail_audit_lock);
		jp_audit_reset_jail(jail_audit, (uint32_t)rep.jr_id);
		mutex_spin_exit(&jail_audit_lock);
	}

	/* The reply also explains EEXIST and EADDRINUSE. */
	error = 0;
	if (oldp != NULL) {
		error = sysctl_copyout(l, &rep, oldp, sizeof(rep));
		*oldlenp = sizeof(rep);
	}
	if (e == JP_OK && error != 0) {
		/* The caller would not learn the id: undo. */
		mutex_enter(&jail_lock);
		(void)jp_destroy(jail_table, (uint32_t)rep.jr_id, 0);
		mutex_exit(&jail_lock);
		return error;
	}
	if (e == JP_OK)
		log(LOG_INFO, "secmodel_jail: created jail %d \"%s\" "
		    "profile %u flags %#x ports %u by pid %d\n", rep.jr_id,
		    req.jc_name, req.jc_profile, req.jc_flags, req.jc_nports,
		    (int)l->l_proc->p_pid);
	return jail_errno(e);
}

static int
jail_sysctl_destroy(SYSCTLFN_ARGS)
{
	struct jail_id_req req;
	struct jp_subject s;
	uint32_t id, n;
	int e, error;

	if (namelen != 0)
		return EINVAL;
	if (newp == NULL) {
		*oldlenp = 0;
		return 0;
	}
	jail_subject(l->l_cred, &s);
	if ((e = jp_may_admin(&s)) != JP_OK)
		return jail_errno(e);
	if (newlen != sizeof(req))
		return EINVAL;
	if ((error = sysctl_copyin(l, newp, &req, sizeof(req))) != 0)
		return error;
	if ((e = jp_id_req(&req, &id)) != JP_OK)
		return jail_errno(e);

	/* Count and destroy as one step: nobody can enter in between. */
	mutex_enter(JAIL_PROC_LOCK);
	mutex_enter(&jail_lock);
	n = jail_count_members(id);
	e = jp_destroy(jail_table, id, n);
	mutex_exit(&jail_lock);
	mutex_exit(JAIL_PROC_LOCK);

	if (e == JP_OK)
		log(LOG_INFO, "secmodel_jail: destroyed jail %u by pid %d\n",
		    id, (int)l->l_proc->p_pid);
	return jail_errno(e);
}

/*
 * Move the calling process into a jail.  The new credential is
 * allocated and given its specific-data slot before proc_crmod_enter(),
 * since both may sleep; the check and the commit then happen under
 * p_lock and jail_lock, so destroy cannot slip in between.
 */
static int
jail_sysctl_enter(SYSCTLFN_ARGS)
{
	struct jail_id_req req;
	struct jp_subject s;
	const struct jp_jail *j;
	struct proc *p;
	kauth_cred_t ocred, ncred;
	uint32_t id, token;
	bool chrooted;
	int e, error;

	if (namelen != 0)
		return EINVAL;
	if (newp == NULL) {
		*oldlenp = 0;
		return 0;
	}
	if (newlen != sizeof(req))
		return EINVAL;
	if ((error = sysctl_copyin(l, newp, &req, sizeof(req))) != 0)
		return error;
	if ((e = jp_id_req(&req, &id)) != JP_OK)
		return jail_errno(e);

	p = l->l_proc;
	/*
	 * Only this process changes its root directory, so an unlocked
	 * look is enough: another LWP can only make it more chrooted.
	 */
	chrooted = p->p_cwdi->cwdi_rdir != NULL;

	ncred = kauth_cred_alloc();
	jail_cred_set(ncred, 0);

	proc_crmod_enter();
	ocred = p->p_cred;
	kauth_cred_clone(ocred, ncred);
	jail_subject(ocred, &s);
	token = 0;
	mutex_enter(&jail_lock);
	e = jp_enter_check(jail_table, &s, id, chrooted);
	if (e == JP_OK) {
		j = jp_lookup(jail_table, id);
		token = jp_token_make(id, j->jj_profile, j->jj_flags);
		jail_cred_set(ncred, token);
	}
	mutex_exit(&jail_lock);

	if (e != JP_OK) {
		/* Keep ocred; proc_crmod_leave() frees ncred. */
		proc_crmod_leave(ocred, ncred, false);
		return jail_errno(e);
	}
	proc_crmod_leave(ncred, ocred, true);
	log(LOG_INFO, "secmodel_jail: pid %d entered jail %u\n",
	    (int)p->p_pid, id);
	return 0;
}

static int
jail_sysctl_id(SYSCTLFN_ARGS)
{
	struct sysctlnode node;
	int id;

	if (newp != NULL)
		return EPERM;
	id = (int)jail_cred_jail(l->l_cred);
	node = *rnode;
	node.sysctl_data = &id;
	return sysctl_lookup(SYSCTLFN_CALL(&node));
}

/* Telemetry of one jail, gathered from the process lists. */
struct jail_tele {
	uint32_t	jt_nprocs;
	uint32_t	jt_nzombies;
	uint64_t	jt_ticks;
	uint64_t	jt_child_usec;
	uint64_t	jt_rss;
};

static void
jail_gather(struct jail_tele *tele)
{
	struct proc *p;
	struct jail_tele *t;
	struct rusage *ru;
	uint32_t id;

	mutex_enter(JAIL_PROC_LOCK);
	PROCLIST_FOREACH(p, &allproc) {
		if ((id = jail_cred_jail(p->p_cred)) == JP_HOST ||
		    id > JP_MAX_JAILS)
			continue;
		t = &tele[id];
		mutex_enter(p->p_lock);
		if (p->p_stat != SIDL && !P_ZOMBIE(p) &&
		    (p->p_sflag & PS_WEXIT) == 0) {
			t->jt_nprocs++;
			t->jt_ticks += p->p_uticks + p->p_sticks +
			    p->p_iticks;
			t->jt_rss += vm_resident_count(p->p_vmspace);
			ru = &p->p_stats->p_cru;
			t->jt_child_usec +=
			    (uint64_t)(ru->ru_utime.tv_sec +
			    ru->ru_stime.tv_sec) * 1000000 +
			    (uint64_t)(ru->ru_utime.tv_usec +
			    ru->ru_stime.tv_usec);
		} else
			t->jt_nzombies++;
		mutex_exit(p->p_lock);
	}
	PROCLIST_FOREACH(p, &zombproc) {
		if ((id = jail_cred_jail(p->p_cred)) != JP_HOST &&
		    id <= JP_MAX_JAILS)
			tele[id].jt_nzombies++;
	}
	mutex_exit(JAIL_PROC_LOCK);
}

static int
jail_sysctl_list(SYSCTLFN_ARGS)
{
	struct jp_subject s;
	struct jail_info *buf, *ji;
	struct jail_tele *tele;
	const struct jp_jail *j;
	size_t n, need, bufsz, telesz;
	uint32_t id;
	int error;

	if (namelen != 0)
		return EINVAL;
	if (newp != NULL)
		return EPERM;
	jail_subject(l->l_cred, &s);

	if (oldp == NULL) {
		n = 0;
		mutex_enter(&jail_lock);
		for (id = 1; id <= JP_MAX_JAILS; id++)
			if (jp_lookup(jail_table, id) != NULL &&
			    jp_may_list(&s, id))
				n++;
		mutex_exit(&jail_lock);
		*oldlenp = n * sizeof(struct jail_info);
		return 0;
	}

	bufsz = JP_MAX_JAILS * sizeof(*buf);
	telesz = (JP_MAX_JAILS + 1) * sizeof(*tele);
	buf = kmem_zalloc(bufsz, KM_SLEEP);
	tele = kmem_zalloc(telesz, KM_SLEEP);
	jail_gather(tele);

	n = 0;
	mutex_enter(&jail_lock);
	for (id = 1; id <= JP_MAX_JAILS; id++) {
		if ((j = jp_lookup(jail_table, id)) == NULL ||
		    !jp_may_list(&s, id))
			continue;
		ji = &buf[n++];
		jp_info_fill(j, ji);
		ji->ji_nprocs = tele[id].jt_nprocs;
		ji->ji_nzombies = tele[id].jt_nzombies;
		ji->ji_cpu_ticks = tele[id].jt_ticks;
		ji->ji_child_cpu_usec = tele[id].jt_child_usec;
		ji->ji_rss_pages = tele[id].jt_rss;
	}
	mutex_exit(&jail_lock);
	mutex_spin_enter(&jail_audit_lock);
	for (ji = buf; ji < buf + n; ji++)
		ji->ji_denied = jail_audit->ja_jail_denied[ji->ji_id];
	mutex_spin_exit(&jail_audit_lock);

	need = n * sizeof(*buf);
	if (*oldlenp < need)
		error = ENOMEM;
	else
		error = sysctl_copyout(l, buf, oldp, need);
	*oldlenp = need;
	kmem_free(tele, telesz);
	kmem_free(buf, bufsz);
	return error;
}

static int
jail_sysctl_counter(SYSCTLFN_ARGS)
{
	struct sysctlnode node;
	uint64_t v;
	u_int i;

	if (newp != NULL)
		return EPERM;
	for (i = 0; i <= JAIL_NSCOPES; i++)
		if (jail_counter_num[i] == rnode->sysctl_num)
			break;
	if (i > JAIL_NSCOPES)
		return ENOENT;
	mutex_spin_enter(&jail_audit_lock);
	if (i < JAIL_NSCOPES)
		v = jail_audit->ja_denied[i];
	else
		for (v = 0, i = 0; i < JAIL_NSCOPES; i++)
			v += jail_audit->ja_suppressed[i];
	mutex_spin_exit(&jail_audit_lock);
	node = *rnode;
	node.sysctl_data = &v;
	return sysctl_lookup(SYSCTLFN_CALL(&node));
}

static void
jail_sysctl_setup(struct sysctllog **clog)
{
	static const char *const counters[JAIL_NSCOPES + 1] = {
		"process", "system", "machdep", "device", "network",
		"log_suppressed"
	};
	const struct sysctlnode *rnode, *cnode;
	u_int i;

	sysctl_createv(clog, 0, NULL, &rnode, CTLFLAG_PERMANENT,
	    CTLTYPE_NODE, "models", NULL, NULL, 0, NULL, 0,
	    CTL_SECURITY, CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, &rnode, CTLFLAG_PERMANENT,
	    CTLTYPE_NODE, "jail", SYSCTL_DESCR("Jails security model"),
	    NULL, 0, NULL, 0, CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL, CTLFLAG_PERMANENT,
	    CTLTYPE_STRING, "name", NULL, NULL, 0,
	    __UNCONST(SECMODEL_JAIL_NAME), 0, CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL,
	    CTLFLAG_PERMANENT | CTLFLAG_IMMEDIATE, CTLTYPE_INT, "version",
	    SYSCTL_DESCR("ABI version of the jail_abi.h structures"),
	    NULL, JAIL_ABI_VERSION, NULL, 0, CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL,
	    CTLFLAG_PERMANENT | CTLFLAG_READWRITE | CTLFLAG_ANYWRITE,
	    CTLTYPE_STRUCT, "create",
	    SYSCTL_DESCR("Create a jail (host root)"),
	    jail_sysctl_create, 0, NULL, sizeof(struct jail_create_req),
	    CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL,
	    CTLFLAG_PERMANENT | CTLFLAG_READWRITE | CTLFLAG_ANYWRITE,
	    CTLTYPE_STRUCT, "destroy",
	    SYSCTL_DESCR("Destroy an empty jail (host root)"),
	    jail_sysctl_destroy, 0, NULL, sizeof(struct jail_id_req),
	    CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL,
	    CTLFLAG_PERMANENT | CTLFLAG_READWRITE | CTLFLAG_ANYWRITE,
	    CTLTYPE_STRUCT, "enter",
	    SYSCTL_DESCR("Move the calling process into a jail "
	    "(host root, chrooted)"),
	    jail_sysctl_enter, 0, NULL, sizeof(struct jail_id_req),
	    CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL, CTLFLAG_PERMANENT,
	    CTLTYPE_INT, "id", SYSCTL_DESCR("The caller's jail (0: host)"),
	    jail_sysctl_id, 0, NULL, 0, CTL_CREATE, CTL_EOL);
	sysctl_createv(clog, 0, &rnode, NULL, CTLFLAG_PERMANENT,
	    CTLTYPE_STRUCT, "list",
	    SYSCTL_DESCR("Jails and their telemetry (struct jail_info)"),
	    jail_sysctl_list, 0, NULL, 0, CTL_CREATE, CTL_EOL);

	sysctl_createv(clog, 0, &rnode, &rnode, CTLFLAG_PERMANENT,
	    CTLTYPE_NODE, "counters", SYSCTL_DESCR("Denials per scope"),
	    NULL, 0, NULL, 0, CTL_CREATE, CTL_EOL);
	for (i = 0; i <= JAIL_NSCOPES; i++) {
		cnode = NULL;
		sysctl_createv(clog, 0, &rnode, &cnode, CTLFLAG_PERMANENT,
		    CTLTYPE_QUAD, counters[i], NULL, jail_sysctl_counter, 0,
		    NULL, 0, CTL_CREATE, CTL_EOL);
		jail_counter_num[i] = cnode != NULL ? cnode->sysctl_num : -1;
	}
}

/*
 * Module life cycle.
 */
static void
jail_stop_listeners(void)
{

	kauth_unlisten_scope(jail_l_network);
	kauth_unlisten_scope(jail_l_device);
	kauth_unlisten_scope(jail_l_machdep);
	kauth_unlisten_scope(jail_l_system);
	kauth_unlisten_scope(jail_l_process);
	kauth_unlisten_scope(jail_l_cred);
	jail_l_network = jail_l_device = jail_l_machdep = NULL;
	jail_l_system = jail_l_process = jail_l_cred = NULL;
}

static int
jail_start_listeners(void)
{

	jail_l_cred = kauth_listen_scope(KAUTH_SCOPE_CRED, jail_cred_cb,
	    NULL);
	jail_l_process = kauth_listen_scope(KAUTH_SCOPE_PROCESS,
	    jail_process_cb, NULL);
	jail_l_system = kauth_listen_scope(KAUTH_SCOPE_SYSTEM,
	    jail_system_cb, NULL);
	jail_l_machdep = kauth_listen_scope(KAUTH_SCOPE_MACHDEP,
	    jail_machdep_cb, NULL);
	jail_l_device = kauth_listen_scope(KAUTH_SCOPE_DEVICE,
	    jail_device_cb, NULL);
	jail_l_network = kauth_listen_scope(KAUTH_SCOPE_NETWORK,
	    jail_network_cb, NULL);
	if (jail_l_cred == NULL || jail_l_process == NULL ||
	    jail_l_system == NULL || jail_l_machdep == NULL ||
	    jail_l_device == NULL || jail_l_network == NULL) {
		jail_stop_listeners();	/* unlisten(NULL) is a no-op */
		return ENXIO;
	}
	return 0;
}

static void
jail_free(void)
{

	if (jail_table != NULL)
		kmem_free(jail_table, sizeof(*jail_table));
	if (jail_audit != NULL)
		kmem_free(jail_audit, sizeof(*jail_audit));
	jail_table = NULL;
	jail_audit = NULL;
	mutex_destroy(&jail_audit_lock);
	mutex_destroy(&jail_lock);
}

static int
jail_init(void)
{
	int error;

	mutex_init(&jail_lock, MUTEX_DEFAULT, IPL_NONE);
	mutex_init(&jail_audit_lock, MUTEX_DEFAULT, IPL_HIGH);
	jail_table = kmem_zalloc(sizeof(*jail_table), KM_SLEEP);
	jail_audit = kmem_zalloc(sizeof(*jail_audit), KM_SLEEP);
	jp_table_init(jail_table);
	jp_audit_init(jail_audit, jail_now_ms());
	jail_logq_n = 0;
	jail_logq_lost = 0;

	error = secmodel_register(&jail_sm, SECMODEL_JAIL_ID,
	    SECMODEL_JAIL_NAME, NULL, NULL, NULL);
	if (error != 0)
		goto fail_free;
	if ((error = kauth_register_key(jail_sm, &jail_key)) != 0)
		goto fail_sm;
	if ((error = jail_start_listeners()) != 0)
		goto fail_key;

	callout_init(&jail_log_ch, CALLOUT_MPSAFE);
	callout_setfunc(&jail_log_ch, jail_log_tick, NULL);
	callout_schedule(&jail_log_ch, hz);
	jail_sysctl_setup(&jail_sysctl_log);
	log(LOG_INFO, "secmodel_jail: loaded, ABI %u, %d jails max\n",
	    JAIL_ABI_VERSION, JP_MAX_JAILS);
	return 0;

fail_key:
	kauth_deregister_key(jail_key);
fail_sm:
	(void)secmodel_deregister(jail_sm);
fail_free:
	jail_free();
	return error;
}

static bool
jail_busy(void)
{
	bool busy;

	mutex_enter(&jail_lock);
	busy = !jp_table_empty(jail_table);
	mutex_exit(&jail_lock);
	return busy;
}

static int
jail_fini(void)
{

	if (jail_busy())
		return EBUSY;
	/* No more control requests; then make sure none created a jail. */
	sysctl_teardown(&jail_sysctl_log);
	if (jail_busy()) {
		jail_sysctl_setup(&jail_sysctl_log);
		return EBUSY;
	}
	log(LOG_INFO, "secmodel_jail: unloading\n");
	jail_stop_listeners();
	callout_halt(&jail_log_ch, NULL);
	callout_destroy(&jail_log_ch);
	kauth_deregister_key(jail_key);
	(void)secmodel_deregister(jail_sm);
	jail_free();
	return 0;
}

static int
secmodel_jail_modcmd(modcmd_t cmd, void *arg)
{

	switch (cmd) {
	case MODULE_CMD_INIT:
		return jail_init();
	case MODULE_CMD_FINI:
		return jail_fini();
	case MODULE_CMD_AUTOUNLOAD:
		return EBUSY;	/* a security model stays until asked */
	default:
		return ENOTTY;
	}
}
