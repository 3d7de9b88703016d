package kmod

import (
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// hostEtc is a host /etc with one instance of every secret EtcSecrets names
// and the ordinary files a jail must keep seeing.
func hostEtc() fstest.MapFS {
	m := fstest.MapFS{
		"passwd":  {Data: []byte("root:x:0:0:root:/root:/bin/bash\n# comment\n+nisuser::::::\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n")},
		"group":   {Data: []byte("root:x:0:\nshadow:x:42:\nwww-data:x:33:\n")},
		"shadow":  {Data: []byte("root:$y$j9T$hash:19000:0:99999:7:::\n")},
		"gshadow": {Data: []byte("root:*::\n")},
	}
	for _, f := range []string{
		"shadow-", "gshadow-", "security/opasswd",
		"ssh/ssh_host_rsa_key", "ssh/ssh_host_ed25519_key", "ssh/ssh_host_rsa_key.pub", "ssh/sshd_config",
		"ssl/private/ssl-cert-snakeoil.key", "ssl/certs/ca-certificates.crt",
		"krb5.keytab", "letsencrypt/live/x/privkey.pem", "wireguard/wg0.conf", "openvpn/client.conf",
		"ipsec.secrets", "ipsec.d/private/k.pem", "NetworkManager/system-connections/wifi.nmconnection",
		"ppp/chap-secrets", "ppp/pap-secrets", "mysql/debian.cnf", "docker/key.json", "machine-id",
		"jails/config.toml", "default/jails", "nginx/nginx.conf", "services", "ld.so.cache",
	} {
		m[f] = &fstest.MapFile{Data: []byte("x")}
	}
	return m
}

func TestPlanEtcHidesEverySecret(t *testing.T) {
	p, err := PlanEtc(hostEtc(), "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	hidden := []string{
		"shadow-", "gshadow-", "security/opasswd", "ssh/ssh_host_rsa_key", "ssh/ssh_host_ed25519_key",
		"ssl/private", "krb5.keytab", "letsencrypt", "wireguard", "openvpn", "ipsec.secrets", "ipsec.d/private",
		"NetworkManager/system-connections", "ppp/chap-secrets", "ppp/pap-secrets", "mysql/debian.cnf",
		"docker/key.json", "jails", "default/jails",
	}
	slices.Sort(hidden)
	if !slices.Equal(p.Hide, hidden) {
		t.Errorf("hidden:\n got %q\nwant %q", p.Hide, hidden)
	}
	for _, keep := range []string{"ssh/ssh_host_rsa_key.pub", "ssh/sshd_config", "ssl/certs", "nginx", "services", "ld.so.cache", "passwd", "group"} {
		for _, h := range p.Hide {
			if Under(h, keep) {
				t.Errorf("%s is hidden (by %s): the jail needs it", keep, h)
			}
		}
	}
	// Every pattern of EtcSecrets is exercised by this host.
	for _, pat := range EtcSecrets {
		generated := slices.ContainsFunc(p.Files, func(f EtcFile) bool { return f.Name == pat })
		if !generated && !slices.ContainsFunc(p.Hide, func(h string) bool { ok, _ := matchPattern(pat, h); return ok }) {
			t.Errorf("secret pattern %q matched nothing in the test's host /etc", pat)
		}
	}
	if !slices.Equal(p.Opaque, []string{"service"}) {
		t.Errorf("opaque: %q, want the host's service directory replaced", p.Opaque)
	}
}

func TestPlanEtcGeneratesLockedShadow(t *testing.T) {
	p, err := PlanEtc(hostEtc(), "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range p.Files {
		files[f.Name] = string(f.Body)
		if f.Name != "machine-id" && f.Mode.Perm()&0o004 != 0 {
			t.Errorf("%s is world-readable (%v)", f.Name, f.Mode)
		}
	}
	if want := "root:*::0:99999:7:::\nwww-data:*::0:99999:7:::\n"; files["shadow"] != want {
		t.Errorf("shadow:\n%s\nwant\n%s", files["shadow"], want)
	}
	if strings.Contains(files["shadow"], "$y$") {
		t.Error("the generated shadow carries a host hash")
	}
	if want := "root:*::\nshadow:*::\nwww-data:*::\n"; files["gshadow"] != want {
		t.Errorf("gshadow:\n%s\nwant\n%s", files["gshadow"], want)
	}
	if files["machine-id"] != "0123456789abcdef0123456789abcdef\n" {
		t.Errorf("machine-id: %q", files["machine-id"])
	}
}

func TestPlanEtcRefusesHugeUserDB(t *testing.T) {
	m := hostEtc()
	m["passwd"] = &fstest.MapFile{Data: make([]byte, maxUserDB+1)}
	if _, err := PlanEtc(m, "x"); err == nil || !strings.Contains(err.Error(), "passwd is larger") {
		t.Fatalf("PlanEtc with a huge passwd: %v", err)
	}
}

func matchPattern(pat, name string) (bool, error) { return path.Match(pat, name) }
