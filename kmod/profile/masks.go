package profile

// maskKind says how MaskPaths hides a kernel interface.
type maskKind int

const (
	// maskFile binds /dev/null over a file: reads return nothing,
	// writes vanish.
	maskFile maskKind = iota
	// maskDir mounts an empty read-only tmpfs over a directory.
	maskDir
	// readOnly bind-mounts the path onto itself and remounts it read-only
	// (per mount, never the superblock: /sys and /proc/sys stay writable
	// for the host).
	readOnly
)

// mask is one masked or read-only path, applied in profile from and every
// stricter one. A path the kernel does not have is skipped.
type mask struct {
	path string
	kind maskKind
	from Profile
	why  string
}

// masks follows runc's default masked/read-only lists, graded by profile.
// In low they only guard against accidents: a low jail keeps CAP_SYS_ADMIN
// and can unmount them, so low is not a security boundary.
var masks = []mask{
	{"/proc/kcore", maskFile, Low, "physical memory image"},
	{"/proc/kmsg", maskFile, Low, "kernel log"},
	{"/proc/sysrq-trigger", maskFile, Low, "writable by any uid 0 without a capability check: reboot, crash"},
	{"/proc/sys/kernel/modprobe", readOnly, Low, "host-root helper run on module requests"},
	{"/proc/sys/kernel/core_pattern", readOnly, Low, "host-root helper run on core dumps"},
	{"/proc/sys/kernel/sysrq", readOnly, Low, "enables SysRq"},
	{"/proc/sys/kernel/printk", readOnly, Low, "kernel log level"},
	{"/proc/keys", maskFile, Medium, "kernel keyrings"},
	{"/proc/key-users", maskFile, Medium, "keyring quotas of every uid"},
	{"/proc/timer_list", maskFile, Medium, "kernel timers and addresses"},
	{"/proc/timer_stats", maskFile, Medium, "kernel timers"},
	{"/proc/sched_debug", maskFile, Medium, "every task on the host"},
	{"/proc/latency_stats", maskFile, Medium, "kernel latency records"},
	{"/proc/acpi", maskDir, Medium, "ACPI controls"},
	{"/proc/asound", maskDir, Medium, "sound devices"},
	{"/proc/scsi", maskDir, Medium, "SCSI bus control"},
	{"/sys/firmware", maskDir, Medium, "firmware tables: ACPI, EFI variables"},
	{"/sys/devices/virtual/powercap", maskDir, Medium, "RAPL energy counters: a side channel"},
	{"/proc/sys", readOnly, Medium, "sysctl writes"},
	{"/proc/irq", readOnly, Medium, "interrupt affinity"},
	{"/proc/bus", readOnly, Medium, "PCI/USB config space"},
	{"/proc/fs", readOnly, Medium, "filesystem tunables"},
	{"/sys", readOnly, Medium, "device, driver and kernel tunables"},
}

func (m mask) row() Row {
	what := map[maskKind]string{
		maskFile: "masked (/dev/null bound over it)",
		maskDir:  "masked (empty read-only tmpfs)",
		readOnly: "read-only (EROFS)",
	}[m.kind]
	mech := map[maskKind]string{
		maskFile: "bind /dev/null",
		maskDir:  "empty read-only tmpfs",
		readOnly: "read-only bind mount",
	}[m.kind]
	cell := func(p Profile) string {
		if p.atLeast(m.from) {
			return what
		}
		return allowed
	}
	return Row{Operation: m.path + " (" + m.why + ")", Mechanism: mech,
		Low: cell(Low), Medium: cell(Medium), High: cell(High)}
}

// masksFor returns the masks of p in the order MaskPaths applies them:
// file and directory masks first, then read-only binds from the deepest
// path up, so that a recursive bind of a parent carries the child mounts.
func masksFor(p Profile) []mask {
	var hide, ro []mask
	for _, m := range masks {
		switch {
		case !p.atLeast(m.from):
		case m.kind == readOnly:
			ro = append(ro, m)
		default:
			hide = append(hide, m)
		}
	}
	// Stable insertion sort by descending depth keeps the table order
	// for equal depths.
	for i := 1; i < len(ro); i++ {
		for j := i; j > 0 && depth(ro[j].path) > depth(ro[j-1].path); j-- {
			ro[j], ro[j-1] = ro[j-1], ro[j]
		}
	}
	return append(hide, ro...)
}

func depth(p string) int {
	n := 0
	for _, c := range p {
		if c == '/' {
			n++
		}
	}
	return n
}
