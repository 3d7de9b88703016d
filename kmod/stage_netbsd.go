package kmod

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/jailsproject/jails/kmod/secmodel"
	"golang.org/x/sys/unix"
)

// On NetBSD the stage is a short-lived host process that jailctl starts
// once the root is composed and the secmodel_jail jail exists. It chroots
// into the root, enters the jail and execs jinit, which keeps its pid. A
// second mode, the kill stage, enters a jail only to kill every process in
// it (see Jail.killMembers). Both need a chroot first: the module refuses
// to let an unchrooted process in.

// Descriptors of the start stage, as on Linux.
const (
	stageControlFD = 3 // the host-side listening control socket, passed on to jinit
	stageSpecFD    = 4 // stageMsg as JSON
	stageErrFD     = 5 // close-on-exec: empty at exec of jinit, else the error
	stageKeeperFD  = 6 // the keeper pipe's read end, passed on to jinit
)

// stageKill is argv[2] of a kill stage; a jail name cannot start with '-'.
const stageKill = "--kill"

// stageMsg is what the start stage reads on stageSpecFD.
type stageMsg struct {
	Spec Spec  `json:"spec"`
	ID   int32 `json:"id"`
}

// Entering changes the credential of the calling process; its other
// threads pick it up at their next system call. Keeping main() on the
// main thread makes the exec that follows come from the entered thread.
func init() {
	if IsStage() {
		runtime.LockOSThread()
	}
}

// StageMain runs the stage and never returns.
func StageMain() {
	if len(os.Args) > 2 && os.Args[2] == stageKill {
		if err := killStage(os.Args[3:]); err != nil {
			fmt.Fprintf(os.Stderr, "jail kill stage: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	errw := os.NewFile(stageErrFD, "stage-errors")
	syscall.CloseOnExec(stageErrFD)
	err := startStage()
	fmt.Fprintf(errw, "%v", err)
	os.Exit(1)
}

func startStage() error {
	specR := os.NewFile(stageSpecFD, "stage-spec")
	b, err := io.ReadAll(io.LimitReader(specR, 1<<20))
	specR.Close()
	if err != nil {
		return fmt.Errorf("read jail spec: %w", err)
	}
	var msg stageMsg
	if err := json.Unmarshal(b, &msg); err != nil {
		return fmt.Errorf("decode jail spec: %w", err)
	}
	spec := msg.Spec
	if err := enterJail(spec.Mnt, msg.ID); err != nil {
		return err
	}
	svcDir := "/etc/service"
	if spec.NoServices {
		svcDir = NoServicesDir // an empty directory that installJinit made
	}
	keeperFD := -1
	if spec.KeeperPipe {
		keeperFD = stageKeeperFD
	}
	args := spec.jinitArgs(svcDir, stageControlFD, keeperFD)
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/pkg/sbin:/usr/pkg/bin:/usr/sbin:/usr/bin:/sbin:/bin", "JAIL_NAME=" + spec.Name}
	return fmt.Errorf("exec jinit: %w", unix.Exec(JinitPath, args, env))
}

// enterJail chroots into root and moves this process into jail id for
// good, then checks with the module that it is there.
func enterJail(root string, id int32) error {
	if id <= 0 {
		return fmt.Errorf("enter jail: bad id %d", id)
	}
	if err := unix.Chroot(root); err != nil {
		return fmt.Errorf("chroot to %s: %w", root, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chroot to %s: %w", root, err)
	}
	if err := secmodel.Enter(id); err != nil {
		return err
	}
	self, err := secmodel.Self()
	if err != nil {
		return fmt.Errorf("enter jail %d: %w", id, err)
	}
	if self != id {
		return fmt.Errorf("enter jail %d: the module reports jail %d", id, self)
	}
	return nil
}

const killStageWait = 10 * time.Second

// killStage: ID NAME ROOT. Inside the jail, kill(-1) reaches every
// process the caller may signal but itself, which the module limits to
// the caller's own jail. It is used only once the module confirmed that
// this process is in jail ID (enterJail): from the host it would reach
// everything.
func killStage(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: --kill ID NAME ROOT")
	}
	n, err := strconv.ParseInt(args[0], 10, 32)
	if err != nil {
		return fmt.Errorf("bad jail id %q", args[0])
	}
	id, name := int32(n), args[1]
	if err := enterJail(args[2], id); err != nil {
		return err
	}
	deadline := time.Now().Add(killStageWait)
	for {
		if err := unix.Kill(-1, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill the processes of jail %s: %w", name, err)
		}
		left, err := othersInJail(id)
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jail %s: %d processes survived SIGKILL for %v", name, left, killStageWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// othersInJail counts the live members of the caller's jail id, the
// caller excluded. A jailed caller lists only its own jail.
func othersInJail(id int32) (int, error) {
	infos, err := secmodel.List()
	if err != nil {
		return 0, err
	}
	for _, in := range infos {
		if in.ID == id {
			return max(int(in.NProcs)-1, 0), nil
		}
	}
	return 0, fmt.Errorf("jail %d is not in the module's list", id)
}
