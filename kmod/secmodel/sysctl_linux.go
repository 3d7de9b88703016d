package secmodel

// The secmodel_jail module exists only on NetBSD; on Linux the kernel jail is
// built from namespaces, cgroups and eBPF (see the other kmod packages).

// Version returns the ABI version of the loaded module.
func Version() (uint32, error) { return 0, ErrNotSupported }

// Create creates a jail and returns its id.
func Create(req CreateRequest) (int32, error) { return 0, ErrNotSupported }

// Destroy destroys a jail that has no processes left.
func Destroy(id int32) error { return ErrNotSupported }

// Enter moves the calling process into a jail.
func Enter(id int32) error { return ErrNotSupported }

// Self returns the calling process's jail id (0: the host).
func Self() (int32, error) { return 0, ErrNotSupported }

// List returns the jails the caller may see, with telemetry.
func List() ([]Info, error) { return nil, ErrNotSupported }

// ReadCounters returns the module's denial counters.
func ReadCounters() (Counters, error) { return Counters{}, ErrNotSupported }
