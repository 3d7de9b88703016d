package mountinfo

import "testing"

// The kernel's own table parses, and has this process's root.
func TestReadSelf(t *testing.T) {
	ms, err := Read("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Point == "/" {
			return
		}
	}
	t.Errorf("no mount at / among %d in /proc/self/mountinfo", len(ms))
}
