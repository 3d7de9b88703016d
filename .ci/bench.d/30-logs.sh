#!/usr/bin/env bash
# Log throughput end to end: a service's stdout in a real jail, through
# jinit's capture and the host collector, into the store; against s6-log
# (`s6-log t`) and svlogd (`svlogd -tt`) fed by the same producer in the
# same run. Run by .ci/bench.
set -uo pipefail
export LC_ALL=C
[ -n "${BENCH_TRACE:-}" ] && set -x
source "$BENCH_LIB"
for c in s6-log svlogd; do
	command -v "$c" >/dev/null || { log "missing $c (apt-get install -y s6 runit)"; exit 1; }
done
[ -x "$BENCH_BIN/jailctl" ] && [ -x "$BENCH_BIN/jinit" ] || { log "missing $BENCH_BIN/jailctl or jinit (make build)"; exit 1; }

LINES=${BENCH_LOG_LINES:-2000000} # of 100 bytes
REPS=$((BENCH_REPS < 3 ? 3 : BENCH_REPS))
J=$BENCH_BIN/jailctl
state=$BENCH_TMP/state
export JAILS_JINIT=$BENCH_BIN/jinit
jc() { JBENCH_TAG="$BENCH_TAG-jail" "$J" --state-dir "$state" "$@"; }
cleanup() { jc stop lb >/dev/null 2>&1; kill_all_trees; }
trap cleanup EXIT
trap 'exit 143' TERM INT

# The producer's data: LINES lines of 100 bytes ("%08d " + 90 x + newline).
data=$BENCH_TMP/data
mkdir -p "$data"
awk -v n="$LINES" 'BEGIN { p = sprintf("%90s", ""); gsub(/ /, "x", p); for (i = 0; i < n; i++) printf "%08d %s\n", i, p }' >"$data/lines"
bytes=$(stat -c %s "$data/lines")
log "producer: $LINES lines, $bytes bytes"

# waittail FILE MARK: prints the time (s, CLOCK_REALTIME) at which FILE
# (by path: it is rotated) ends with MARK and a newline. A C loop polling
# every 0.5 ms: forking stat would cost more than what it measures.
cat >"$BENCH_TMP/waittail.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	size_t n = strlen(argv[2]);
	char want[256], buf[256];
	if (n + 1 > sizeof want) return 2;
	memcpy(want, argv[2], n); want[n++] = '\n';
	for (long i = 0; i < 240000; i++) {
		int fd = open(argv[1], O_RDONLY);
		if (fd >= 0) {
			off_t end = lseek(fd, 0, SEEK_END);
			if (end >= (off_t)n && pread(fd, buf, n, end - n) == (ssize_t)n && memcmp(buf, want, n) == 0) {
				struct timespec t;
				clock_gettime(CLOCK_REALTIME, &t);
				printf("%ld.%09ld\n", (long)t.tv_sec, t.tv_nsec);
				return 0;
			}
			close(fd);
		}
		usleep(500);
	}
	return 1;
}
C
gcc -O2 -o "$BENCH_TMP/waittail" "$BENCH_TMP/waittail.c" || { log "gcc failed"; exit 1; }

# The jail: one service that, on each trigger, writes the data and a mark.
svc=$BENCH_TMP/svc
mkdir -p "$svc/p"
cat >"$svc/p/run" <<'SH'
#!/bin/sh
while :; do
	while [ ! -e /tmp/go ]; do sleep 0.005; done
	read -r rep </tmp/go
	rm -f /tmp/go
	cat /data/lines
	echo "DONE $rep"
done
SH
chmod +x "$svc/p/run"
jc create lb --services "$svc" --mount "$data:/data:ro" >/dev/null || exit 1
printf '\n[logs]\nrotate_size = "16M"\nkeep = 20\n' >>"$state/lib/lb/jail.toml"
tree_start collector "$J" --state-dir "$state" collector --listen 127.0.0.1:0 --poll 100ms --rotate-size 16M --keep 20
CP=$TREE_PID
jc start lb >/dev/null || exit 1
current=$state/log/lb/p/current
for i in $(seq 100); do [ -e "$state/log/lb/.collector.json" ] && break; sleep 0.1; done
JP=$(sed -n 's/.*"jinit_pid":\([0-9]*\).*/\1/p' "$state/run/lb/state.json")

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # user + system, clock ticks
HZ=$(getconf CLK_TCK)
TIMEFORMAT='%R %U %S'
raw=$BENCH_TMP/logs.dat
for ((r = 1; r <= REPS; r++)); do
	c0=$(ticks "$CP") j0=$(ticks "$JP")
	t0=$EPOCHREALTIME
	echo "$r" >"$state/lib/lb/rw/tmp/go.new" && mv "$state/lib/lb/rw/tmp/go.new" "$state/lib/lb/rw/tmp/go"
	t1=$("$BENCH_TMP/waittail" "$current" " stdout F DONE $r") || { log "jails: rep $r did not complete"; exit 1; }
	c1=$(ticks "$CP") j1=$(ticks "$JP")
	echo "jails $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(((c1 - c0) + (j1 - j0))) $((c1 - c0)) $((j1 - j0))" >>"$raw"

	for kind in s6 svlogd; do
		d=$BENCH_TMP/$kind
		rm -rf "$d" && mkdir -p "$d"
		if [ $kind = s6 ]; then
			t=$( { time (cat "$data/lines" | s6-log t n20 s16777215 "$d"); } 2>&1)
		else
			printf 's16777215\nn20\n' >"$d/config"
			t=$( { time (cat "$data/lines" | svlogd -tt "$d"); } 2>&1)
		fi
		read -r real user sys <<<"$t"
		echo "$kind $real $(awk -v u="$user" -v s="$sys" -v hz="$HZ" 'BEGIN { printf "%d", (u + s) * hz }') - -" >>"$raw"
		rm -rf "$d"
	done
	log "rep $r: $(tail -n 3 "$raw" | tr '\n' ';')"
