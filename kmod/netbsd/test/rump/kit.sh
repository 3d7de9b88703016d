#!/bin/sh
# kit.sh: the NetBSD 8.99.25 rump kit (../shared/netbsd-rump, beside the
# repository), seen through a private view in the build directory.
#
#	. test/rump/kit.sh	# from kmod/netbsd; sets KIT, VIEW, O
#
# The kit is read-only and is never written to.  Some copies of it carry
# its symbolic links (netbsd/klinks/*, rump/lib/lib*.so*) as small text
# files that name the target; the view makes real links of them, so the
# kit's own build-component.sh and link-and-run.sh, run from the view,
# find machine/*.h and the libraries either way.

ROOT=${ROOT:-$(cd "$(dirname "$0")/../../../.." && pwd -P)}
KIT=${KIT:-$ROOT/../shared/netbsd-rump}
O=${O:-$ROOT/kmod/netbsd/.build/rump}

kit_present() {
	[ -x "$KIT/build-component.sh" ] && [ -x "$KIT/link-and-run.sh" ]
}

# link_to DIR NAME: the target of DIR/NAME, a link or a file naming one.
link_to() {
	if [ -L "$1/$2" ]; then
		readlink "$1/$2"
	elif [ -f "$1/$2" ] && [ "$(wc -c < "$1/$2")" -lt 256 ] &&
	    ! grep -q '[^[:print:]]' "$1/$2" && [ -e "$1/$(cat "$1/$2")" ]; then
		cat "$1/$2"
	fi
}

kit_view() {
	KIT=$(cd "$KIT" && pwd -P)
	VIEW=$O/kit
	rm -rf "$VIEW"
	mkdir -p "$VIEW/netbsd/klinks" "$VIEW/rump/lib"
	for f in build-component.sh link-and-run.sh buildrump; do
		ln -s "$KIT/$f" "$VIEW/$f"
	done
	for f in sys common; do
		ln -s "$KIT/netbsd/$f" "$VIEW/netbsd/$f"
	done
	for f in include libs.txt; do
		ln -s "$KIT/rump/$f" "$VIEW/rump/$f"
	done
	for f in $(ls "$KIT/netbsd/klinks"); do
		t=$(link_to "$KIT/netbsd/klinks" "$f")
		[ -n "$t" ] || { echo "kit: netbsd/klinks/$f: not a link" >&2;
		    return 1; }
		ln -s "$KIT/netbsd/klinks/$t" "$VIEW/netbsd/klinks/$f"
	done
	for f in $(ls "$KIT/rump/lib"); do
		t=$(link_to "$KIT/rump/lib" "$f")
		ln -s "$KIT/rump/lib/${t:-$f}" "$VIEW/rump/lib/$f"
	done
}
