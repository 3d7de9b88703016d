/*	$Jails: credcount.c $	*/

/*
 * Test-only kernel code, linked into the harness's rump component next
 * to secmodel_jail (never into the module): counts live credentials,
 * KAUTH_CRED_INIT minus KAUTH_CRED_FREE, in the sysctl node
 * kern.jailtest_creds, so the harness can tell a leaked reference.
 *
 * Its cred-scope listener answers DEFER: kauth_cred_hook() asserts
 * (DIAGNOSTIC) that the scope's answer is ALLOW, which one ALLOW among
 * the listeners is enough for, so this one must stay neutral for the
 * harness to keep proving that secmodel_jail's listener says ALLOW.
 */

#include <sys/cdefs.h>
#include <sys/param.h>
#include <sys/types.h>
#include <sys/atomic.h>
#include <sys/errno.h>
#include <sys/kauth.h>
#include <sys/module.h>
#include <sys/sysctl.h>

MODULE(MODULE_CLASS_MISC, jailtest_credcount, NULL);

static kauth_listener_t credcount_l;
static struct sysctllog *credcount_log;
static volatile uint64_t credcount_live;

static int
credcount_cb(kauth_cred_t cred, kauth_action_t action, void *cookie,
    void *arg0, void *arg1, void *arg2, void *arg3)
{

	if (action == KAUTH_CRED_INIT)
		atomic_inc_64(&credcount_live);
	else if (action == KAUTH_CRED_FREE)
		atomic_dec_64(&credcount_live);
	return KAUTH_RESULT_DEFER;
}

static int
jailtest_credcount_modcmd(modcmd_t cmd, void *arg)
{

	switch (cmd) {
	case MODULE_CMD_INIT:
		credcount_l = kauth_listen_scope(KAUTH_SCOPE_CRED,
		    credcount_cb, NULL);
		sysctl_createv(&credcount_log, 0, NULL, NULL,
		    CTLFLAG_PERMANENT, CTLTYPE_QUAD, "jailtest_creds", NULL,
		    NULL, 0, __UNVOLATILE(&credcount_live), 0, CTL_KERN,
		    CTL_CREATE, CTL_EOL);
		return credcount_l != NULL ? 0 : ENXIO;
	default:
		return ENOTTY;
	}
}
