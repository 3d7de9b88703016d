#!/usr/bin/env bash
# A jail against the container runtimes a user would pick instead (crun and
# runc, Debian's), doing the same thing: `sleep` as the one process in new
# pid, mount, uts and ipc namespaces, the host's /usr /bin /lib* read-only,
# the host's network; start to running, start + stop to nothing left, and
# what stays on the host while it runs. Issue 22's targets are reported as
# met or not met.
set -uo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
source "$BENCH_LIB"
trap kill_all_trees EXIT
for c in crun runc unshare nsenter tini bwrap; do
	command -v "$c" >/dev/null || { log "missing $c (apt-get install -y crun runc tini bubblewrap util-linux)"; exit 1; }
done
REPS=$((BENCH_REPS * 3))
J=$BENCH_BIN/jailctl
state=$BENCH_TMP/state
export JAILS_JINIT=$BENCH_BIN/jinit
jc() { JBENCH_TAG="$BENCH_TAG-jail" "$J" --state-dir "$state" "$@"; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'; }

svc=$BENCH_TMP/svc
mkdir -p "$svc/idle"
printf '#!/bin/sh\nexec sleep 100000\n' >"$svc/idle/run"
# Started once spawned, as crun's and runc's run -d return once the
# process runs (no settle window: docs/SERVICES.md).
printf 'readiness.settle = "0s"\n' >"$svc/idle/service.toml"
chmod +x "$svc/idle/run"

# The OCI bundle: a read-only root of the host's top-level links and binds
# of its directories, /proc, a tmpfs /dev; no network namespace.
bundle=$BENCH_TMP/bundle
mkdir -p "$bundle/rootfs"
binds=""
for d in usr bin sbin lib lib32 lib64 libx32; do
	if [ -L "/$d" ]; then
		ln -s "$(readlink "/$d")" "$bundle/rootfs/$d"
	elif [ -d "/$d" ]; then
		mkdir -p "$bundle/rootfs/$d"
		binds="$binds, {\"destination\": \"/$d\", \"type\": \"bind\", \"source\": \"/$d\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"nodev\"]}"
	fi
done
mkdir -p "$bundle/rootfs/proc" "$bundle/rootfs/dev"
cat >"$bundle/config.json" <<JSON
{
  "ociVersion": "1.0.2",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/usr/bin/sleep", "100000"],
    "env": ["PATH=/usr/bin:/bin"], "cwd": "/", "noNewPrivileges": true},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "bench",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=1m"]}$binds],
  "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]}
}
JSON

# The same bundle in a user namespace of its own, 65536 ids mapped as a
# medium or high jail has them (the default jail, b1, is high): the like for
# like of a default jail. The mapped root only passes through the bench's
# directories as "other", so they are made traversable (not listable).
bundle_u=$BENCH_TMP/bundle-u
mkdir -p "$bundle_u"
ln -s ../bundle/rootfs "$bundle_u/rootfs"
sed 's/{"type": "mount"}]}/{"type": "mount"}, {"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1879048192, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 1879048192, "size": 65536}]}/' \
	"$bundle/config.json" >"$bundle_u/config.json"
chmod o+x "$BENCH_TMP" "$(dirname "$BENCH_TMP")"

