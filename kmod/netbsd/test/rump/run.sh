#!/bin/sh
# run.sh: secmodel_jail in a NetBSD 8.99.25 rump kernel, with the kit at
# ../shared/netbsd-rump beside the repository (KIT= overrides).
#
#	test/rump/run.sh strict		# -Werror builds, DRIFT=0 and DRIFT=1
#	test/rump/run.sh harness	# the harness on both builds
#	test/rump/run.sh flip		# broken policies must fail the harness
#
# Outputs go to kmod/netbsd/.build/rump (O=); the kit is only read.  Each
# mode prints one line per result; the harness prints its own
# "N passed, N failed".  Exit status 0 only if everything held.

set -eu
HERE=$(cd "$(dirname "$0")" && pwd -P)
MOD=$(cd "$HERE/../.." && pwd -P)
ROOT=$(cd "$MOD/../.." && pwd -P)
. "$HERE/kit.sh"
TESTS="jailtest.c jailtest_ctl.c jailtest_sys.c jailtest_net.c"

if ! kit_present; then
	echo "rump: skipped: no rump kit at $KIT (../shared/netbsd-rump" \
	    "beside the repository)"
	exit 0
fi
mkdir -p "$O"
kit_view

# build SRC OUT DRIFT [SRCS]: the module as a rump component, warnings
# fatal.
build() {
	if ! SRCS=${4:-} DRIFT=$3 EXTRA_CFLAGS=-Werror \
	    "$VIEW/build-component.sh" "$1" "$2" > "$2.log" 2>&1; then
		cat "$2.log"
		echo "build of $1 (DRIFT=$3) failed"
		return 1
	fi
}

# with_counter SRC DIR: a copy of the module's sources in DIR plus the
# test-only credential counter (credcount.c); prints the SRCS to build.
HSRCS="secmodel_jail.c jail_policy.c credcount.c"
with_counter() {
	rm -rf "$2"
	mkdir -p "$2"
	cp "$1"/*.c "$1"/*.h "$1"/Makefile "$HERE/credcount.c" "$2/"
}

# harness OUT: link the harness to the component in OUT and run it.
harness() {
	tests=
	for t in $TESTS; do
		tests="$tests $HERE/$t"
	done
	# shellcheck disable=SC2086
	TEST_CFLAGS="-g -O0 -Wall -Wextra -Werror" \
	    "$VIEW/link-and-run.sh" "$1" $tests > "$1.run" 2>&1
}

summary() {
	grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1
}

# nbcheck: the harness's NetBSD constants (nbconst.h) against the kit.
nbcheck() {
	${CC:-gcc} -fsyntax-only -std=gnu99 -m64 -nostdinc -ffreestanding \
	    -Wall -Werror -I"$VIEW/netbsd/klinks" \
	    -I"$KIT/netbsd/common/include" -I"$KIT/netbsd/sys" \
	    -U__linux__ -U__linux -Ulinux -U__gnu_linux__ -D__NetBSD__ \
	    -D_KERNEL "$HERE/nbcheck.c"
}

case ${1:-} in
strict)
	for d in 0 1; do
		build "$MOD" "$O/strict$d" "$d"
		echo "strict: secmodel_jail.c and jail_policy.c build with" \
		    "-Werror against NetBSD 8.99.25 headers (DRIFT=$d)"
	done
	with_counter "$MOD" "$O/csrc"
	build "$O/csrc" "$O/strictc" 0 "$HSRCS"
	echo "strict: test/rump/credcount.c builds with -Werror too"
	nbcheck
	echo "strict: the harness's NetBSD constants (nbconst.h) match" \
	    "NetBSD 8.99.25's headers"
	;;
harness)
	rc=0
	with_counter "$MOD" "$O/hsrc"
	for d in 0 1; do
		build "$O/hsrc" "$O/drift$d" "$d" "$HSRCS"
		if harness "$O/drift$d"; then r=0; else r=$?; fi
		s=$(summary "$O/drift$d.run")
		if [ "$d" = 0 ]; then
			grep -v -e '^+ ' -e 'could not find strtab' \
			    "$O/drift0.run"
		else
			grep -e '^FAIL' -e 'panic' "$O/drift$d.run" || true
			echo "DRIFT=1: ${s:-no summary}"
		fi
		[ "$r" = 0 ] && [ -n "$s" ] || { echo "harness (DRIFT=$d)" \
		    "failed, status $r: $O/drift$d.run"; rc=1; }
	done
	exit $rc
	;;
flip)
	export KIT VIEW O MOD HERE HSRCS
	"$HERE/flip.sh"
	;;
*)
	echo "usage: $0 strict|harness|flip" >&2
	exit 2
	;;
esac
