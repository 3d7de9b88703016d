#!/usr/bin/env bash
# Cost of bind(2) with the eBPF port programs attached against without
# (issue 6): kmod/ports' BenchmarkBind and BenchmarkBindSocketClose, setups
# interleaved round-robin in the same run, medians. Run by .ci/bench.
set -uo pipefail
export LC_ALL=C
# shellcheck source=lib.bash
source "$BENCH_LIB"
cd "$BENCH_ROOT" || exit 1

REPS=$((BENCH_REPS < 5 ? 5 : BENCH_REPS))
N=${BENCH_BIND_N:-64000} # binds per benchmark run (in batches of 64)
bin=$BENCH_TMP/ports.test
raw=$BENCH_TMP/bind.txt

log "go test -c -o $bin ./kmod/ports"
CGO_ENABLED=0 go test -c -o "$bin" ./kmod/ports || exit 1

# run SETUP REP: one process per setup and repetition, so that the order of
# the setups rotates; both benchmarks of a setup run back to back.
run() {
	local setup=$1 rep=$2 out
	out=$(JBENCH_TAG="$BENCH_TAG-bind" "$bin" -test.run '^$' \
		-test.bench "^Benchmark(Bind|BindSocketClose)\$/^$setup\$" -test.benchtime "${N}x" 2>&1) || {
		log "ports.test ($setup, rep $rep) failed:"
		printf '%s\n' "$out" >&2
		return 1
	}
	# "BenchmarkBind/none-2  64000  2416 ns/op ..." -> "rep bench setup ns"
	printf '%s\n' "$out" | awk -v rep="$rep" '/^Benchmark/ {
		split($1, a, "/"); sub(/-[0-9]+$/, "", a[2]); print rep, a[1], a[2], $3 }' >>"$raw"
}

setups=(none jail host)
: >"$raw"
for ((rep = 1; rep <= REPS; rep++)); do
	for ((k = 0; k < 3; k++)); do
		s=${setups[$(((rep + k) % 3))]}
		log "rep $rep/$REPS: $s"
		run "$s" "$rep" || exit 1
	done
done
log "program run time (BPF_ENABLE_STATS), -count 3"
prog=$BENCH_TMP/prog.txt
JBENCH_TAG="$BENCH_TAG-bind" "$bin" -test.run '^$' -test.bench '^BenchmarkBindProgRuntime$' \
	-test.benchtime "${N}x" -test.count 3 >"$prog" 2>&1 || { cat "$prog" >&2; exit 1; }

# med BENCH SETUP -> median ns/op over the repetitions
med() { awk -v b="$1" -v s="$2" '$2 == b && $3 == s { print $4 }' "$raw" | stats | cut -d' ' -f1; }
# delta BENCH SETUP -> "median p_min p_max" of the paired (same repetition) differences to none
delta() {
	awk -v b="$1" -v s="$2" '$2 == b { v[$1, $3] = $4; r[$1] = 1 }
		END { for (i in r) if ((i, s) in v && (i, "none") in v) print v[i, s] - v[i, "none"] }' "$raw" |
		stats | awk '{ print $1, $3, $4 }'
}
# spread BENCH -> max - min of the baseline over the repetitions
spread() { awk -v b="$1" '$2 == b && $3 == "none" { print $4 }' "$raw" | stats | awk '{ print $4 - $3 }'; }
progmed() {
	awk -v s="$1" '$1 ~ "^BenchmarkBindProgRuntime/" s "-" { print $5 }' "$prog" | stats | cut -d' ' -f1
}
fmt() { awk -v x="$1" 'BEGIN { if (x == "-") print "-"; else printf "%+.0f", x }'; }

