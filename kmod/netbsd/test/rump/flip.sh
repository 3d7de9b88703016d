#!/bin/sh
# flip.sh: the harness must fail on a broken module.  Each mutation
# below breaks one rule in a copy of the sources (a sed on the copy in
# the build directory; the sources in the repository are not touched),
# builds it as a rump component and runs the harness, which must exit
# non-zero.  Run by run.sh flip, which sets KIT, VIEW, O, MOD and HERE.

set -eu
: "${VIEW:?run through run.sh flip}"

# name|file|sed expression
MUTATIONS='
chroot-allowed|jail_policy.c|s/SYS(CHROOT, M)/SYS(CHROOT, N)/
cross-jail-open|jail_policy.c|s/return target == s->js_jail ? JP_DEFER : JP_DENY;/return JP_DEFER;/
port-owner-ignored|jail_policy.c|s/other = port_held_by_other(t, port, mask, s->js_jail, NULL);/other = 0;/
cred-hook-defers|secmodel_jail.c|s/return KAUTH_RESULT_ALLOW;/return KAUTH_RESULT_DEFER;/
autoassign-not-steered|jail_policy.c|s/return other != 0 ? JP_DENY : JP_DEFER;/return JP_DEFER;/
enter-unchrooted|jail_policy.c|s/if (!chrooted)/if (0)/
enter-leaks-cred|secmodel_jail.c|s/proc_crmod_leave(ocred, ncred, false);/proc_crmod_leave(ocred, NULL, false);/
raw-socket-open|secmodel_jail.c|s/return JP_NET_SOCKET_RAWSOCK;/return JP_NET_SOCKET_OPEN;/
'

tests=
for t in jailtest.c jailtest_ctl.c jailtest_sys.c jailtest_net.c; do
	tests="$tests $HERE/$t"
done

rc=0
echo "$MUTATIONS" | while IFS='|' read -r name file expr; do
	[ -n "$name" ] || continue
	src=$O/flip/$name/src
	out=$O/flip/$name/out
	rm -rf "$O/flip/$name"
	mkdir -p "$src"
	cp "$MOD"/*.c "$MOD"/*.h "$MOD"/Makefile "$HERE/credcount.c" "$src/"
	sed "$expr" "$MOD/$file" > "$src/$file"
	if cmp -s "$MOD/$file" "$src/$file"; then
		echo "flip: $name: the mutation no longer applies to $file"
		exit 1
	fi
	if ! SRCS=$HSRCS DRIFT=0 "$VIEW/build-component.sh" "$src" "$out" \
	    > "$out.log" 2>&1; then
		cat "$out.log"
		echo "flip: $name: the mutated module does not build"
		exit 1
	fi
	# shellcheck disable=SC2086
	if "$VIEW/link-and-run.sh" "$out" $tests > "$out.run" 2>&1; then
		echo "flip: $name: the harness PASSED a broken module" \
		    "($out.run)"
		exit 1
	fi
	s=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out.run" | tail -1 ||
	    true)
	p=$(grep -c -e 'panic:' "$out.run" || true)
	if [ -n "$s" ]; then
		what="$(echo "$s" | sed 's/ passed, / passed, /'):"
		what="$what $(grep '^FAIL' "$out.run" | head -1 | cut -c6-)"
	elif [ "$p" -gt 0 ]; then
		what="kernel $(grep -m1 'panic:' "$out.run" | sed 's/^.*panic/panic/')"
	else
		what="no summary (exit status non-zero)"
	fi
	echo "flip: $name: harness fails as it must ($what)"
done
