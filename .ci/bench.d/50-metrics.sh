#!/usr/bin/env bash
# Metrics endpoint: scrape time of the collector's /metrics with 10 and then
# 50 running jails of 10 services each, and the collector's CPU and memory
# while it is scraped. Run by .ci/bench.
set -uo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
export LC_ALL=C # EPOCHREALTIME with a dot
# shellcheck source=lib.bash
source "$BENCH_LIB"

JAILS=${BENCH_METRICS_JAILS:-50}  # jails at the second step
SVCS=${BENCH_METRICS_SERVICES:-10} # services per jail
SCRAPES=$((BENCH_REPS * 10))       # timed scrapes per step
TARGET_MS=100                      # issue 8: /metrics under 100 ms for 50 × 10

J=$BENCH_BIN/jailctl
[ -x "$J" ] && [ -x "$BENCH_BIN/jinit" ] || { log "missing $J or jinit (make build)"; exit 1; }
command -v curl >/dev/null || { log "missing curl"; exit 1; }
state=$BENCH_TMP/state
export JAILS_JINIT=$BENCH_BIN/jinit
jc() { JBENCH_TAG="$BENCH_TAG-jails" "$J" --state-dir "$state" "$@"; }
cleanup() {
	jc stop --all --timeout 10s >/dev/null 2>&1
	kill_all_trees
}
trap cleanup EXIT
trap 'exit 143' TERM INT

svc=$BENCH_TMP/svc
for ((k = 0; k < SVCS; k++)); do
	mkdir -p "$svc/s$k"
	printf '#!/bin/sh\nexec sleep 100000\n' >"$svc/s$k/run"
done
chmod +x "$svc"/*/run

# start_jails FROM TO: create jFROM..jTO one by one (create picks the next
# free ID), then start them five at a time. They are autostart jails, so
# `stop --all` finds them all at the end.
start_jails() {
	local i pids=()
	for ((i = $1; i <= $2; i++)); do
		jc create "j$i" --autostart --services "$svc" >/dev/null || log "create j$i failed"
	done
	for ((i = $1; i <= $2; i++)); do
		jc start "j$i" >/dev/null &
		pids+=($!)
		if ((${#pids[@]} == 5)); then
			wait "${pids[@]}" # not a bare wait: the collector is a child too
			pids=()
		fi
	done
	((${#pids[@]} == 0)) || wait "${pids[@]}"
}

# The collector, on a loopback port of its choosing (it logs the address).
tree_start collector "$J" --state-dir "$state" collector --listen 127.0.0.1:0
col_pid=$TREE_PID
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/.*serving HTTP: addr=\([0-9.:]*\).*/\1/p' "$BENCH_TMP/collector.log" | head -n1)
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { log "the collector did not start: $(cat "$BENCH_TMP/collector.log")"; exit 1; }
log "collector $col_pid on $addr"

# cpu_ticks PID: utime + stime in clock ticks (100 per second).
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
jinit_cpu() { curl -s "http://$addr/metrics" | awk '/^jails_jinit_cpu_seconds_total/ { s += $2 } END { printf "%.3f\n", s }'; }

