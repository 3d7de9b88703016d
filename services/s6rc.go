package services

import (
	"errors"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
)

// s6-rc source definitions map onto jinit's model: `type` longrun is an
// ordinary service; oneshot runs its `up` (an execline script, as
// s6-rc-oneshot-run does) once, its dependents waiting for its exit 0;
// a bundle is a oneshot that does nothing and depends on its `contents`,
// so depending on the bundle means depending on all of them. The names in
// dependencies.d/ (or the older `dependencies` file) are depends. A
// oneshot's `down` is not run.

// maxS6RCList bounds `contents` and `dependencies`.
const maxS6RCList = 64 << 10

func (l *loader) s6rc() error {
	b, err := readFile(filepath.Join(l.dir, "type"), maxControlFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return l.errf("type", "", "%w", err)
	}
	if err := l.s6rcDepends(); err != nil {
		return err
	}
	switch typ := strings.TrimSpace(string(b)); typ {
	case "longrun":
		return nil
	case "oneshot":
		if _, err := readFile(filepath.Join(l.dir, "up"), maxTOML); err != nil {
			return l.errf("up", "", "a oneshot needs an up script: %w", err)
		}
		return l.oneshot("execlineb", "-P", "./up")
	case "bundle":
		names, err := l.nameList("contents")
		if err != nil {
			return err
		}
		l.svc.Depends = append(l.svc.Depends, names...)
		return l.oneshot("true")
	default:
		return l.errf("type", "", "unknown type %q: want longrun, oneshot or bundle", typ)
	}
}

// oneshot makes the service run argv once instead of a run file.
func (l *loader) oneshot(argv ...string) error {
	p, err := exec.LookPath(argv[0])
	if err != nil {
		return l.errf("type", "", "%s is needed to run it: %w", argv[0], err)
	}
	l.svc.Run, l.svc.RunArgs = p, argv
	l.svc.Policy.Oneshot, l.svc.Policy.Restart = true, RestartNever
	return nil
}

func (l *loader) s6rcDepends() error {
	names, err := listDir(filepath.Join(l.dir, "dependencies.d"), maxEnvVars)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		names, err = l.nameList("dependencies")
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
	case err != nil:
		return l.errf("dependencies.d", "", "%w", err)
	}
	for _, n := range names {
		if err := checkName(n); err != nil {
			return l.errf("dependencies.d", "", "%w", err)
		}
	}
	l.svc.Depends = append(l.svc.Depends, names...)
	return nil
}

// nameList reads a file of service names, one per line.
func (l *loader) nameList(file string) ([]string, error) {
	b, err := readFile(filepath.Join(l.dir, file), maxS6RCList)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, l.errf(file, "", "%w", err)
	}
	var out []string
	for _, f := range strings.Fields(string(b)) {
		if err := checkName(f); err != nil {
			return nil, l.errf(file, "", "%w", err)
		}
		out = append(out, f)
	}
	if file == "contents" && len(out) == 0 {
		return nil, l.errf(file, "", "a bundle names at least one service")
	}
	return out, nil
}
