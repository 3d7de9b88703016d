package jail

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// keeperProc is a live keeper process of a jail, from its command line.
type keeperProc struct {
	pid, jinitPid int
	incarnation   string
}

// keepersOf finds the live keepers of jail name of this instance by their
// command lines (/proc/PID/cmdline), for when the record that names them
// is lost, damaged, or was never written. A keeper runs this very
// binary: any process can take its name and forge its command line (a
// jailed one included), none can run the host's jailctl file without
// being given it. Only processes of jailctl's name (/proc/PID/comm, cheap
// to read) are looked at further.
func (h *Host) keepersOf(name string) []keeperProc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var self syscall.Stat_t
	if err := syscall.Stat(h.Exe, &self); err != nil {
		return nil
	}
	comm := filepath.Base(h.Exe)
	if len(comm) > 15 {
		comm = comm[:15] // TASK_COMM_LEN - 1
	}
	var out []keeperProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if c, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err != nil || string(bytes.TrimSuffix(c, []byte{'\n'})) != comm {
			continue
		}
		var exe syscall.Stat_t
		if syscall.Stat("/proc/"+e.Name()+"/exe", &exe) != nil || exe.Dev != self.Dev || exe.Ino != self.Ino {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte("\x00"+KeeperCommand+"\x00")) {
			continue
		}
		if k, ok := parseKeeperArgs(h.Store.Dir, name, bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0})); ok {
			k.pid = pid
			out = append(out, k)
		}
	}
	return out
}
