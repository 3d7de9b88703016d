package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/jailsproject/jails/jailctl/store"
	"github.com/jailsproject/jails/kmod"
)

// A direct start takes the keeper's Go start-up off the path of
// `jailctl start`: jailctl builds the jail and clones jinit itself, and
// once the services are ready starts the keeper and hands it what keeps
// the jail — a pidfd of jinit, the write end of the keeper pipe (whose end
// of file makes jinit end the jail, in place of the parent-death signal)
// and the eBPF port links. It needs Linux 6.15, where a pidfd tells a process that is
// not jinit's parent how jinit ended (kmod.WaitExit). JAILS_KEEPER=parent
// forces the older path, where the keeper builds the jail and is jinit's
// parent.

// directStart reports whether start should take the direct path.
func directStart() bool {
	return os.Getenv("JAILS_KEEPER") != "parent" && kmod.ExitInfoSupported()
}

// Descriptors of an adopting keeper (`__keeper --adopt PID --links N NAME`).
const (
	adoptPidFD   = 3 // pidfd of jinit
	adoptPipeFD  = 4 // write end of the keeper pipe
	adoptLinksFD = 5 // first of N eBPF link descriptors
)

// launchDirect builds the jail defined by r and clones jinit into it; it
// returns once jinit runs, still holding the jail: the caller hands it to
// a keeper (handOff) once the services are ready or have failed. Starting
// the keeper, a Go program, while jinit starts would take CPU from jinit,
// which is on the path of `jailctl start`; started afterwards, its Go
// start-up runs while this process exits. start does not wait for that
// either: the keeper holds the jail from its exec on (the descriptors are
// inherited), and if it failed later, jinit would end the jail (keeper
// pipe) and the next command clean up, as after a keeper killed at any
// other time. On failure nothing is left.
func (e *env) launchDirect(r *store.Resolved, noServices bool) (*direct, error) {
	jinit, err := findJinit(e.self)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.st.LogDir(r.Def.Name), 0o755); err != nil {
		return nil, err
	}
	d := &direct{name: r.Def.Name}
	if err := d.launch(e, r, jinit, noServices); err != nil {
		d.abandon(e.st)
		return nil, err
	}
	return d, nil
}

// direct is what launchDirect holds until the keeper has it.
type direct struct {
	kept
	name    string
	pidfd   *os.File // jinit's
	pipeW   *os.File // the keeper pipe's write end
	console *os.File
	keeper  *exec.Cmd
}

func (d *direct) launch(e *env, r *store.Resolved, jinit string, noServices bool) error {
	h, err := d.prepare(e.st, r)
	if err != nil {
		return err
	}
	defer h.control.Close() // jinit's, once spawned
	d.console = h.console   // for the keeper's output
	pipeR, pipeW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create keeper pipe: %w", err)
	}
	d.pipeW = pipeW
	spec := jailSpec(e.st, r, jinit, noServices, e.log)
	d.proc, err = kmod.Spawn(spec, d.cg, kmod.SpawnOptions{Control: h.control, Console: h.console, Keeper: pipeR, Detached: true})
	pipeR.Close()
	if err != nil {
		return err
	}
	d.pidfd = os.NewFile(uintptr(d.proc.PidFD), "pidfd")
	if err := d.guardPorts(r, e.log); err != nil {
		return err
	}
	// This process is the keeper until handOff: if it dies, jinit ends the
	// jail and the next command cleans up, the cgroup named here.
	if err := e.st.RecordStart(d.name, os.Getpid(), d.proc.Cmd.Process.Pid, d.cg); err != nil {
		return err
	}
	return d.proc.Release(spec)
}

// handOff starts the jail's keeper, `jailctl __keeper --adopt`, with
// jinit's pidfd, the keeper pipe and the port links, and records it. If
// it cannot, the jail is removed.
func (d *direct) handOff(e *env) error {
	err := d.startKeeper(e)
	if err == nil {
		err = e.st.RecordStart(d.name, d.keeper.Process.Pid, d.proc.Cmd.Process.Pid, d.cg)
	}
	if err != nil {
		d.abandon(e.st)
		return err
	}
	d.keeper.Process.Release()
	d.release()
	return nil
}

func (d *direct) startKeeper(e *env) error {
	var links []*os.File
	if d.guard != nil {
		var err error
		if links, err = d.guard.Files(); err != nil {
			return err
		}
		defer closeAll(links)
	}
	cmd := e.keeperCommand(d.console, append([]*os.File{d.pidfd, d.pipeW}, links...),
		"--adopt", strconv.Itoa(d.proc.Cmd.Process.Pid), "--links", strconv.Itoa(len(links)), d.name)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start keeper: %w", err)
	}
	d.keeper = cmd
	return nil
}

// release closes this process's hold on the jail; the keeper has its own.
func (d *direct) release() {
	for _, f := range []*os.File{d.pidfd, d.pipeW, d.console} {
		if f != nil {
			f.Close()
		}
	}
}

// abandon removes a jail whose launch failed. jinit is this process's
// child until this process exits, so it is killed and reaped here.
func (d *direct) abandon(st *store.Store) {
	if d.keeper != nil {
		d.keeper.Process.Kill()
		d.keeper.Wait()
	}
	d.teardown(st, d.name)
	d.release()
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// pidfdJinit is jinit held through a pidfd by a keeper that is not its
// parent.
type pidfdJinit struct{ fd, pid int }

func (p pidfdJinit) wait() (syscall.WaitStatus, error) { return kmod.WaitExit(p.fd, p.pid) }

func (p pidfdJinit) terminate() { kmod.Signal(p.fd, syscall.SIGTERM) }

// adoptJail is the life of a keeper started by launchDirect: it takes the
// jail's descriptors, waits for jinit to exit and then removes the jail
// and records why, as the keeper of keep does.
func adoptJail(st *store.Store, name string, jinitPid, nLinks int, log hclog.Logger) error {
	jinit := pidfdJinit{fd: adoptPidFD, pid: jinitPid}
	held := []*os.File{os.NewFile(adoptPidFD, "pidfd"), os.NewFile(adoptPipeFD, "keeper-pipe")}
	for i := range nLinks {
		held = append(held, os.NewFile(uintptr(adoptLinksFD+i), "bpf-link"))
	}
	for _, f := range held {
		syscall.CloseOnExec(int(f.Fd()))
	}
	teardown := func(cg *kmod.Cgroup) {
		kmod.Signal(jinit.fd, syscall.SIGKILL)
		if cg != nil {
			if err := cg.Destroy(); err != nil {
				log.Error("remove cgroup", "jail", name, "error", err)
			}
		}
		closeAll(held) // detaches the port programs, closes the pidfd
		st.RemoveRunDir(name)
	}
	cg, err := recordedCgroup(st, name)
	if err != nil {
		// jinit is killed; the next command removes the cgroup (Reconcile).
		teardown(nil)
		return err
	}
	return waitJail(st, name, jinit, func() error { teardown(cg); return nil }, log)
}

// recordedCgroup reads the jail's cgroup from its runtime record, which
// launchDirect wrote before starting the keeper.
func recordedCgroup(st *store.Store, name string) (*kmod.Cgroup, error) {
	rt, err := st.ReadRuntime(name)
	if err != nil {
		return nil, err
	}
	var cg kmod.Cgroup
	if err := json.Unmarshal(rt.Cgroup, &cg); err != nil || cg.V2 == "" {
		return nil, fmt.Errorf("read the jail's cgroup from %s: %v", st.RuntimePath(name), err)
	}
	return &cg, nil
}