done

# Check that the store has every line of the last rep, in order.
stored=$(awk -v r="$REPS" '
	$2 == "stdout" && $4 == "DONE" { if ($5 == r - 1) { on = 1; n = 0; next } if ($5 == r) { print n; exit } }
	on && $2 == "stdout" { if ($4 + 0 != n) { print "gap at " n; exit } n++ }' \
	$(ls "$state/log/lb/p/"@*.log 2>/dev/null) "$current")
[ "$stored" = "$LINES" ] || log "WARNING: the store holds $stored lines of the last rep, want $LINES"

med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$raw" | stats | cut -d' ' -f1; }
secs() { awk -v k="$1" '$1 == k { print $2 }' "$raw" | stats | awk '{ printf "%.3f %.3f\n", $1, $2 }'; }
read -r j_med j_p90 <<<"$(secs jails)"
read -r s_med s_p90 <<<"$(secs s6)"
read -r v_med v_p90 <<<"$(secs svlogd)"
lps() { awk -v t="$1" -v n="$LINES" 'BEGIN { printf "%.2f M", n / t / 1e6 }'; }
mbs() { awk -v t="$1" -v b="$bytes" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }
cpu() { awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'; }
permil() { awk -v t="$1" -v hz="$HZ" -v n="$LINES" 'BEGIN { printf "%.3f", t / hz / (n / 1e6) }'; }
j_cpu=$(med jails 3) s_cpu=$(med s6 3) v_cpu=$(med svlogd 3)
col_cpu=$(med jails 4) jin_cpu=$(med jails 5)
met="not met"
awk -v a="$j_med" -v b="$s_med" 'BEGIN { exit !(a <= b) }' && met="met"

cat <<MD
## Log throughput: a service's stdout to the store

$LINES lines of 100 bytes ($bytes bytes, \`%08d\` and 90 \`x\`) written by \`cat\`
of one file, $REPS rounds, interleaved, median wall time from the start of the
write until the last line is on disk:

- **jails**: a real jail (\`jailctl create lb --services ... --mount DATA:/data:ro\`,
  \`[logs] rotate_size = "16M", keep = 20\`) whose service runs \`cat /data/lines\`
  when triggered; jinit captures its stdout, \`jailctl collector --rotate-size 16M --keep 20\`
  stores it. Timed from the trigger until the store's \`current\` ends with the line
  the service writes after the data (a C loop polling the file every 0.5 ms).
  Stored lines are CRI lines, \`2006-01-02T15:04:05.000000000Z stdout F TEXT\` (140 bytes).
- **s6-log t**: \`cat lines | s6-log t n20 s16777215 DIR\` (TAI64N stamps), until it exits.
- **svlogd -tt**: \`cat lines | svlogd -tt DIR\` with \`s16777215\` and \`n20\` in \`DIR/config\`, until it exits.

| pipeline | median s | p90 s | lines/s | MB/s | vs s6-log t | CPU s |
|---|---|---|---|---|---|---|
| jails (jinit + collector) | $j_med | $j_p90 | $(lps "$j_med") | $(mbs "$j_med") | $(ratio "$s_med" "$j_med") | $(cpu "$j_cpu") |
| s6-log t (cat + s6-log) | $s_med | $s_p90 | $(lps "$s_med") | $(mbs "$s_med") | 1.00× | $(cpu "$s_cpu") |
| svlogd -tt (cat + svlogd) | $v_med | $v_p90 | $(lps "$v_med") | $(mbs "$v_med") | $(ratio "$s_med" "$v_med") | $(cpu "$v_cpu") |

"vs s6-log t" is throughput relative to s6-log (higher is faster). CPU is per
round: jinit plus the collector for jails (the producer's \`cat\` not counted),
\`cat\` plus the logger for the others.

Collector CPU per million lines: **$(permil "$col_cpu") s** (jinit: $(permil "$jin_cpu") s per million).

Target (issue 7): end-to-end lines per second at least s6-log t's, same run: **$met**.

MD
