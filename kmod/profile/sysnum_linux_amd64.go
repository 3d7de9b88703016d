package profile

import "golang.org/x/sys/unix"

// nativeArch is the only seccomp architecture the filter lets through:
// every other one (i386 and x32 on amd64, 32-bit arm on arm64) gets ENOSYS,
// so the syscall tables below cannot be bypassed through a compat entry.
const nativeArch = unix.AUDIT_ARCH_X86_64

// sysnums maps the syscall names of the rules table to this
// architecture's numbers. absentSyscalls do not exist here.
var sysnums = map[string]uint32{
	"init_module":       unix.SYS_INIT_MODULE,
	"finit_module":      unix.SYS_FINIT_MODULE,
	"delete_module":     unix.SYS_DELETE_MODULE,
	"reboot":            unix.SYS_REBOOT,
	"kexec_load":        unix.SYS_KEXEC_LOAD,
	"kexec_file_load":   unix.SYS_KEXEC_FILE_LOAD,
	"settimeofday":      unix.SYS_SETTIMEOFDAY,
	"clock_settime":     unix.SYS_CLOCK_SETTIME,
	"syslog":            unix.SYS_SYSLOG,
	"iopl":              unix.SYS_IOPL,
	"ioperm":            unix.SYS_IOPERM,
	"mknod":             unix.SYS_MKNOD,
	"swapon":            unix.SYS_SWAPON,
	"swapoff":           unix.SYS_SWAPOFF,
	"mount":             unix.SYS_MOUNT,
	"umount2":           unix.SYS_UMOUNT2,
	"pivot_root":        unix.SYS_PIVOT_ROOT,
	"fsopen":            unix.SYS_FSOPEN,
	"fsconfig":          unix.SYS_FSCONFIG,
	"fsmount":           unix.SYS_FSMOUNT,
	"fspick":            unix.SYS_FSPICK,
	"open_tree":         unix.SYS_OPEN_TREE,
	"open_tree_attr":    unix.SYS_OPEN_TREE_ATTR,
	"move_mount":        unix.SYS_MOVE_MOUNT,
	"mount_setattr":     unix.SYS_MOUNT_SETATTR,
	"mknodat":           unix.SYS_MKNODAT,
	"chroot":            unix.SYS_CHROOT,
	"socket":            unix.SYS_SOCKET,
	"bpf":               unix.SYS_BPF,
	"perf_event_open":   unix.SYS_PERF_EVENT_OPEN,
	"io_uring_setup":    unix.SYS_IO_URING_SETUP,
	"io_uring_enter":    unix.SYS_IO_URING_ENTER,
	"io_uring_register": unix.SYS_IO_URING_REGISTER,
	"keyctl":            unix.SYS_KEYCTL,
	"add_key":           unix.SYS_ADD_KEY,
	"request_key":       unix.SYS_REQUEST_KEY,
	"unshare":           unix.SYS_UNSHARE,
	"clone":             unix.SYS_CLONE,
	"clone3":            unix.SYS_CLONE3,
	"setns":             unix.SYS_SETNS,
	"open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT,
	"acct":              unix.SYS_ACCT,
}

var absentSyscalls = []string{}

// x32Bit marks x32 syscalls, which share AUDIT_ARCH_X86_64 with native
// ones; the filter denies every number at or above it.
const x32Bit = 0x40000000
