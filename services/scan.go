package services

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Scan loads every service directory under root, sorted by name. Entries
// starting with '.' and plain files are skipped; symlinks to directories
// are followed, as runit and s6 scan directories often use them. A broken
// service yields an error and does not stop the others.
func Scan(root string) ([]*Service, []error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, []error{fmt.Errorf("scan service directory %s: %w", root, err)}
	}
	var svcs []*Service
	var errs []error
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		dir := filepath.Join(root, name)
		if e.Type()&os.ModeSymlink != 0 {
			fi, err := os.Stat(dir)
			if err != nil {
				errs = append(errs, &LoadError{Dir: dir, Err: fmt.Errorf("dangling symlink: %w", bare(err))})
				continue
			}
			if !fi.IsDir() {
				continue
			}
		} else if !e.IsDir() {
			continue
		}
		s, err := Load(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ls, err := loadLog(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		svcs = append(svcs, s)
		if ls != nil {
			svcs = append(svcs, ls)
		}
	}
	return svcs, errs
}

// CheckGraph reports duplicate names, dependencies on unknown services and
// dependency cycles, each cycle named as "a -> b -> a".
func CheckGraph(svcs []*Service) error {
	byName := make(map[string]*Service, len(svcs))
	var errs []error
	for _, s := range svcs {
		if _, dup := byName[s.Name]; dup {
			errs = append(errs, fmt.Errorf("service %s: defined twice", s.Name))
		}
		byName[s.Name] = s
	}
	names := make([]string, 0, len(byName))
	for n, s := range byName {
		names = append(names, n)
		for _, d := range s.Depends {
			if byName[d] == nil {
				errs = append(errs, fmt.Errorf("service %s: depends on unknown service %q", n, d))
			}
		}
	}
	slices.Sort(names)
	errs = append(errs, findCycles(byName, names)...)
	return errors.Join(errs...)
}

// findCycles is a depth-first search; each back edge closes one cycle.
func findCycles(byName map[string]*Service, names []string) []error {
	const (
		unvisited = iota
		active
		done
	)
	state := make(map[string]int, len(names))
	var stack []string
	var errs []error
	var visit func(n string)
	visit = func(n string) {
		state[n] = active
		stack = append(stack, n)
		for _, d := range byName[n].Depends {
			switch {
			case byName[d] == nil:
			case state[d] == active:
				i := slices.Index(stack, d)
				cycle := append(slices.Clone(stack[i:]), d)
				errs = append(errs, fmt.Errorf("dependency cycle: %s", strings.Join(cycle, " -> ")))
			case state[d] == unvisited:
				visit(d)
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
	}
	for _, n := range names {
		if state[n] == unvisited {
			visit(n)
		}
	}
	return errs
}