# crun refuses a hybrid host whose cgroup2 root offers any controller
# ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"; here hugetlb). It runs in a private mount namespace where
# /sys/fs/cgroup/unified is hidden, so that it sees cgroup v1 alone, entered
# with nsenter; `nsenter true` is timed in the same rounds to show what that
# adds. Where the host is not hybrid this is not needed and not done.
crun_ns=()
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	tree_start crun-ns unshare -m --propagation private sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec sleep 100000'
	for _ in $(seq 50); do
		[ "$(readlink "/proc/$TREE_PID/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && grep -q ' /sys/fs/cgroup/unified tmpfs ' "/proc/$TREE_PID/mounts" && break
		sleep 0.05
	done
	crun_ns=(nsenter "--mount=/proc/$TREE_PID/ns/mnt")
fi
crun=("${crun_ns[@]}" crun --root "$BENCH_TMP/crun-state")
runc=(runc --root "$BENCH_TMP/runc-state")
bw=(bwrap --as-pid-1 --unshare-pid --unshare-uts --unshare-ipc --ro-bind /usr /usr --proc /proc --dev /dev --tmpfs /tmp)
for d in bin sbin lib lib32 lib64; do
	if [ -L "/$d" ]; then bw+=(--symlink "$(readlink "/$d")" "/$d"); elif [ -d "/$d" ]; then bw+=(--ro-bind "/$d" "/$d"); fi
done
cleanup() {
	jc stop --all >/dev/null 2>&1
	for n in $(jc list --json 2>/dev/null | sed -n 's/.*"name": "\([^"]*\)".*/\1/p'); do jc stop "$n" >/dev/null 2>&1; done
	for id in $("${crun[@]}" list -q 2>/dev/null); do "${crun[@]}" delete -f "$id" >/dev/null 2>&1; done
	for id in $("${runc[@]}" list -q 2>/dev/null); do "${runc[@]}" delete -f "$id" >/dev/null 2>&1; done
	command -v podman >/dev/null && for k in $(seq 20); do podman rm -f "jb-pm$k" >/dev/null 2>&1; done
	kill_all_trees
}
trap cleanup EXIT

jc create b1 --services "$svc" >/dev/null || { log "cannot create the bench jail"; exit 1; }
# A low jail has no user namespace: the like for like of the plain bundle.
jc create bl --services "$svc" --profile low >/dev/null || { log "cannot create the low bench jail"; exit 1; }
# One round of each, not timed: caches warm, and each runtime shown to work.
jc start b1 >/dev/null && jc stop b1 >/dev/null || { log "jailctl start/stop failed"; exit 1; }
jc start bl >/dev/null && jc stop bl >/dev/null || { log "jailctl start/stop of a low jail failed"; exit 1; }
"${crun[@]}" run -d --bundle "$bundle" w0 </dev/null >/dev/null 2>"$BENCH_TMP/crun.err" && "${crun[@]}" delete -f w0 >/dev/null ||
	{ log "crun cannot run the bundle: $(tail -1 "$BENCH_TMP/crun.err")"; exit 1; }
"${crun[@]}" run -d --bundle "$bundle_u" wu </dev/null >/dev/null 2>"$BENCH_TMP/crun.err" && "${crun[@]}" delete -f wu >/dev/null ||
	{ log "crun cannot run the bundle in a user namespace: $(tail -1 "$BENCH_TMP/crun.err")"; exit 1; }
"${runc[@]}" run -d --bundle "$bundle" w0 </dev/null >/dev/null 2>"$BENCH_TMP/runc.err" && "${runc[@]}" delete -f w0 >/dev/null ||
	{ log "runc cannot run the bundle: $(tail -1 "$BENCH_TMP/runc.err")"; exit 1; }

for ((i = 1; i <= REPS; i++)); do
	t0=$EPOCHREALTIME; jc start b1 >/dev/null; t1=$EPOCHREALTIME; jc stop b1 >/dev/null; t2=$EPOCHREALTIME
	echo "jail $(ms "$t0" "$t1") $(ms "$t0" "$t2") $(ms "$t1" "$t2")" >>"$BENCH_TMP/r.dat"
	t0=$EPOCHREALTIME; jc start bl >/dev/null; t1=$EPOCHREALTIME; jc stop bl >/dev/null; t2=$EPOCHREALTIME
	echo "jlow $(ms "$t0" "$t1") $(ms "$t0" "$t2") $(ms "$t1" "$t2")" >>"$BENCH_TMP/r.dat"
	t0=$EPOCHREALTIME; "${crun[@]}" run -d --bundle "$bundle_u" u$i </dev/null >/dev/null 2>&1; t1=$EPOCHREALTIME
	"${crun[@]}" kill u$i TERM; "${crun[@]}" delete -f u$i >/dev/null 2>&1; t2=$EPOCHREALTIME
	echo "crunu $(ms "$t0" "$t1") $(ms "$t0" "$t2") $(ms "$t1" "$t2")" >>"$BENCH_TMP/r.dat"
	t0=$EPOCHREALTIME; "${crun[@]}" run -d --bundle "$bundle" c$i </dev/null >/dev/null 2>&1; t1=$EPOCHREALTIME
	"${crun[@]}" kill c$i TERM; "${crun[@]}" delete -f c$i >/dev/null 2>&1; t2=$EPOCHREALTIME
	echo "crun $(ms "$t0" "$t1") $(ms "$t0" "$t2") $(ms "$t1" "$t2")" >>"$BENCH_TMP/r.dat"
	t0=$EPOCHREALTIME; "${runc[@]}" run -d --bundle "$bundle" r$i </dev/null >/dev/null 2>&1; t1=$EPOCHREALTIME
	"${runc[@]}" kill r$i TERM; "${runc[@]}" delete -f r$i >/dev/null 2>&1; t2=$EPOCHREALTIME
	echo "runc $(ms "$t0" "$t1") $(ms "$t0" "$t2") $(ms "$t1" "$t2")" >>"$BENCH_TMP/r.dat"
	t0=$EPOCHREALTIME; unshare --pid --fork --mount --uts --ipc --mount-proc tini -- true; t1=$EPOCHREALTIME
	echo "unshare $(ms "$t0" "$t1") $(ms "$t0" "$t1")" >>"$BENCH_TMP/r.dat"
	t0=$EPOCHREALTIME; "${bw[@]}" tini -- true; t1=$EPOCHREALTIME
	echo "bwrap $(ms "$t0" "$t1") $(ms "$t0" "$t1")" >>"$BENCH_TMP/r.dat"
	if [ ${#crun_ns[@]} -gt 0 ]; then
		t0=$EPOCHREALTIME; "${crun_ns[@]}" true; t1=$EPOCHREALTIME
		echo "nsenter $(ms "$t0" "$t1") $(ms "$t0" "$t1")" >>"$BENCH_TMP/r.dat"
	fi
done
log "runtimes: $REPS rounds done"
col() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$BENCH_TMP/r.dat" | stats; }
for k in jail jlow crun crunu runc unshare bwrap nsenter; do
	read -r med p90 min _ <<<"$(col "$k" 2)"; eval "${k}_s=$med ${k}_s90=$p90 ${k}_smin=$min"
	read -r med p90 _ <<<"$(col "$k" 3)"; eval "${k}_ss=$med ${k}_ss90=$p90"
	read -r med p90 _ <<<"$(col "$k" 4)"; eval "${k}_p=${med:--} ${k}_p90=${p90:--}"
done
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else print (a <= b ? "**met**" : "**not met**") }'; }

# conmon_pss N: PSS of podman's conmon per container with N containers
# running (podman with runc, the cgroupfs manager, the same read-only /usr),
# or why it could not be measured. The hosts here lack CAP_SYS_RESOURCE, so
# podman's default nofile and nproc limits (above the hard ones) cannot be
# set: the containers get lower ones. crun under podman refuses this
# hybrid host as it does alone.
prootfs=$BENCH_TMP/podman-rootfs
conmon_pss() {
	local n=$1 k pids=() rss pss
	command -v podman >/dev/null || { echo "not measured (no podman)"; return; }
	mkdir -p "$prootfs"/{usr,proc,sys,dev,etc,tmp,run}
	for d in bin sbin lib lib32 lib64 libx32; do [ -L "/$d" ] && ln -sfn "$(readlink "/$d")" "$prootfs/$d"; done
	for ((k = 1; k <= n; k++)); do
		podman --cgroup-manager=cgroupfs --runtime runc run -d --rm --name "jb-pm$k" --ulimit nofile=1024:1024 \
			--ulimit nproc=1024:1024 --network host -v /usr:/usr:ro --rootfs "$prootfs" /usr/bin/sleep 100000 \
			>/dev/null 2>"$BENCH_TMP/podman.err" || break
	done
	sleep 2
	mapfile -t pids < <(for p in $(pgrep -x conmon); do grep -q "jb-pm" "/proc/$p/cmdline" 2>/dev/null && ps -o stat= -p "$p" | grep -qv Z && echo "$p"; done)
	if [ "${#pids[@]}" -eq "$n" ]; then
		read -r rss pss _ <<<"$(mem_of "${pids[@]}")"
		echo "$(kb2mb $((pss / n)))"
	else
		echo "not measured ($(tail -1 "$BENCH_TMP/podman.err" | cut -c1-80))"
	fi
	for ((k = 1; k <= n; k++)); do podman rm -f "jb-pm$k" >/dev/null 2>&1; done
}

# Host memory while N environments run: PSS of every process on the host
# that exists because it runs, besides the workload itself. A jail: its
# jinit (a started jail has no keeper). crun and runc: nothing (checked: no process of
# theirs is left once `run -d` returns).
pss_rows=()
for n in 1 20; do
	for ((k = 1; k <= n; k++)); do jc create "m$k" --services "$svc" >/dev/null 2>&1; jc start "m$k" >/dev/null; done
	sleep 2
	pids=()
	for ((k = 1; k <= n; k++)); do
		rt=$state/run/m$k/state.json
		pids+=("$(sed -n 's/.*"jinit_pid":\([0-9]*\).*/\1/p' "$rt")")
	done
	read -r rss pss _ <<<"$(mem_of "${pids[@]}")"
	per=$((pss / n))
	for ((k = 1; k <= n; k++)); do jc stop "m$k" >/dev/null; done
	for ((k = 1; k <= n; k++)); do "${crun[@]}" run -d --bundle "$bundle" m$k </dev/null >/dev/null 2>&1; done
	left=$(ps -eo stat=,comm= | awk '$2 == "crun" && $1 !~ /^Z/' | wc -l) # a zombie holds no memory
	for ((k = 1; k <= n; k++)); do "${crun[@]}" delete -f m$k >/dev/null 2>&1; done
	conmon=$(conmon_pss "$n")
	target=$([ "$n" = 1 ] && echo 4096 || echo 1024)
	pss_rows+=("| $n | $(kb2mb "$per") | $(kb2mb $((rss / n))) | $conmon | 0 MB ($left crun processes left) | $(kb2mb "$target") | $(awk -v p="$per" -v t="$target" 'BEGIN { print (p <= t ? "**met**" : "**not met**") }') |")
done

cat <<MD
## Against crun and runc

The same work in each: \`sleep\` as the one process of new pid, mount, uts
and ipc namespaces with the host's \`/usr\`, \`/bin\`, \`/lib*\` read-only and
the host's network. \`jailctl start\` of a one-service jail (to ready) and
\`jailctl stop\` (to nothing left; the service counts as started once
spawned: \`readiness.settle = "0s"\`); \`crun run -d\` and \`runc run -d\` of an
OCI bundle (to running), then \`kill TERM\` + \`delete -f\`; \`unshare … tini --
true\` and \`bwrap … tini -- true\` for scale. The default jail is \`high\`,
with a user namespace of its own; a \`low\` jail has none. Like for like:
a low jail against the plain bundle, the default jail against the bundle
in a user namespace (65536 ids, as a jail's). Interleaved, $REPS rounds,
wall time in ms (bash \`\$EPOCHREALTIME\`), medians (p90), and the fastest
start of the run.
$([ ${#crun_ns[@]} -gt 0 ] && echo "
crun refuses this hybrid host (its cgroup2 root offers a controller:
\`cgroups in hybrid mode not supported\`), so it runs in a private mount
namespace where \`/sys/fs/cgroup/unified\` is hidden (cgroup v1 only),
entered with \`nsenter\` on every call: the *nsenter* row is what that adds
to each crun call (once to start, twice to stop).")

| what | start ms | p90 | fastest | stop ms | p90 | start + stop ms | p90 | start vs crun |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| jailctl start / stop (default: high) | $jail_s | $jail_s90 | $jail_smin | $jail_p | $jail_p90 | $jail_ss | $jail_ss90 | $(ratio "$jail_s" "$crun_s") |
| jailctl start / stop, a low jail | $jlow_s | $jlow_s90 | $jlow_smin | $jlow_p | $jlow_p90 | $jlow_ss | $jlow_ss90 | $(ratio "$jlow_s" "$crun_s") |
| crun run -d / kill + delete | $crun_s | $crun_s90 | $crun_smin | $crun_p | $crun_p90 | $crun_ss | $crun_ss90 | 1.00× |
| crun, the bundle in a user namespace | $crunu_s | $crunu_s90 | $crunu_smin | $crunu_p | $crunu_p90 | $crunu_ss | $crunu_ss90 | $(ratio "$crunu_s" "$crun_s") |
| runc run -d / kill + delete | $runc_s | $runc_s90 | $runc_smin | $runc_p | $runc_p90 | $runc_ss | $runc_ss90 | $(ratio "$runc_s" "$crun_s") |
| unshare + tini -- true | $unshare_s | $unshare_s90 | $unshare_smin | | | | | $(ratio "$unshare_s" "$crun_s") |
| bwrap + tini -- true | $bwrap_s | $bwrap_s90 | $bwrap_smin | | | | | $(ratio "$bwrap_s" "$crun_s") |
$([ ${#crun_ns[@]} -gt 0 ] && echo "| nsenter --mount true | $nsenter_s | $nsenter_s90 | $nsenter_smin | | | | | |")

Targets (issue 22), same run: start at most crun's: $(verdict "$jail_s" "$crun_s");
never slower than runc: $(verdict "$jail_s" "$runc_s"); stop (to nothing
left) at most crun's kill + delete: $(verdict "$jail_p" "$crun_p"); start +
stop at most crun's: $(verdict "$jail_ss" "$crun_ss").

Like for like, same run: a low jail's start at most the plain bundle's:
$(verdict "$jlow_s" "$crun_s"); the default jail's at most the bundle's in a
user namespace: $(verdict "$jail_s" "$crunu_s"); fastest start against
fastest start (the default jail, plain crun): $(verdict "$jail_smin" "$crun_smin").
On this host crun's start is bimodal (fastest against median above): a
cgroup v1 move takes the kernel's threadgroup lock, whose slow path waits
for an RCU grace period when no other move came just before (strace -T
of a slow start: crun's first write to a v1 \`cgroup.procs\`, 17 ms). A jail
enters its v1 cgroups without it (kmod's EnterV1). On a cgroup v2 host crun
is born in its cgroup and would not pay it: its fastest start is the
likelier figure there.

### Host memory per environment

PSS (smaps_rollup) of what runs on the host because an environment runs,
besides its \`sleep\`: a jail's jinit (a started jail has no keeper: issue
22), summed over N jails and divided by N (its binary's pages are shared
between jails), 2 s after the start; crun and
runc leave no process once \`run -d\` has returned. podman's conmon: the
same \`sleep\` under \`podman run -d --rootfs\` with runc (crun refuses this
hybrid host under podman too), its conmon processes summed and divided by
N; these hosts lack \`CAP_SYS_RESOURCE\`, so podman's default nofile and
nproc limits cannot be set and the containers are given 1024 of each.

| environments | jail PSS each | jail RSS each | podman's conmon PSS each | crun | target (issue 22) | |
|---|---:|---:|---:|---:|---:|---|
$(printf '%s\n' "${pss_rows[@]}")
MD
