/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SECMODEL_SECMODEL_H_
#define _STUB_SECMODEL_SECMODEL_H_
typedef struct prop_dictionary *prop_dictionary_t;
typedef int (*secmodel_eval_t)(const char *, void *, void *);
typedef int (*secmodel_setinfo_t)(const char *, void *);
typedef struct secmodel_descr *secmodel_t;
int	secmodel_register(secmodel_t *, const char *, const char *,
	    prop_dictionary_t, secmodel_eval_t, secmodel_setinfo_t);
int	secmodel_deregister(secmodel_t);
#endif
