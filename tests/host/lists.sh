#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lists.sh check|update: the tests each TAP program lists (PROGRAM -l)
# against expected/PROGRAM.list, which pins them in the repository
# (scripts/check counts on them, scripts/lib/expected.sh).
#
#   check PROGRAM   diff, and fail when the program lists a test the file
#                   lacks or lacks one it has (host-check runs this)
#   update          rewrite every expected/*.list from the programs, after
#                   adding or removing tests on purpose; commit them
#
# Run from tests/ (sh host/lists.sh ...); builds the programs first.

set -u
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-out}
PROGRAMS="gmem-selftests gmem-reliability gmem-vmm"

# make all: incremental, so the lists are the sources' own
built() {
	${MAKE:-make} -s all >/dev/null
}

# list PROGRAM: its tests, one "suite: name" a line, whatever GMEM_TESTS says
list() {
	env -u GMEM_TESTS "$OUT/bin/$1" -l | grep -v '^#'
}

case "${1:-}" in
check)
	[ $# -eq 2 ] || { echo "usage: lists.sh check PROGRAM" >&2; exit 2; }
	built || exit 1
	tmp=$(mktemp) || exit 2
	trap 'rm -f "$tmp"' EXIT
	list "$2" >"$tmp" || exit 1
	diff -u "expected/$2.list" "$tmp" && exit 0
	echo "(-: in expected/$2.list, no longer in $2; +: new in $2)"
	echo "on purpose? sh tests/host/lists.sh update, and commit tests/expected/"
	exit 1
	;;
update)
	built || exit 1
	for p in $PROGRAMS; do
		list "$p" >"expected/$p.list" || exit 1
		echo "expected/$p.list: $(wc -l <"expected/$p.list") tests"
	done
	;;
*)
	echo "usage: lists.sh check PROGRAM | update" >&2
	exit 2
	;;
esac
