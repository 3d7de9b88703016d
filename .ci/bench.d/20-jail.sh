#!/usr/bin/env bash
# Jail start and stop against unshare+tini and bubblewrap doing the same,
# and the memory a running jail leaves on the host (its jinit: a started
# jail has no keeper)
# against s6 and runit trees supervising the same services.
set -uo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
source "$BENCH_LIB"
trap kill_all_trees EXIT
for c in unshare tini bwrap s6-svscan runsvdir; do
	command -v "$c" >/dev/null || { log "missing $c (apt-get install -y tini bubblewrap s6 runit util-linux)"; exit 1; }
done
REPS=$((BENCH_REPS * 2))
J=$BENCH_BIN/jailctl
state=$BENCH_TMP/state
export JAILS_JINIT=$BENCH_BIN/jinit
jc() { JBENCH_TAG="$BENCH_TAG-jail" "$J" --state-dir "$state" "$@"; }

# One service that execs sleep: ready as soon as it is spawned. unshare and
# bwrap + tini wait for nothing after the spawn, so it opts out of the
# settle window `start` otherwise waits for a service without a readiness
# mechanism (300 ms by default, docs/SERVICES.md): the figures compare the
# jail machinery, not that policy.
svc=$BENCH_TMP/svc
mkdir -p "$svc/idle"
printf '#!/bin/sh\nexec sleep 100000\n' >"$svc/idle/run"
printf 'readiness.settle = "0s"\n' >"$svc/idle/service.toml"
chmod +x "$svc/idle/run"
jc create b1 --services "$svc" >/dev/null
# b0: the same high jail without a user namespace, as a definition made
# before issue 17 starts (no uid_base: no range, no idmapped mounts).
jc create b0 --services "$svc" >/dev/null
sed -i '/^uid_base = /d' "$state/lib/b0/jail.toml"
grep -q '^uid_base' "$state/lib/b1/jail.toml" || { log "b1 has no uid range"; exit 1; }
cleanup() { jc stop b1 >/dev/null 2>&1 || :; jc stop b0 >/dev/null 2>&1 || :; kill_all_trees; }
trap cleanup EXIT

# bwrap composes a root like a jail's: the host's /usr read-only, the
# merged-/usr links, fresh /proc and /dev, new pid/uts/ipc namespaces.
bw=(bwrap --as-pid-1 --unshare-pid --unshare-uts --unshare-ipc --ro-bind /usr /usr --proc /proc --dev /dev --tmpfs /tmp)
for d in bin sbin lib lib32 lib64; do
	if [ -L "/$d" ]; then bw+=(--symlink "$(readlink "/$d")" "/$d"); elif [ -d "/$d" ]; then bw+=(--ro-bind "/$d" "/$d"); fi
done

# The least any Go program costs to start here: one that does nothing,
# built like ours (static, stripped). Two of them and a service's exec are
# the floor of a start run by a Go jailctl and a Go jinit, whatever they do.
mkdir -p "$BENCH_TMP/empty"
printf 'module empty\n\ngo 1.21\n' >"$BENCH_TMP/empty/go.mod"
printf 'package main\n\nfunc main() {}\n' >"$BENCH_TMP/empty/main.go"
(cd "$BENCH_TMP/empty" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o empty .) || { log "cannot build the empty Go program"; exit 1; }

ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'; }
for ((i = 1; i <= REPS; i++)); do
	t0=$EPOCHREALTIME; jc start b1 >/dev/null; t1=$EPOCHREALTIME
	jc stop b1 >/dev/null; t2=$EPOCHREALTIME
	echo "start $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	echo "stop $(ms "$t1" "$t2")" >>"$BENCH_TMP/t.dat"
	t0=$EPOCHREALTIME; jc start b0 >/dev/null 2>&1; t1=$EPOCHREALTIME
	jc stop b0 >/dev/null
	echo "start-nouserns $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	t0=$EPOCHREALTIME; unshare --pid --fork --mount --uts --ipc --mount-proc tini -- true; t1=$EPOCHREALTIME
	echo "unshare $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	t0=$EPOCHREALTIME; "${bw[@]}" tini -- true; t1=$EPOCHREALTIME
	echo "bwrap $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	# What one process start costs here: a C program, and our two Go
	# programs doing nothing (usage on -h). A start runs jailctl and then
	# jinit, then the service's shell: their sum is the floor of the design.
	t0=$EPOCHREALTIME; /bin/true; t1=$EPOCHREALTIME
	echo "true $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	t0=$EPOCHREALTIME; "$BENCH_TMP/empty/empty"; t1=$EPOCHREALTIME
	echo "empty-go $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	t0=$EPOCHREALTIME; "$J" -h >/dev/null 2>&1; t1=$EPOCHREALTIME
	echo "jailctl-h $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
	t0=$EPOCHREALTIME; "$BENCH_BIN/jinit" -h >/dev/null 2>&1; t1=$EPOCHREALTIME
	echo "jinit-h $(ms "$t0" "$t1")" >>"$BENCH_TMP/t.dat"
