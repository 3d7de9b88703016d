package jail

import (
	"path/filepath"
	"strconv"
)

// parseKeeperArgs reads a keeper's command line (startKeeper): it is one
// of jail name's keepers if it names the instance's state directory
// (stateDir, "" for the default) and the jail.
func parseKeeperArgs(stateDir, name string, argv [][]byte) (keeperProc, bool) {
	var k keeperProc
	dir, i := "", 1
	for ; i < len(argv); i++ {
		switch a := string(argv[i]); {
		case a == "--state-dir" && i+1 < len(argv):
			dir = filepath.Clean(string(argv[i+1]))
			i++
		case a == "--debug":
		case a == KeeperCommand:
			return parseAdopt(k, dir == stateDir, name, argv[i+1:])
		default:
			return k, false
		}
	}
	return k, false
}

func parseAdopt(k keeperProc, sameDir bool, name string, argv [][]byte) (keeperProc, bool) {
	if !sameDir || len(argv) == 0 || string(argv[len(argv)-1]) != name {
		return k, false
	}
	for i := 0; i+1 < len(argv)-1; i += 2 {
		v := string(argv[i+1])
		switch string(argv[i]) {
		case "--adopt":
			k.jinitPid, _ = strconv.Atoi(v)
		case "--incarnation":
			k.incarnation = v
		case "--links":
		default:
			return k, false
		}
	}
	return k, k.jinitPid > 0 && k.incarnation != ""
}