# measure STEP N: SCRAPES timed scrapes of /metrics, back to back, with the
# collector's CPU over them; then the same for one jail's endpoint.
measure() {
	local step=$1 n=$2 i t0 t1 c0 c1 w0 w1 j0 j1 body
	for _ in $(seq 300); do
		[ "$(curl -s "http://$addr/metrics" | awk '$1 == "jails_running" { print $2 }')" = "$n" ] && break
		sleep 0.2
	done
	body=$(curl -s "http://$addr/metrics")
	echo "$step series $(grep -c '^jails_' <<<"$body")" >>"$BENCH_TMP/m.dat"
	echo "$step bytes $(wc -c <<<"$body")" >>"$BENCH_TMP/m.dat"
	sleep 2 # let the 1 Hz CPU sampler fill a little
	j0=$(jinit_cpu)
	c0=$(cpu_ticks "$col_pid") w0=$EPOCHREALTIME
	for ((i = 0; i < SCRAPES; i++)); do
		curl -s -o /dev/null -w "$step scrape %{time_total}\n" "http://$addr/metrics" >>"$BENCH_TMP/m.dat"
	done
	c1=$(cpu_ticks "$col_pid") w1=$EPOCHREALTIME
	j1=$(jinit_cpu)
	echo "$step cpu_ms_per_scrape $(awk -v a="$c0" -v b="$c1" -v n="$SCRAPES" 'BEGIN { printf "%.2f", (b - a) * 10 / n }')" >>"$BENCH_TMP/m.dat"
	echo "$step cpu_pct $(awk -v a="$c0" -v b="$c1" -v s="$w0" -v e="$w1" 'BEGIN { printf "%.1f", (b - a) / (e - s) }')" >>"$BENCH_TMP/m.dat"
	echo "$step jinit_ms_per_scrape $(awk -v a="$j0" -v b="$j1" -v n="$((SCRAPES + 1))" 'BEGIN { printf "%.3f", (b - a) * 1000 / n / '"$n"' }')" >>"$BENCH_TMP/m.dat"
	echo "$step rss_kb $(rss_kb "$col_pid")" >>"$BENCH_TMP/m.dat"
	for ((i = 0; i < SCRAPES; i++)); do
		curl -s -o /dev/null -w "$step one %{time_total}\n" "http://$addr/jails/j1/metrics" >>"$BENCH_TMP/m.dat"
	done
	# Between scrapes: only the 1 Hz CPU sampler runs (it stops 5 min
	# after the last scrape).
	c0=$(cpu_ticks "$col_pid") w0=$EPOCHREALTIME
	sleep 10
	c1=$(cpu_ticks "$col_pid") w1=$EPOCHREALTIME
	echo "$step idle_cpu_pct $(awk -v a="$c0" -v b="$c1" -v s="$w0" -v e="$w1" 'BEGIN { printf "%.2f", (b - a) / (e - s) }')" >>"$BENCH_TMP/m.dat"
	log "$step: $n jails measured"
}

log "starting 10 jails × $SVCS services"
start_jails 1 10
measure s10 10
log "starting $((JAILS - 10)) more"
start_jails 11 "$JAILS"
measure s50 "$JAILS"
hwm=$(hwm_kb "$col_pid")

get() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k { print $3 }' "$BENCH_TMP/m.dat" | stats; }
ms() { local med p90; read -r med p90 _ <<<"$(get "$1" "$2")"; awk -v a="$med" -v b="$p90" 'BEGIN { printf "%.1f / %.1f", a * 1000, b * 1000 }'; }
one() { get "$1" "$2" | awk '{ print $1 }'; }
read -r m50 _ <<<"$(get s50 scrape)"
m50ms=$(awk -v a="$m50" 'BEGIN { printf "%.1f", a * 1000 }')
met="not met"
awk -v a="$m50ms" -v t="$TARGET_MS" 'BEGIN { exit !(a < t) }' && met=met

cat <<EOF
## Metrics endpoint (50-metrics)

\`jailctl collector --listen 127.0.0.1:0\` over one instance with 10, then $JAILS running jails
of $SVCS services each (\`exec sleep\`); $SCRAPES scrapes back to back with
\`curl -s -o /dev/null -w %{time_total} http://ADDR/metrics\`, then as many of
\`/jails/j1/metrics\`. Each scrape reads every jail's cgroup and asks its jinit for
its metrics over the control socket (up to 16 jails at a time). The collector's CPU is
utime+stime from \`/proc/PID/stat\` over the scrape loop. It includes the log collection
it also does, which is none here, since the services are silent. Its RSS is read after
the loop. "Idle" is 10 s without scrapes, while the 1 Hz CPU sampler still runs. jinit
CPU is the growth of \`jails_jinit_cpu_seconds_total\` summed over the jails, per jail
and scrape.

| | 10 jails | $JAILS jails |
|---|---:|---:|
| \`/metrics\` scrape, median / p90 (ms) | $(ms s10 scrape) | $(ms s50 scrape) |
| \`/jails/j1/metrics\` scrape, median / p90 (ms) | $(ms s10 one) | $(ms s50 one) |
| series (\`jails_*\`) per scrape | $(one s10 series) | $(one s50 series) |
| response size (bytes) | $(one s10 bytes) | $(one s50 bytes) |
| collector CPU per scrape (ms, over all the scrapes) | $(one s10 cpu_ms_per_scrape) | $(one s50 cpu_ms_per_scrape) |
| collector CPU while scraped back to back (% of one CPU) | $(one s10 cpu_pct) | $(one s50 cpu_pct) |
| collector CPU between scrapes (% of one CPU) | $(one s10 idle_cpu_pct) | $(one s50 idle_cpu_pct) |
| collector RSS after the scrapes | $(kb2mb "$(one s10 rss_kb)") | $(kb2mb "$(one s50 rss_kb)") |
| jinit CPU per jail and scrape (ms, over all the scrapes) | $(one s10 jinit_ms_per_scrape) | $(one s50 jinit_ms_per_scrape) |

Collector peak RSS (VmHWM) over the run: $(kb2mb "$hwm").
Target (issue 8): \`/metrics\` under ${TARGET_MS} ms with 50 jails × 10 services. The
median here is ${m50ms} ms ($(ratio "$m50ms" "$TARGET_MS") of the target): **${met}**$([ "$JAILS" = 50 ] || echo " (this run had $JAILS jails)").

EOF
