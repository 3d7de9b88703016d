package kmod

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// A jail on the host's base sees the host's /etc through a copy-on-write
// layer: an overlay with the host's /etc as the read-only lower layer and
// the jail's own etc/ (its writable layer) as the upper one. Package users,
// /etc/alternatives, CA certificates, ld.so.cache and package configuration
// stay current with the host's packages, and whatever the jail writes stays
// its own. A copy made at create would go stale at the next host upgrade
// and cost a copy of /etc per jail.
//
// The host's secrets are left out: PlanEtc lists what to hide (a whiteout
// in the upper layer, the overlay's own "deleted" mark, which the jail
// cannot see or remove, only cover with a file of its own) and what to
// generate in their place. The plan is recomputed at every start from the
// host's /etc of the moment, so a secret that appears later (a new SSH
// host key type) is hidden at the next start. Entries the jail already has
// in its upper layer are its own and left alone.

// EtcSecrets are the host's secrets, as fs.Glob patterns relative to /etc.
var EtcSecrets = []string{
	"shadow", "shadow-", "gshadow", "gshadow-", // password hashes (shadow, gshadow: generated instead)
	"security/opasswd",  // old password hashes
	"ssh/ssh_host_*key", // SSH host private keys (the .pub files stay)
	"ssl/private",       // TLS private keys
	"krb5.keytab",       // Kerberos host keys
	"letsencrypt", "wireguard", "openvpn", "ipsec.secrets", "ipsec.d/private",
	"NetworkManager/system-connections", // Wi-Fi and VPN passwords
	"ppp/chap-secrets", "ppp/pap-secrets",
	"mysql/debian.cnf", // MariaDB's maintenance password
	"docker/key.json",
	"machine-id",             // the host's identity (a per-jail one is generated)
	"jails", "default/jails", // the project's own configuration
}

// EtcOpaque are directories of the host's /etc that the jail's own version
// replaces entirely rather than merges with: the host's enabled runit
// services must never start inside a jail.
var EtcOpaque = []string{"service"}

// EtcFile is a file generated in the upper layer when the jail has none.
type EtcFile struct {
	Name string // relative to /etc
	Body []byte
	Mode fs.FileMode
}

// EtcPlan is what composeEtc does to the upper layer before the mount.
type EtcPlan struct {
	Hide   []string  // whiteouts, relative to /etc
	Opaque []string  // directories made opaque (created if missing)
	Files  []EtcFile // generated when absent
}

// maxUserDB bounds the host's passwd and group files read for the plan.
const maxUserDB = 4 << 20

// PlanEtc plans a jail's /etc over host, the host's /etc. machineID is the
// jail's own /etc/machine-id (32 hex digits), used when it has none yet.
func PlanEtc(host fs.FS, machineID string) (EtcPlan, error) {
	var p EtcPlan
	for _, pat := range EtcSecrets {
		matches, err := fs.Glob(host, pat)
		if err != nil {
			return EtcPlan{}, fmt.Errorf("plan /etc: pattern %q: %w", pat, err)
		}
		p.Hide = append(p.Hide, matches...)
	}
	p.Opaque = EtcOpaque
	passwd, err := readSmallFS(host, "passwd")
	if err != nil {
		return EtcPlan{}, err
	}
	group, err := readSmallFS(host, "group")
	if err != nil {
		return EtcPlan{}, err
	}
	p.Files = []EtcFile{
		{Name: "shadow", Body: lockedDB(passwd, ":*::0:99999:7:::"), Mode: 0o640},
		{Name: "gshadow", Body: lockedDB(group, ":*::"), Mode: 0o640},
		{Name: "machine-id", Body: []byte(machineID + "\n"), Mode: 0o444},
	}
	// A generated file replaces the host's: its whiteout would be in the way.
	p.Hide = slices.DeleteFunc(p.Hide, func(h string) bool {
		return slices.ContainsFunc(p.Files, func(f EtcFile) bool { return f.Name == h })
	})
	slices.Sort(p.Hide)
	return p, nil
}

func readSmallFS(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("plan /etc: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxUserDB+1))
	if err != nil {
		return nil, fmt.Errorf("plan /etc: read %s: %w", name, err)
	}
	if len(b) > maxUserDB {
		return nil, fmt.Errorf("plan /etc: %s is larger than %d bytes", name, maxUserDB)
	}
	return b, nil
}

// lockedDB is a shadow-style file naming every account (or group) of db
// with a password that matches nothing: su and login refuse them, and
// tools that expect an entry for every user find one.
func lockedDB(db []byte, rest string) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(db))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		name, _, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name[:1], "#+-") { // comments, NIS compat entries
			continue
		}
		out.WriteString(name + rest + "\n")
	}
	return out.Bytes()
}
