#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# host-check: what can be checked without booting a guest.  Prints TAP
# (plan last) and exits non-zero if any check failed.  Run from tests/
# through "make -C tests host-check", which passes CC, CXX and OUT.

set -u
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
CXX=${CXX:-c++}
OUT=${OUT:-out}
UAPI=-I../include/uapi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0

# check NAME COMMAND...: ok if COMMAND succeeds, else its output as diagnostics
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/log" 2>&1; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/log"
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# build_run OUTPUT COMPILER FLAGS...: compile host/uapi.c, then run it
build_run() {
	exe=$tmp/$1
	shift
	"$@" $UAPI -o "$exe" host/uapi.c && "$exe"
}

# strict COMPILER ARGS...: COMPILER with every warning, and each an error
strict() {
	compiler=$1
	shift
	"$compiler" -Wall -Wextra -pedantic -Werror "$@"
}

check "uapi: builds and runs as C90" \
	build_run c90 strict "$CC" -std=c90 -x c
check "uapi: builds and runs as C99" \
	build_run c99 strict "$CC" -std=c99 -x c
if command -v "$CXX" >/dev/null 2>&1; then
	check "uapi: builds and runs as C++" \
		build_run cxx strict "$CXX" -std=c++11 -x c++
else
	skip "uapi: builds and runs as C++" "no C++ compiler ($CXX)"
fi
# Same layout for a 32-bit VMM, where __u64 is only 4-byte aligned.  The
# layout asserts are compile-time, so building is the check; the program
# also runs where the host kernel executes 32-bit binaries (a kernel
# built without IA32 emulation answers "Exec format error").
echo 'int main(void) { return 0; }' >"$tmp/m32.c"
if ! "$CC" -m32 -o "$tmp/m32" "$tmp/m32.c" >/dev/null 2>&1; then
	skip "uapi: same layout with -m32" "no 32-bit toolchain"
elif "$tmp/m32" >/dev/null 2>&1; then
	check "uapi: same layout with -m32" \
		build_run m32 strict "$CC" -m32 -std=c99 -x c
else
	check "uapi: same layout with -m32 (built; host runs no 32-bit code)" \
		strict "$CC" -m32 -std=c99 -x c $UAPI -o "$tmp/m32l" host/uapi.c
fi

harness_matches() {
	GMEM_NO_KMSG=1 "$OUT/host/harness-selftest" >"$tmp/harness.out"
	rc=$?
	[ $rc -eq 1 ] || { echo "exit status $rc, expected 1"; return 1; }
	sed -E 's/\.c:[0-9]+:/.c:N:/' "$tmp/harness.out" |
		diff -u host/harness-selftest.expected -
}
check "harness: reports every kind of outcome as it is" harness_matches

# Every test a program lists is in expected/PROGRAM.list and the other way
# round: a test that vanished (a table entry, a suite) fails here, and so
# does one added without "sh tests/host/lists.sh update".
for p in gmem-selftests gmem-reliability gmem-vmm; do
	check "$p -l lists the tests of expected/$p.list, no more, no fewer" \
		sh host/lists.sh check "$p"
done

# build-kvm's choice of the KVM patch series and its no-fuzz application
# (scripts/kvm/lib/series.sh), against fake series and a fake KVM tree.
check "kvm series: an exact tested-on version gets its series, tested: yes" \
	bash host/kvm-series.sh exact
check "kvm series: another version of a known X.Y gets patches/X.Y, tested: no" \
	bash host/kvm-series.sh untested
check "kvm series: an unknown X.Y fails, naming the version" \
	bash host/kvm-series.sh unknown
check "kvm series: KVM_PATCH_DIR overrides the choice (empty: no patches)" \
	bash host/kvm-series.sh override
check "kvm series: a hunk needing fuzz fails, naming series, patch, version; its patch changes nothing" \
	bash host/kvm-series.sh fuzz
check "kvm series: hunks at an offset apply" \
	bash host/kvm-series.sh offset

if command -v busybox >/dev/null 2>&1; then
	check "guest/init: busybox sh syntax" busybox sh -n guest/init
else
	check "guest/init: sh syntax" sh -n guest/init
fi

# Every shell script in the tree, found by its #! line or .sh, shellcheck -x
# clean in the dialect it names (scripts/check-shell).
if command -v shellcheck >/dev/null 2>&1; then
	check "shellcheck -x clean over every shell script (scripts/check-shell)" \
		../scripts/check-shell
else
	skip "shellcheck -x clean over every shell script (scripts/check-shell)" \
		"no shellcheck"
fi

# run_tests on a machine without gmem (this one: modules are never loaded
# on a build host) runs nothing and says so the kselftest way.
run_tests_skips() {
	tools/gmem-run-tests >"$tmp/run-tests.out"
	rc=$?
	cat "$tmp/run-tests.out"
	[ $rc -eq 4 ] || { echo "exit status $rc, expected 4"; return 1; }
	grep -qx '1\.\.0 # SKIP .*' "$tmp/run-tests.out"
}
if [ -e /dev/gmem ]; then
	skip "run_tests without gmem: skips, exit status 4" "gmem is loaded here"
else
	check "run_tests without gmem: skips, exit status 4" run_tests_skips
fi

# The documentation (scripts/docs): kernel-doc comments of every source and
# header, the man pages, and Documentation/ built by Sphinx, each clean.
docs=../scripts/docs
if [ ! -r /usr/src/linux-source-6.1.tar.xz ]; then
	skip "kernel-doc -none -v clean over module/ and include/" "no linux-source-6.1 (kernel-doc)"
	skip "Documentation/ builds with Sphinx, warnings as errors" "no linux-source-6.1 (kernel-doc)"
else
	check "kernel-doc -none -v clean over module/ and include/" "$docs" kernel-doc
	if command -v sphinx-build >/dev/null 2>&1; then
		check "Documentation/ builds with Sphinx, warnings as errors" \
			"$docs" html "$tmp/htmldocs"
	else
		skip "Documentation/ builds with Sphinx, warnings as errors" "no sphinx-build (python3-sphinx)"
	fi
fi
if command -v mandoc >/dev/null 2>&1; then
	check "man pages: mandoc -Tlint clean" "$docs" man
else
	skip "man pages: mandoc -Tlint clean" "no mandoc"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
