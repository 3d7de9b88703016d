package services

import (
	"os"
	"path/filepath"
)

// A service directory's log/ (runit and s6) is a service of its own,
// named NAME.log, that reads the main service's stdout on its stdin, as
// runsv and s6-supervise arrange: svlogd or any other logger keeps its own
// files inside the jail. The main service depends on it, so the logger
// starts first and stops last. The output also still reaches the host's
// collector: jinit's capture of the main service copies what it reads into
// the logger's pipe (Config.Tee), rather than the logger taking it alone.

// logSuffix names the log service of a service.
const logSuffix = ".log"

// loadLog loads dir/log as the log service of s, if it has an executable
// log/run; a log/ without one is ignored, as runsv does.
func loadLog(s *Service) (*Service, error) {
	dir := filepath.Join(s.Dir, "log")
	if fi, err := os.Stat(filepath.Join(dir, "run")); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return nil, nil
	}
	ls, err := Load(dir)
	if err != nil {
		return nil, err
	}
	ls.Name, ls.LogFor = s.Name+logSuffix, s.Name
	s.Depends = append(s.Depends, ls.Name)
	return ls, nil
}

// logPipe is the pipe from a service to its log service, made at the
// first start of either and kept across their restarts (runsv's rule: a
// restarted logger loses nothing that was written meanwhile).
type logPipe struct{ r, w *os.File }

func (e *Engine) logPipeOf(main string) *logPipe {
	if p := e.logPipes[main]; p != nil {
		return p
	}
	r, w, err := os.Pipe()
	if err != nil {
		e.log.Error("no pipe to the log service", "service", main, "error", err)
		return nil
	}
	p := &logPipe{r: r, w: w}
	e.logPipes[main] = p
	if e.cfg.Tee != nil {
		e.cfg.Tee(main, w)
	}
	return p
}

// hasLog reports whether a unit is the main service of a log service.
func (e *Engine) hasLog(name string) bool {
	return e.units[name+logSuffix] != nil && e.units[name+logSuffix].spec.LogFor == name
}
