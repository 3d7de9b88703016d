package ports

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A reserved port must also be kept from the kernel's own allocations: an
// outgoing connection, bind(0) or autobind picks a free port of
// net.ipv4.ip_local_port_range (or of the socket's IP_LOCAL_PORT_RANGE),
// and the eBPF bind hook never sees that choice, so a jail could hold
// another jail's reserved port that way. Ports listed in
// net.ipv4.ip_local_reserved_ports are skipped by every such allocation
// (IPv4 and IPv6, TCP and UDP) and stay bindable explicitly, by their
// owner. The list is host-wide and per number, so who added which number
// is recorded in reservedRegistry (under its flock): a guard removes only
// the numbers it added, never one another jail still needs or one the
// administrator had listed before, and numbers of guards whose jail
// cgroup is gone (every started jail's: Guard.Leave) are removed by the next
// guard that reserves or releases.

var (
	reservedSysctl   = "/proc/sys/net/ipv4/ip_local_reserved_ports"
	reservedRegistry = "/run/jails-reserved-ports.json"
)

// registry is reservedRegistry's content.
type registry struct {
	// Owners maps a jail cgroup directory to the numbers it reserved.
	Owners map[string][]uint16 `json:"owners"`
	// Before are numbers that were in the list before any jail needed
	// them: never removed by a guard.
	Before []uint16 `json:"before,omitempty"`
}

// reserve adds the numbers of own to the list for owner.
func reserve(owner string, own []Port) error {
	if len(own) == 0 {
		return nil
	}
	return withRegistry(func(r *registry, set map[uint16]bool) {
		var nums []uint16
		for _, p := range own {
			if !slices.Contains(nums, p.Num) {
				nums = append(nums, p.Num)
			}
		}
		for _, n := range nums {
			if set[n] && !r.claimed(n) && !slices.Contains(r.Before, n) {
				r.Before = append(r.Before, n)
			}
			set[n] = true
		}
		r.Owners[owner] = nums
	})
}

// Release removes from net.ipv4.ip_local_reserved_ports what guards of
// jails whose cgroup is gone had added: a started jail's guard is left in
// force (Guard.Leave), so whoever removes a jail's cgroup calls this.
func Release() error {
	if _, err := os.Stat(reservedRegistry); errors.Is(err, os.ErrNotExist) {
		return nil // no jail ever reserved a port here
	}
	return withRegistry(func(*registry, map[uint16]bool) {})
}

// unreserve removes what owner added.
func unreserve(owner string) error {
	return withRegistry(func(r *registry, set map[uint16]bool) { r.release(owner, set) })
}

func (r *registry) claimed(n uint16) bool {
	for _, nums := range r.Owners {
		if slices.Contains(nums, n) {
			return true
		}
	}
	return false
}

// release forgets owner and drops its numbers nobody else needs.
func (r *registry) release(owner string, set map[uint16]bool) {
	nums := r.Owners[owner]
	delete(r.Owners, owner)
	for _, n := range nums {
		if r.claimed(n) {
			continue
		}
		if i := slices.Index(r.Before, n); i >= 0 {
			r.Before = slices.Delete(r.Before, i, i+1)
			continue
		}
		delete(set, n)
	}
}

// withRegistry runs change on the locked registry and the current list,
// after removing the numbers of owners whose cgroup is gone, and writes
// both back.
func withRegistry(change func(*registry, map[uint16]bool)) error {
	f, err := os.OpenFile(reservedRegistry, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("reserved ports: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("reserved ports: lock %s: %w", reservedRegistry, err)
	}
	r := registry{}
	if st, _ := f.Stat(); st != nil && st.Size() > 0 {
		if err := json.NewDecoder(f).Decode(&r); err != nil {
			return fmt.Errorf("reserved ports: read %s: %w", reservedRegistry, err)
		}
	}
	if r.Owners == nil {
		r.Owners = map[string][]uint16{}
	}
	b, err := os.ReadFile(reservedSysctl)
	if err != nil {
		return fmt.Errorf("reserved ports: %w", err)
	}
	set, err := parseRanges(string(b))
	if err != nil {
		return fmt.Errorf("reserved ports: %s: %w", reservedSysctl, err)
	}
	was := formatRanges(set)
	for owner := range r.Owners {
		if _, err := os.Stat(owner); errors.Is(err, os.ErrNotExist) {
			r.release(owner, set)
		}
	}
	change(&r, set)
	if now := formatRanges(set); now != was {
		if err := os.WriteFile(reservedSysctl, []byte(now+"\n"), 0); err != nil {
			return fmt.Errorf("reserved ports: write %s: %w", reservedSysctl, err)
		}
	}
	out, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("reserved ports: %w", err)
	}
	if _, err := f.WriteAt(out, 0); err != nil {
		return fmt.Errorf("reserved ports: write %s: %w", reservedRegistry, err)
	}
	return nil
}

// parseRanges reads the sysctl's "1,5-7" form.
func parseRanges(s string) (map[uint16]bool, error) {
	set := map[uint16]bool{}
	for _, f := range strings.Split(strings.TrimSpace(s), ",") {
		if f == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(f, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil || a > b {
			return nil, fmt.Errorf("bad range %q", f)
		}
		for n := a; n <= b; n++ {
			set[uint16(n)] = true
		}
	}
	return set, nil
}

// formatRanges writes set in the sysctl's form, runs as ranges.
func formatRanges(set map[uint16]bool) string {
	nums := make([]int, 0, len(set))
	for n := range set {
		nums = append(nums, int(n))
	}
	slices.Sort(nums)
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(nums[i]))
		} else {
			parts = append(parts, strconv.Itoa(nums[i])+"-"+strconv.Itoa(nums[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
