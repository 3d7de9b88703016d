// Package mountinfo reads Linux's mount table of a mount namespace,
// /proc/PID/mountinfo (proc(5)). Parsing is plain text handling and builds
// everywhere; only Linux has the file.
package mountinfo

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Mount is one line of mountinfo:
//
//	id parent maj:min root point options [optional...] - fstype source superoptions
type Mount struct {
	Root         string   // the directory of the filesystem mounted here
	Point        string   // the mount point, in the reader's root
	Optional     []string // propagation: shared:N, master:N, propagate_from:N, unbindable
	FSType       string
	SuperOptions string // the filesystem's own options, comma-separated
}

// Shared reports whether the mount propagates to and from a peer group.
func (m Mount) Shared() bool {
	for _, f := range m.Optional {
		if strings.HasPrefix(f, "shared:") {
			return true
		}
	}
	return false
}

// Parse parses one line; paths are unescaped.
func Parse(line string) (Mount, error) {
	pre, post, ok := strings.Cut(line, " - ")
	f := strings.Fields(pre)
	p := strings.SplitN(post, " ", 3)
	if !ok || len(f) < 6 || len(p) < 3 || p[0] == "" {
		return Mount{}, fmt.Errorf("malformed mountinfo line %q", line)
	}
	return Mount{Root: Unescape(f[3]), Point: Unescape(f[4]), Optional: f[6:], FSType: p[0], SuperOptions: p[2]}, nil
}

// Read parses a mountinfo file, normally /proc/self/mountinfo.
func Read(path string) ([]Mount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	var out []Mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m, err := Parse(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("read mount table %s: %w", path, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mount table %s: %w", path, err)
	}
	return out, nil
}

// Unescape undoes the kernel's octal escapes in paths (\040 for a space,
// \134 for a backslash); anything else is kept as it is.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
