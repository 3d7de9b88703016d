/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_FILEDESC_H_
#define _STUB_SYS_FILEDESC_H_
#include <sys/types.h>
struct vnode;
struct cwdinfo {
	struct vnode	*cwdi_cdir;	/* current directory */
	struct vnode	*cwdi_rdir;	/* root directory, NULL: the real root */
	struct vnode	*cwdi_edir;
	u_short		cwdi_cmask;
	u_int		cwdi_refcnt;
};
#endif
