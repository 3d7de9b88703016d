package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// collectorBin is the collector's binary. It is separate because it links
// client_golang, which would slow the start of every jailctl process
// (docs/ARCHITECTURE.md); `jailctl collector` is the command users type.
const collectorBin = "jails-collector"

// cmdCollector runs the host collector in the foreground (for systemd and
// rc.d): it replaces jailctl with jails-collector, found beside the jailctl
// binary or else on PATH, for this instance.
func cmdCollector(_ context.Context, e *env, args []string) error {
	bin, err := findCollector(e.self)
	if err != nil {
		return err
	}
	argv := []string{bin}
	if e.st.Dir != "" {
		argv = append(argv, "--state-dir", e.st.Dir)
	}
	if e.log.IsDebug() {
		argv = append(argv, "--debug")
	}
	argv = append(argv, args...)
	err = syscall.Exec(bin, argv, os.Environ())
	return fmt.Errorf("run %s: %w", bin, err)
}

func findCollector(self string) (string, error) {
	if self != "" {
		p := filepath.Join(filepath.Dir(self), collectorBin)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(collectorBin)
	if err != nil {
		return "", errors.New(collectorBin + " not found beside jailctl or on PATH (make install puts it beside jailctl)")
	}
	return p, nil
}
