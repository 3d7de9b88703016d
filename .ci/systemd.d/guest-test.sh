#!/bin/bash
# Runs as root inside the systemd test guest (see .ci/systemd-test): systemd
# is PID 1, cgroup v2 only. Prints one line per check and a closing
# "systemd-test: N passed, N failed".
set -u
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
pass=0 fail=0
ok()  { pass=$((pass+1)); echo "ok - $*"; }
bad() { fail=$((fail+1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() { echo "systemd-test: $pass passed, $fail failed"; exit 0; }

P=/payload
install -m 755 $P/jailctl $P/jinit $P/jails-collector /usr/local/sbin/
ln -sf jailctl /usr/local/sbin/jls; ln -sf jailctl /usr/local/sbin/jexec
cp $P/jail@.service $P/jails-collector.service $P/jails.target /etc/systemd/system/
systemctl daemon-reload

echo "# kernel $(uname -r), $(systemctl --version | head -1), cgroup $(stat -fc %T /sys/fs/cgroup)"
check "systemd is PID 1" test "$(cat /proc/1/comm)" = systemd
check "the unified hierarchy only, with memory, cpu and pids" \
  sh -c 'test "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs && grep -qw memory /sys/fs/cgroup/cgroup.controllers && grep -qw pids /sys/fs/cgroup/cgroup.controllers'

mkdir -p /root/svc/idle /root/svc/slow
printf '#!/bin/sh\nexec sleep 1000000\n' > /root/svc/idle/run
# A service that takes 2 s to be ready (s6-style notification on fd 3).
printf '#!/bin/sh\nsleep 2\necho >&3\nexec sleep 1000000\n' > /root/svc/slow/run
echo 3 > /root/svc/slow/notification-fd
chmod +x /root/svc/*/run

# --- a jail under jail@.service, with limits -------------------------------
jailctl create web --services /root/svc --memory 64Mi --cpus 0.5 --pids 40 > /dev/null
t0=$(date +%s%N)
check "systemctl start jail@web" systemctl start jail@web
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
systemctl is-active -q jail@web || journalctl -u jail@web --no-pager | tail -20 | sed 's/^/# /'
check "readiness reached systemd: start returned after the slow service was ready (${ms} ms)" test "$ms" -ge 2000
check "jail@web is active" systemctl is-active -q jail@web
check "every service ready when systemctl start returns" sh -c '! jailctl status web | awk "NR>1 && \$7 != \"yes\"" | grep -q .'
check "TasksMax=infinity" test "$(systemctl show -P TasksMax jail@web)" = infinity
unitcg=/sys/fs/cgroup$(systemctl show -P ControlGroup jail@web)
jcg=$unitcg/jails/web
echo "# unit cgroup $unitcg"
check "jailctl moved into the unit's supervisor leaf" grep -q "jailctl" <(xargs -r -I{} cat /proc/{}/comm < $unitcg/supervisor/cgroup.procs)
check "the unit's cgroup holds no process of its own" test -z "$(cat $unitcg/cgroup.procs)"
check "controllers enabled down to the jail" sh -c "grep -qw memory $jcg/cgroup.controllers && grep -qw cpu $jcg/cgroup.controllers && grep -qw pids $jcg/cgroup.controllers"
check "memory.max is 64Mi" test "$(cat $jcg/memory.max)" = 67108864
check "cpu.max is 0.5 CPU" test "$(cat $jcg/cpu.max)" = "50000 100000"
check "pids.max is 40" test "$(cat $jcg/pids.max)" = 40
check "jinit runs in the jail's cgroup" grep -qx jinit <(xargs -r -I{} cat /proc/{}/comm < $jcg/cgroup.procs)
# Enforcement, not only the files: each limit stops what goes past it.
jexec web sh -c 'head -c 200M /dev/zero | tail > /dev/null'; rc=$?
check "the memory limit kills a 200M allocation (exit $rc)" test "$rc" -ne 0
check "memory.events counts the OOM kill" sh -c "awk '\$1==\"oom_kill\" && \$2>0' $jcg/memory.events | grep -q ."
out=$(jexec web sh -c 'for i in $(seq 60); do sleep 30 & done 2>&1; wait' 2>&1)
check "the pids limit refuses the 41st task" grep -qi "fork\|resource\|retry" <<<"$out"
jexec web sh -c 'timeout 3 sh -c "while :; do :; done"'
check "the CPU limit throttles a busy loop" sh -c "awk '\$1==\"nr_throttled\" && \$2>0' $jcg/cpu.stat | grep -q ."
systemd-cgls --no-pager -u jail@web.service > /tmp/cgls 2>&1
sed 's/^/# /' /tmp/cgls
check "systemd-cgls shows the jail's tree (supervisor, jails/web, jinit, sleep)" \
  sh -c 'grep -q supervisor /tmp/cgls && grep -q "jails" /tmp/cgls && grep -q jinit /tmp/cgls && grep -q "sleep 1000000" /tmp/cgls'
check "systemctl stop jail@web" systemctl stop jail@web
check "jail@web is inactive" sh -c '! systemctl is-active -q jail@web'
jailctl status web > /dev/null; rc=$?
check "jailctl status exits 3 for the stopped jail" test "$rc" = 3
check "nothing left of the jail's cgroup" test ! -e "$jcg"

# A service that never becomes ready fails systemctl start.
mkdir -p /root/bad/never
printf '#!/nonexistent/interpreter\n' > /root/bad/never/run; chmod +x /root/bad/never/run
jailctl create broken --services /root/bad > /dev/null
check "systemctl start fails when the services do not start" sh -c '! timeout 120 systemctl start jail@broken'
systemctl reset-failed jail@broken 2>/dev/null

# --- jails started outside a unit -------------------------------------------
jailctl create sess --services /root/svc --memory 32Mi > /dev/null
jailctl create fromsvc --services /root/svc > /dev/null
# From a login session that is then ended (loginctl terminate-session, as
# logind does at logout with KillUserProcesses=yes): everything in the
# session's scope is killed, as a process left there shows.
rm -f /tmp/session-id
jailctl create prov > /dev/null
runuser -l root -c 'jailctl --debug start sess 2> /tmp/start-debug; echo true | jailctl apply prov - > /dev/null; echo $XDG_SESSION_ID > /tmp/session-id; exec sleep 1000001' &
for i in $(seq 100); do [ -s /tmp/session-id ] && break; sleep 0.2; done
sed 's/^/# /' /tmp/start-debug
sid=$(cat /tmp/session-id 2>/dev/null)
echo "# login session ${sid:-none}: $(ps -o cgroup= -C sleep | grep session | head -1)"
check "the jail was started from a login session" test -n "$sid"
loginctl terminate-session "$sid"
for i in $(seq 50); do loginctl show-session "$sid" > /dev/null 2>&1 || break; sleep 0.2; done
sleep 1
check "ending the session killed what it held" sh -c '! pgrep -f "sleep 100000[1]" > /dev/null'
check "the jail outlived the session" jailctl status sess
check "a jail apply started from the session outlived it too" sh -c 'jailctl status prov > /dev/null && systemctl is-active -q jail-prov.scope'
check "the jail runs in its own scope jail-sess.scope" systemctl is-active -q jail-sess.scope
scg=/sys/fs/cgroup$(systemctl show -P ControlGroup jail-sess.scope)
check "the scope is in system-jail.slice, with the limit below it" sh -c "case $scg in */system-jail.slice/jail-sess.scope) test \$(cat $scg/jails/sess/memory.max) = 33554432;; *) false;; esac"
# From a unit that ends (a cron job, a provisioning run): its cgroup is
# killed when it ends; the jail is not in it.
systemd-run --quiet --wait --unit=provision -p KillMode=control-group jailctl start fromsvc > /dev/null
check "the jail outlived the unit that started it" jailctl status fromsvc
check "jexec by JID into it" test "$(jexec "$(jls -j fromsvc jid)" id -un)" = root
jailctl stop sess fromsvc prov > /dev/null
sleep 1
check "the scopes are gone once their jails stop" sh -c '! systemctl is-active -q jail-sess.scope && ! systemctl is-active -q jail-fromsvc.scope'

# --- the sandboxed collector ------------------------------------------------
check "systemctl start jails-collector" systemctl start jails-collector
mkdir -p /root/lsvc/talk
printf '#!/bin/sh\nwhile :; do echo hello-from-the-jail; sleep 0.2; done\n' > /root/lsvc/talk/run; chmod +x /root/lsvc/talk/run
jailctl create talker --services /root/lsvc > /dev/null
jailctl start talker
# The emulated guest is slow: give the collector up to 30 s to find the jail.
for i in $(seq 30); do grep -rqs hello-from-the-jail /var/log/jails/talker/ && break; sleep 1; done
check "the sandboxed collector writes the jail's logs" grep -rq hello-from-the-jail /var/log/jails/talker/
grep -rqs hello-from-the-jail /var/log/jails/talker/ || { ls -laR /var/log/jails/talker; jailctl status talker; journalctl -u jails-collector --no-pager | tail -20; } 2>&1 | sed 's/^/# /'
check "the sandboxed collector serves metrics" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9750 && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && grep -q "^jails_jail_uptime_seconds" <&3'
echo "# collector address file: $(cat /run/jails/collector.addr 2>&1)"
for i in $(seq 30); do jailctl stats --json talker | grep -q '"cpu_10s": [0-9]' && break; sleep 1; done
check "jailctl stats finds the collector (its 10 s CPU figure) without flags" sh -c 'jailctl stats --json talker | grep -q "\"cpu_10s\": [0-9]"'
check "the collector is still running" systemctl is-active -q jails-collector
# A low jail's root writes to jinit's console behind jinit's cap: the
# sandboxed collector (no capabilities) rotates console.log all the same.
jailctl create loud --profile low --services /root/lsvc > /dev/null
printf "\n[logs]\nrotate_size = '4K'\nkeep = 2\n" >> /var/lib/jails/loud/jail.toml
jailctl start loud
jailctl exec loud sh -c "head -c 300000 /dev/zero | tr '\\0' x >> /proc/1/fd/2"
for i in $(seq 30); do [ "$(stat -c %s /var/log/jails/loud/console.log)" -le 4096 ] && break; sleep 1; done
check "the sandboxed collector rotates a jail's console.log" sh -c '[ "$(stat -c %s /var/log/jails/loud/console.log)" -le 4096 ] && ls /var/log/jails/loud/console.log.* > /dev/null'
ls -la /var/log/jails/loud/ | sed 's/^/# /'
jailctl stop loud > /dev/null
journalctl -u jails-collector --no-pager | tail -5 | sed 's/^/# /'
jailctl stop talker > /dev/null
systemctl stop jails-collector
finish