done
log "start/stop: $REPS rounds done"
col() { awk -v k="$1" '$1 == k { print $2 }' "$BENCH_TMP/t.dat" | stats; }
read -r s_med s_p90 _ <<<"$(col start)"
read -r sn_med sn_p90 _ <<<"$(col start-nouserns)"
read -r p_med p_p90 _ <<<"$(col stop)"
read -r u_med u_p90 _ <<<"$(col unshare)"
read -r b_med b_p90 _ <<<"$(col bwrap)"
read -r tr_med tr_p90 _ <<<"$(col true)"
read -r eg_med eg_p90 _ <<<"$(col empty-go)"
read -r jc_med jc_p90 _ <<<"$(col jailctl-h)"
read -r ji_med ji_p90 _ <<<"$(col jinit-h)"
floor=$(awk -v c="$jc_med" -v j="$ji_med" -v t="$tr_med" 'BEGIN { printf "%.2f", c + j + t }')
floor_go=$(awk -v g="$eg_med" -v t="$tr_med" 'BEGIN { printf "%.2f", 2 * g + t }')
verdict_start=$(awk -v s="$s_med" -v u="$u_med" 'BEGIN { print (s <= 2 * u ? "**met**" : "**not met**") }')

# Memory on the host of a running jail with N services: jinit (everything
# jailctl leaves behind), against s6 and runit trees.
mem_rows=()
for n in 1 10; do
	rm -rf "$svc"/*
	for ((k = 0; k < n; k++)); do mkdir -p "$svc/s$k"; printf '#!/bin/sh\nexec sleep 100000\n' >"$svc/s$k/run"; chmod +x "$svc/s$k/run"; done
	jc destroy --force "m$n" >/dev/null 2>&1 || :
	jc create "m$n" --services "$svc" >/dev/null
	jc start "m$n" >/dev/null
	sleep 2
	rt=$state/run/m$n/state.json
	jp=$(sed -n 's/.*"jinit_pid":\([0-9]*\).*/\1/p' "$rt")
	read -r jrss jpss _ <<<"$(mem_of "$jp")"
	jc stop "m$n" >/dev/null
	for kind in s6 runit; do
		d=$BENCH_TMP/$kind-$n
		mkdir -p "$d"
		for ((k = 0; k < n; k++)); do mkdir -p "$d/s$k"; printf '#!/bin/sh\nexec sleep 100000\n' >"$d/s$k/run"; chmod +x "$d/s$k/run"; done
		# shellcheck disable=SC2046
		tree_start "$kind-$n" $(supervisor_cmd "$kind" "$d" "$kind-$n")
		wait_comm "$TREE_PID" sleep "$n" 30
		sleep 2
		mapfile -t pids < <(sup_pids "$kind" "$TREE_PID")
		read -r rss pss _ <<<"$(mem_of "${pids[@]}")"
		eval "${kind}_rss=$rss ${kind}_pss=$pss"
		tree_kill "$TREE_PID" "$kind-$n"
	done
	mem_rows+=("| $n | $(kb2mb "$jpss") | $(kb2mb "$s6_pss") | $(kb2mb "$runit_pss") | $(ratio "$jpss" "$s6_pss") | $(kb2mb "$jrss") | $(kb2mb "$s6_rss") | $(kb2mb "$runit_rss") |")
