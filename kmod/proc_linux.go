package kmod

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStat returns the fields of /proc/PID/stat that follow the command
// name, which may itself hold spaces and parentheses: [0] is field 3, the
// state.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil, fmt.Errorf("read process %d: malformed stat", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// ProcStart returns a live process's start time in clock ticks since
// boot; an exited one (a zombie nobody reaped yet) is an error. With the
// pid it tells a process from a later one that reused its pid.
func ProcStart(pid int) (uint64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 20 {
		return 0, fmt.Errorf("read process %d: malformed stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, errors.New("process has exited")
	}
	return strconv.ParseUint(f[19], 10, 64)
}
