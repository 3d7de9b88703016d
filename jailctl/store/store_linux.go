package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jailsproject/jails/kmod"
)

// defaultRun is the runtime directory: on tmpfs, gone at boot.
const defaultRun = "/run/jails"

// destroyKernelState removes what a dead keeper left.
func destroyKernelState(rt *Runtime) error {
	if len(rt.Cgroup) == 0 {
		return nil
	}
	var cg kmod.Cgroup
	if err := json.Unmarshal(rt.Cgroup, &cg); err != nil {
		return fmt.Errorf("decode cgroup: %w", err)
	}
	return cg.Destroy()
}

// Usage reads a running jail's accounting.
func (rt *Runtime) Usage() kmod.Usage {
	var cg kmod.Cgroup
	if json.Unmarshal(rt.Cgroup, &cg) != nil {
		return kmod.Usage{}
	}
	return cg.Usage()
}

// procStart returns a live process's start time in clock ticks since
// boot; an exited one (a zombie nobody reaped yet) is an error.
func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, errors.New("malformed stat")
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, errors.New("process has exited")
	}
	return strconv.ParseUint(f[19], 10, 64)
}
