/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_PROC_H_
#define _STUB_SYS_PROC_H_
#include <sys/types.h>
#include <sys/kauth.h>
#include <sys/mutex.h>
#include <sys/resourcevar.h>

struct vmspace;
struct cwdinfo;

#define	SIDL	1
#define	SACTIVE	2
#define	SDYING	3
#define	SSTOP	4
#define	SZOMB	5
#define	SDEAD	6
#define	P_ZOMBIE(p)	((p)->p_stat == SZOMB || (p)->p_stat == SDYING)
#define	PS_WEXIT	0x00100000

struct proc {
	struct { struct proc *le_next; struct proc **le_prev; } p_list;
	kmutex_t	*p_lock;
	kauth_cred_t	p_cred;
	struct cwdinfo	*p_cwdi;
	struct pstats	*p_stats;
	struct vmspace	*p_vmspace;
	int		p_flag;
	int		p_sflag;
	char		p_stat;
	pid_t		p_pid;
	u_quad_t	p_uticks;
	u_quad_t	p_sticks;
	u_quad_t	p_iticks;
};
struct proclist { struct proc *lh_first; };

struct lwp {
	struct proc	*l_proc;
	kauth_cred_t	l_cred;
};

extern struct lwp	*curlwp;
#define	curproc		(curlwp->l_proc)
extern kmutex_t		proc_lock;
extern struct proclist	allproc;
extern struct proclist	zombproc;

#define	PROCLIST_FOREACH(var, head)					for ((var) = (head)->lh_first; (var) != NULL;			    (var) = (var)->p_list.le_next)

void	proc_crmod_enter(void);
void	proc_crmod_leave(kauth_cred_t, kauth_cred_t, bool);
#endif