read -r bj bj_lo bj_hi < <(delta BenchmarkBind jail)
read -r bh bh_lo bh_hi < <(delta BenchmarkBind host)
read -r sj sj_lo sj_hi < <(delta BenchmarkBindSocketClose jail)
read -r sh sh_lo sh_hi < <(delta BenchmarkBindSocketClose host)
sbc_none=$(med BenchmarkBindSocketClose none)
sbc_noise=$(spread BenchmarkBindSocketClose)
worst_bind=$(awk -v a="$bj" -v b="$bh" 'BEGIN { print (a > b ? a : b) }')
worst_sbc=$(awk -v a="$sj" -v b="$sh" 'BEGIN { print (a > b ? a : b) }')
verdict_bind=$(awk -v d="$worst_bind" 'BEGIN { print (d < 500 ? "**met**" : "**not met**") }')
verdict_sbc=$(awk -v d="$worst_sbc" -v n="$sbc_noise" 'BEGIN {
	print (d <= n ? "**met** (within the baseline'"'"'s run-to-run spread)" : "**not met** (larger than the baseline'"'"'s run-to-run spread)") }')

cat <<EOF
## bind(2) with the eBPF port programs

What jail port ownership (\`kmod/ports\`, issue 6) costs a \`bind(2)\`. The package's benchmarks run
a helper process in a test cgroup that binds TCP sockets to 127.0.0.1 with SO_REUSEADDR, $N
binds per run in batches of 64, and reports the median batch in ns per operation:

- \`none\`: no program attached anywhere (the helper in a bare cgroup);
- \`jail\`: a guard attached as jailctl attaches it since issue 17 (with the host-private
  ports' connect and sendmsg programs, which a bind does not run, and the port in
  \`ip_local_reserved_ports\`), the helper in the jail binding the jail's own port: the jail
  program (map hit, the privileged-port grant) and the host program both run their full path
  (map hit, cgroup check);
- \`host\`: a guard attached, the helper in a sibling cgroup binding an unreserved port: only
  the host program on the cgroup2 root runs (map miss) — what every bind on the host pays per
  jail with reserved ports.

\`bind(2)\` alone times binds of sockets made beforehand; socket+bind+close times the three
together. Each setup runs in its own process, $REPS repetitions, the order of the setups
rotating every repetition (same run, interleaved). Medians of the repetitions; "paired Δ" is
the median (min..max) of the per-repetition differences to \`none\`. Commands:

\`\`\`
CGO_ENABLED=0 go test -c -o ports.test ./kmod/ports
ports.test -test.run '^\$' -test.bench '^Benchmark(Bind|BindSocketClose)\$/^SETUP\$' -test.benchtime ${N}x   # SETUP rotating none, jail, host; × $REPS
ports.test -test.run '^\$' -test.bench '^BenchmarkBindProgRuntime\$' -test.benchtime ${N}x -test.count 3
\`\`\`

### Targets (issue 6), measured and not asserted

| target | measured | verdict |
|---|---|---|
| < 0.5 µs added per bind | jail $(fmt "$bj") ns, host $(fmt "$bh") ns (paired medians) | $verdict_bind |
| no measurable change for socket+bind+close | jail $(fmt "$sj") ns, host $(fmt "$sh") ns on $sbc_none ns; baseline spread $sbc_noise ns | $verdict_sbc |

### ns per operation

| operation | none | jail | host | paired Δ jail | paired Δ host |
|---|---:|---:|---:|---:|---:|
| bind(2) | $(med BenchmarkBind none) | $(med BenchmarkBind jail) | $(med BenchmarkBind host) | $(fmt "$bj") ($(fmt "$bj_lo")..$(fmt "$bj_hi")) | $(fmt "$bh") ($(fmt "$bh_lo")..$(fmt "$bh_hi")) |
| socket+bind+close | $sbc_none | $(med BenchmarkBindSocketClose jail) | $(med BenchmarkBindSocketClose host) | $(fmt "$sj") ($(fmt "$sj_lo")..$(fmt "$sj_hi")) | $(fmt "$sh") ($(fmt "$sh_lo")..$(fmt "$sh_hi")) |
| programs' own run time per bind (BPF_ENABLE_STATS) | – | $(progmed jail) | $(progmed host) | | |

The program run time is the kernel's accounting of the programs alone (it includes the
statistics' own two clock reads per run and leaves out the cost of invoking them). Every
further jail with reserved ports adds one host program, so a host bind pays the \`host\` delta
once per such jail.

EOF
