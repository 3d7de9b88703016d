#!/usr/bin/env bash
# The repository's Go benchmarks (every Benchmark* function), -count
# $BENCH_REPS, reported as medians. Run by .ci/bench.
set -uo pipefail
# shellcheck source=lib.bash
source "$BENCH_LIB"
cd "$BENCH_ROOT" || exit 1

raw=$BENCH_TMP/go-bench.txt
# The committed Benchmark* functions ("PKG NAME" lines), and only their
# packages: other packages' TestMain (which may build binaries) would run
# for nothing, and a developer's scratch benchmark in the work tree is not
# part of the record. Outside a git checkout, every *_test.go counts.
if files=$(git ls-files '*_test.go' 2>/dev/null) && [ -n "$files" ]; then :; else
	files=$(find . -name '*_test.go' -not -path './.*')
fi
# shellcheck disable=SC2086
grep -H '^func Benchmark[A-Z0-9_]' $files 2>/dev/null |
	sed -E 's|^(\./)?([^:]*)/[^/:]*:func (Benchmark[A-Za-z0-9_]*).*|./\2 \3|' | sort -u >"$BENCH_TMP/benchmarks"
# A section that runs a package's benchmarks itself (interleaved, with its
# own tables) says so with a line "# bench-covers-go: ./pkg ..."; those
# packages are left out here rather than run twice.
mapfile -t covered < <(sed -n 's/^# bench-covers-go: *//p' "$BENCH_ROOT"/.ci/bench.d/[0-9]*.sh | tr ' ' '\n' | sed '/^$/d')
pkgs=() names=()
while read -r p name; do
	skip=0
	for c in "${covered[@]}"; do [ "${c%/}" = "$p" ] && skip=1; done
	[ $skip = 1 ] && continue
	[[ " ${pkgs[*]} " == *" $p "* ]] || pkgs+=("$p")
	names+=("$name")
done <"$BENCH_TMP/benchmarks"
if [ ${#pkgs[@]} -eq 0 ]; then
	printf '## Go benchmarks\n\nNo Benchmark* functions in the module outside the packages covered above.\n\n'
	exit 0
fi
re="^($(IFS='|'; echo "${names[*]}"))\$"
cmd=(go test -run '^$' -bench "$re" -count "$BENCH_REPS" -timeout 6m "${pkgs[@]}")
log "${cmd[*]}"
"${cmd[@]}" >"$raw" 2>&1
rc=$?

cat <<EOF
## Go benchmarks

Every committed \`Benchmark*\` function of the module, as root on this machine:
\`${cmd[*]}\`. Median, min and max of the ${BENCH_REPS} runs of each
benchmark, for every metric it reports. What each one measures is in its doc comment.$(
	[ ${#covered[@]} -gt 0 ] && printf '\nPackages with a section of their own above are left out: %s.' "${covered[*]}")

| package | benchmark | metric | median | min | max | n |
|---|---|---|---:|---:|---:|---:|
EOF
# Lines: "pkg: P" then "BenchmarkX/sub-2  N  V1 U1  V2 U2 ...".
awk '
	/^pkg: / { pkg = $2; sub(/^github\.com\/jailsproject\/jails\//, "", pkg) }
	/^Benchmark/ && NF >= 4 {
		name = $1; sub(/-[0-9]+$/, "", name)
		for (i = 3; i + 1 <= NF; i += 2) print pkg "\t" name "\t" $(i+1) "\t" $i
	}' "$raw" >"$BENCH_TMP/go.tsv"
# keys in order of first appearance
awk -F'\t' '!seen[$1 FS $2 FS $3]++ { print $1 FS $2 FS $3 }' "$BENCH_TMP/go.tsv" |
	while IFS=$'\t' read -r pkg name unit; do
		read -r med _ min max n < <(awk -F'\t' -v p="$pkg" -v b="$name" -v u="$unit" \
			'$1 == p && $2 == b && $3 == u { print $4 }' "$BENCH_TMP/go.tsv" | stats)
		echo "| $pkg | $name | $unit | $med | $min | $max | $n |"
	done
echo
if [ $rc -ne 0 ]; then
	echo "\`go test\` exited $rc; its failing lines:"
	echo
	echo '```'
	grep -E '^(--- FAIL|FAIL|panic|#)|cannot|error' "$raw" | head -n 30
	echo '```'
	echo
	exit 1
fi
