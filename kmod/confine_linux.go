package kmod

import (
	"fmt"

	"github.com/jailsproject/jails/kmod/profile"
)

// confine applies the jail's profile as the stage's last act: masked and
// read-only kernel interfaces, then capabilities, no_new_privs and seccomp.
// jinit keeps only what it needs to run services as other users.
func confine(s *Spec) error {
	p, err := profile.Parse(s.Profile)
	if err != nil {
		return err
	}
	if err := profile.MaskPaths(p); err != nil {
		return fmt.Errorf("confine jail: %w", err)
	}
	if err := profile.Apply(p, profile.Options{Supervisor: true, UserNS: s.UserNS != nil}); err != nil {
		return fmt.Errorf("confine jail: %w", err)
	}
	return nil
}