done

cat <<MD
## Jail start and stop

\`jailctl start\` of a jail with one service (\`exec sleep\`, ready when spawned), from
the command's start until it returns (jinit reported the service ready), and
\`jailctl stop\` until it returns (nothing of the jail left), against the same
isolation done by \`unshare --pid --fork --mount --uts --ipc --mount-proc tini -- true\`
and \`bwrap --unshare-pid --unshare-uts --unshare-ipc --ro-bind /usr /usr --proc /proc --dev /dev ... tini -- true\`,
interleaved, $REPS rounds, wall time in ms (bash \`\$EPOCHREALTIME\`).

| what | median ms | p90 ms | ratio to unshare+tini |
|---|---|---|---|
| jailctl start (to ready), high, in its user namespace | $s_med | $s_p90 | $(ratio "$s_med" "$u_med") |
| jailctl start, the same jail without a user namespace (as before issue 17) | $sn_med | $sn_p90 | $(ratio "$sn_med" "$u_med") |
| jailctl stop | $p_med | $p_p90 | $(ratio "$p_med" "$u_med") |
| unshare + tini -- true | $u_med | $u_p90 | 1.00× |
| bwrap + tini -- true | $b_med | $b_p90 | $(ratio "$b_med" "$u_med") |
| \`/bin/true\` (one exec of a C program) | $tr_med | $tr_p90 | $(ratio "$tr_med" "$u_med") |
| an empty Go program (\`func main() {}\`, static) | $eg_med | $eg_p90 | $(ratio "$eg_med" "$u_med") |
| \`jailctl -h\` (one start of jailctl, a Go program) | $jc_med | $jc_p90 | $(ratio "$jc_med" "$u_med") |
| \`jinit -h\` (one start of jinit) | $ji_med | $ji_p90 | $(ratio "$ji_med" "$u_med") |
| floor of any start by two Go programs: 2 × empty Go + true | $floor_go | | $(ratio "$floor_go" "$u_med") |
| floor of the design: jailctl + jinit + true | $floor | | $(ratio "$floor" "$u_med") |

Target (issue 5): median start-to-ready within 2× of the unshare + tini line,
same run: $s_med ms against 2 × $u_med ms: $verdict_start.

The first two rows are issue 17's user namespace: the same high jail,
with and without one, interleaved in the same rounds (the same binaries; the
second's definition has no \`uid_base\`, as definitions made before issue 17).
The difference is the uid and gid maps, the trees jailctl prepares for the
stage (idmapped base and mounts, the writable directories, sent over a
socket) and the stage's composing from them.

A start runs two Go programs one after the other — jailctl, which builds
the jail and clones jinit into it, and jinit (the stage that composes the
root, then PID 1) — and the service's shell. Nothing is left on the host
once the command has returned but jinit: a started jail has no keeper
(issue 22; \`jailctl run\` keeps its jail in the foreground instead). The
*floor* rows add up what starting the programs costs on this machine
before any of them does any work; the empty Go program's start is the Go
runtime's own (its page faults cost tens of µs each on this virtual
machine), not ours.
docs/ARCHITECTURE.md ("Where a jail's start goes") breaks the rest down.

### Host memory of a running jail

PSS (from smaps_rollup) of what supervises N \`sleep\` services: the jail's
jinit, all a started jail leaves on the host, against the whole s6-svscan +
s6-supervise tree and runsvdir + runsv tree. One sample each, 2 s after
start. One jail runs at a time, so jinit's file-backed pages (its binary,
most of its PSS) count in full; the jinits of several jails share them.

| services | jail: jinit PSS | s6 tree PSS | runit tree PSS | jail/s6 | jail RSS | s6 RSS | runit RSS |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${mem_rows[@]}")
MD
