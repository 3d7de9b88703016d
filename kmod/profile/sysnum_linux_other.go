//go:build linux && !amd64 && !arm64

package profile

// On other architectures there is no syscall table: buildFilter fails, so
// Apply refuses every profile rather than running without seccomp.
const nativeArch = 0

var sysnums = map[string]uint32{}

var absentSyscalls = []string{}

const x32Bit = 0
