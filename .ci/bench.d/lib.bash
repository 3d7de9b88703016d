# Helpers shared by the .ci/bench.d/*.sh sections (sourced, not run: the
# driver only runs files named [0-9]*.sh). See the convention in .ci/bench.
#
# Every process tree a section starts gets JBENCH_TAG=$BENCH_TAG-<name> in
# its environment; supervisors pass their environment on to services, so
# even an orphan of a killed tree can be found again and killed by tag.

BENCH_REPS=${BENCH_REPS:-5}
: "${BENCH_TMP:?run me through .ci/bench}" "${BENCH_TAG:?}" "${BENCH_BIN:?}"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# stats: numbers on stdin, one a line -> "median p90 min max n" (p90 is the
# nearest rank, ceil(0.9 n)); "- - - - 0" when there are none.
stats() {
	sort -g | awk '{a[NR]=$1}
	END {
		n = NR; if (n == 0) { print "- - - - 0"; exit }
		med = (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
		i = int(0.9 * n); if (i < 0.9 * n) i++
		print med, a[i], a[1], a[n], n
	}'
}

# ratio A B: A/B as "0.42×", "-" when either is missing or B is 0.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) { print "-"; exit }
		r = a / b; printf (r < 10 ? "%.2f×" : "%.0f×"), r
	}'
}

# kb2mb KB -> "1.23 MB" (10^6 bytes, as the reference notes use).
kb2mb() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.2f MB", k * 1024 / 1e6 }'; }

# descendants ROOT: "pid comm" of every descendant of ROOT (not ROOT).
descendants() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
	{ kids[$2] = kids[$2] " " $1; comm[$1] = $3 }
	END {
		q[1] = root; n = 1
		for (i = 1; i <= n; i++) {
			m = split(kids[q[i]], k, " ")
			for (j = 1; j <= m; j++) { q[++n] = k[j]; print k[j], comm[k[j]] }
		}
	}'
}

# count_comm ROOT COMM: how many descendants of ROOT are named COMM.
count_comm() { descendants "$1" | awk -v c="$2" '$2 == c { n++ } END { print n + 0 }'; }

# wait_comm ROOT COMM N TIMEOUT_S: wait until ROOT has N descendants named COMM.
wait_comm() {
	local deadline=$((SECONDS + $4)) c
	while :; do
		c=$(count_comm "$1" "$2")
		((c >= $3)) && return 0
		if ((SECONDS >= deadline)) || ! kill -0 "$1" 2>/dev/null; then
			log "timeout: $c of $3 '$2' under pid $1"
			return 1
		fi
		if (($3 >= 100)); then sleep 0.5; else sleep 0.2; fi # ps is not free
	done
}

# sup_pids KIND ROOT: the supervision processes of a tree (not the services).
sup_pids() {
	case $1 in
	s6) echo "$2"; descendants "$2" | awk '$2 == "s6-supervise" { print $1 }' ;;
	runit) echo "$2"; descendants "$2" | awk '$2 == "runsv" { print $1 }' ;;
	*) echo "$2" ;;
	esac
}

# mem_of PID...: "rss_kB pss_kB private_kB" summed (VmRSS from status; Pss
# and Private_Clean+Private_Dirty from smaps_rollup).
mem_of() {
	local p st=() sm=() rss
	for p; do st+=("/proc/$p/status") sm+=("/proc/$p/smaps_rollup"); done
	rss=$(awk '/^VmRSS:/ { s += $2 } END { print s + 0 }' "${st[@]}")
	awk -v rss="$rss" '/^Pss:/ { p += $2 } /^Private_(Clean|Dirty):/ { q += $2 }
		END { print rss, p + 0, q + 0 }' "${sm[@]}"
}

# ctx_of PID...: voluntary + nonvoluntary context switches summed over every
# thread of every PID (a Go program has several threads; /proc/PID/status
# alone counts only the main one).
ctx_of() {
	local p files=()
	for p; do files+=(/proc/"$p"/task/*/status); done
	awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }' "${files[@]}"
}

TREES=()

# tree_start NAME CMD...: start CMD in its own session with JBENCH_TAG set;
# sets TREE_PID. Output goes to $BENCH_TMP/NAME.log.
tree_start() {
	local name=$1
	shift
	if [ -n "${NEVER:-}" ]; then # a descriptor of the harness's own: not for the tree
		JBENCH_TAG="$BENCH_TAG-$name" setsid "$@" </dev/null >"$BENCH_TMP/$name.log" 2>&1 {NEVER}>&- &
	else
		JBENCH_TAG="$BENCH_TAG-$name" setsid "$@" </dev/null >"$BENCH_TMP/$name.log" 2>&1 &
	fi
	TREE_PID=$!
	TREES+=("$TREE_PID:$name")
}

# supervisor_cmd KIND DIR NAME: the command line that supervises scan dir DIR.
supervisor_cmd() {
	case $1 in
	jinit) echo "$BENCH_BIN/jinit --services $2 --control $BENCH_TMP/$3.sock" ;;
	s6) echo "s6-svscan $2" ;;
	runit) echo "runsvdir $2" ;;
	*) log "unknown supervisor $1"; return 1 ;;
	esac
}

# tag_pids TAG: every live process whose environment has JBENCH_TAG=TAG.
tag_pids() {
	grep -lzx -- "JBENCH_TAG=$1" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
}

# tree_kill PID NAME: SIGKILL the tree (root and descendants in one sweep,
# then anything left with its tag) and reap the root.
tree_kill() {
	local root=$1 name=$2 pids i t
	pids=$(descendants "$root" | awk '{ print $1 }')
	kill -KILL "$root" $pids 2>/dev/null
	wait "$root" 2>/dev/null
	for i in 1 2 3 4 5; do
		pids=$(tag_pids "$BENCH_TAG-$name")
		[ -z "$pids" ] && break
		kill -KILL $pids 2>/dev/null
		sleep 0.1
	done
	local keep=()
	for t in "${TREES[@]}"; do [ "$t" != "$root:$name" ] && keep+=("$t"); done
	TREES=("${keep[@]}")
}

# kill_all_trees [PREFIX]: every tree (whose name starts with PREFIX); the
# EXIT trap calls it without argument.
kill_all_trees() {
	local t
	for t in "${TREES[@]}"; do
		[[ ${t#*:} == "${1:-}"* ]] && tree_kill "${t%%:*}" "${t#*:}"
	done
	return 0
}
