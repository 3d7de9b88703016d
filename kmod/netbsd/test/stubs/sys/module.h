/*
 * STUB for "make -f Makefile.test glue-check" only: declares just what
 * secmodel_jail.c uses, written from the NetBSD 10 manual pages
 * (kauth(9), secmodel(9), sysctl(9), module(9), mutex(9), kmem(9),
 * callout(9), log(9)) and the names in the public headers.  Values
 * are illustrative.  It checks OUR C, not NetBSD's headers.
 */
#ifndef _STUB_SYS_MODULE_H_
#define _STUB_SYS_MODULE_H_
typedef enum modclass {
	MODULE_CLASS_ANY, MODULE_CLASS_MISC, MODULE_CLASS_VFS,
	MODULE_CLASS_DRIVER, MODULE_CLASS_EXEC, MODULE_CLASS_SECMODEL,
	MODULE_CLASS_BUFQ
} modclass_t;
typedef enum modcmd {
	MODULE_CMD_INIT, MODULE_CMD_FINI, MODULE_CMD_STAT,
	MODULE_CMD_AUTOUNLOAD
} modcmd_t;
typedef struct modinfo {
	unsigned int	mi_version;
	modclass_t	mi_class;
	int		(*mi_modcmd)(modcmd_t, void *);
	const char	*mi_name;
	const char	*mi_required;
} const modinfo_t;
#define	MODULE(class, name, required)				\
static int name##_modcmd(modcmd_t, void *);			\
static const modinfo_t name##_modinfo = {			\
	.mi_version = 1, .mi_class = (class),			\
	.mi_modcmd = name##_modcmd, .mi_name = #name,		\
	.mi_required = (required)				\
};								\
const modinfo_t *const __unused_##name##_modinfo_ptr		\
	__attribute__((__unused__)) = &name##_modinfo
#endif
