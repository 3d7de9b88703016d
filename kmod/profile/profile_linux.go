package profile

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// supervisorMask is SupervisorCaps as bits.
func supervisorMask() uint64 {
	m, err := CapMask(SupervisorCaps)
	if err != nil {
		panic(err) // the constant table is wrong: caught by the unit tests
	}
	return m
}

// Apply restricts the calling process to profile p. Call it last: in the
// jail's namespaces, after pivot_root, MaskPaths and sethostname, while
// still fully root, and before the process carries on as jinit (Options.
// Supervisor) or execs the jailed program.
//
// Apply changes every thread of the process (AllThreadsSyscall and seccomp
// TSYNC), so the caller need not lock its OS thread; it needs a
// CGO_ENABLED=0 build. The order follows runc: capability and securebit
// changes while CAP_SETPCAP is effective, seccomp last.
//
//   - low, medium: the bounding set becomes the profile's capabilities and
//     inheritable/ambient are cleared, so a root exec gets exactly those
//     and a non-root exec nothing. No no_new_privs: setuid binaries keep
//     working, bounded by the same set.
//   - high: no_new_privs, SECBIT_NOROOT (locked), empty bounding,
//     inheritable and ambient sets and no capabilities; with Supervisor,
//     CAP_SETUID, CAP_SETGID and CAP_KILL stay permitted and effective in
//     this process only, so a service jinit starts, as root or not, ends
//     with no capability in any set.
//   - high with UserNS: the same, except that the bounding, permitted and
//     effective sets are UserNSCaps and NOROOT is locked off: a root
//     service keeps those (over the jail's own namespace only), a
//     non-root one nothing.
//
// On error the process is left partly restricted and must neither exec
// nor carry on.
func Apply(p Profile, opt Options) error {
	if _, err := Parse(string(p)); err != nil || p == "" {
		return fmt.Errorf("apply profile: unknown profile %q", p)
	}
	prog, err := buildFilter(p) // before any change: a broken table leaves nothing half done
	if err != nil {
		return fmt.Errorf("apply profile %s: %w", p, err)
	}
	last, err := lastCap()
	if err != nil {
		return fmt.Errorf("apply profile %s: %w", p, err)
	}
	cur, err := getCaps()
	if err != nil {
		return fmt.Errorf("apply profile %s: %w", p, err)
	}
	if cur.eff&capBit(unix.CAP_SETPCAP) == 0 {
		return fmt.Errorf("apply profile %s: CAP_SETPCAP is not effective", p)
	}
	if p == High {
		err = applyHigh(opt, last, cur)
	} else {
		err = applyBounded(p, last, cur)
	}
	if err == nil {
		err = installFilter(prog)
	}
	if err == nil && p != High {
		err = trimBounded(p, last, cur)
	}
	if err != nil {
		return fmt.Errorf("apply profile %s: %w", p, err)
	}
	return nil
}

func applyHigh(opt Options, last int, cur capSet) error {
	var keep, bounding uint64
	bits := uintptr(highSecurebits)
	if opt.Supervisor {
		keep = supervisorMask()
	}
	if opt.UserNS {
		ns, err := CapMask(UserNSCaps)
		if err != nil {
			return err
		}
		keep, bounding, bits = ns, ns, highUserNSSecurebits
	}
	if cur.prm&keep != keep {
		return fmt.Errorf("capabilities %#x to keep are not permitted (have %#x)", keep, cur.prm)
	}
	if err := prctlAll("set no_new_privs", unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
		return err
	}
	if err := raiseAmbient(0); err != nil {
		return err
	}
	if err := setCaps(capSet{eff: cur.eff, prm: cur.prm}); err != nil {
		return err
	}
	if err := dropBounding(bounding, last); err != nil {
		return err
	}
	// Securebits need CAP_SETPCAP effective: still there, only the
	// bounding set has lost it.
	if err := prctlAll("set securebits", unix.PR_SET_SECUREBITS, bits, 0); err != nil {
		return err
	}
	return setCaps(capSet{eff: keep, prm: keep})
}

// applyBounded applies low or medium. CAP_SYS_ADMIN stays effective until
// the seccomp filter is in (without no_new_privs the kernel requires it);
// trimBounded cuts the caller's own sets afterwards. The exec would do it
// anyway (root's exec derives permitted from the bounding set); trimming
// keeps the last steps before exec within the profile too.
func applyBounded(p Profile, last int, cur capSet) error {
	allow, err := allowedMask(p, last)
	if err != nil {
		return err
	}
	if err := raiseAmbient(0); err != nil {
		return err
	}
	if err := dropBounding(allow, last); err != nil {
		return err
	}
	return setCaps(capSet{eff: cur.eff, prm: cur.prm, inh: 0})
}

func trimBounded(p Profile, last int, cur capSet) error {
	allow, err := allowedMask(p, last)
	if err != nil {
		return err
	}
	return setCaps(capSet{eff: cur.eff & allow, prm: cur.prm & allow})
}
