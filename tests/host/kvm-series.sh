#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvm-series.sh CASE|all: scripts/kvm/lib/series.sh, build-kvm's choice of
# the KVM patch series and its no-fuzz application, against fake series and
# a tiny fake KVM tree in a temporary directory: no apt, no chroot, no
# kernel.  host/check.sh runs each CASE as one check; on failure it says
# what it expected and what it got.
#
#   exact     a version a tested-on lists: that series, "tested: yes"
#   untested  another version of a known major.minor: patches/<mm>,
#             "tested: no", said on stderr
#   unknown   an unknown major.minor: an error naming the version
#   override  KVM_PATCH_DIR, whatever the version
#   fuzz      a patch one of whose hunks applies only with fuzz: an error
#             naming the series, the patch and the version, and the tree
#             holding exactly the patches before it
#   offset    hunks that apply only at an offset: applied
#
# The fake series (under $t/kvm/patches, as scripts/kvm/patches):
#   6.12        tested on 6.12.117-1 and 6.12.118-1 (6.12.120-1 only in a
#               comment); 0001 and 0002, which needs 0001, and a README
#   6.12-other  tested on 6.12.119-1
#   7.2         tested on 7.2.13-1 and 7.2.14-10
#   6.14        no tested-on file
# 0001 changes line 10 of virt/kvm/guest_memfd.c (60 lines "int line_N;");
# 0002 changes line 11 (its context has 0001's line 10) and line 50, and
# creates virt/kvm/gmem_provider.c.
set -u
# build-kvm's override; the cases set it themselves
unset KVM_PATCH_DIR
here=$(cd "$(dirname "$0")" && pwd)
top=${here%/tests/host}
t=$(mktemp -d) || exit 2
trap 'rm -rf "$t"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# tree DIR PAD ALTERED STEP: a fake KVM tree: guest_memfd.c with PAD lines
# added on top, line ALTERED (0: none) changed, and what patches 1..STEP
# change (the expected result, written without patch)
tree() {
	local dir=$1 pad=$2 alt=$3 step=$4 i
	mkdir -p "$dir/virt/kvm"
	{
		for ((i = 1; i <= pad; i++)); do echo "/* pad $i */"; done
		for ((i = 1; i <= 60; i++)); do
			if [ "$i" -eq "$alt" ]; then echo "int line_${i}_altered;"
			elif [ "$i" -eq 10 ] && [ "$step" -ge 1 ]; then echo "int line_10_a;"
			elif [ "$i" -eq 11 ] && [ "$step" -ge 2 ]; then echo "int line_11_b;"
			elif [ "$i" -eq 50 ] && [ "$step" -ge 2 ]; then echo "int line_50_b;"
			else echo "int line_$i;"
			fi
		done
	} >"$dir/virt/kvm/guest_memfd.c"
	[ "$step" -lt 2 ] || echo "/* gmem provider */" >"$dir/virt/kvm/gmem_provider.c"
}

# mkpatch FROM TO PATCH: diff -ruN of two trees of $t/gen, as a -p1 patch
mkpatch() {
	(cd "$t/gen" && diff -ruN "$1" "$2") >"$3"
	[ $? -eq 1 ] || { echo "diff $1 $2 failed"; exit 2; }
}

setup() {
	local p=$t/kvm/patches
	mkdir -p "$t/gen" "$p/6.12" "$p/6.12-other" "$p/7.2" "$p/6.14" "$t/mine" "$t/empty" "$t/out"
	tree "$t/gen/s0" 0 0 0
	tree "$t/gen/s1" 0 0 1
	tree "$t/gen/s2" 0 0 2
	mkpatch s0 s1 "$p/6.12/0001-KVM-first.patch"
	mkpatch s1 s2 "$p/6.12/0002-KVM-second.patch"
	echo "not a patch" >"$p/6.12/README"
	printf '# linux-source-6.12 versions (not 6.12.120-1, which is a comment)\n6.12.117-1\t 6.12.118-1  \n\n' >"$p/6.12/tested-on"
	cp "$p/6.12/0001-KVM-first.patch" "$p/6.12-other/0001-KVM-other.patch"
	echo 6.12.119-1 >"$p/6.12-other/tested-on"
	cp "$p/6.12/0001-KVM-first.patch" "$p/7.2/0001-KVM-seven.patch"
	printf '7.2.13-1\n7.2.14-10\n' >"$p/7.2/tested-on"
	cp "$p/6.12/0001-KVM-first.patch" "$p/6.14/0001-KVM-fourteen.patch"
	cp "$p/6.12/0001-KVM-first.patch" "$p/6.12/0002-KVM-second.patch" "$t/mine/"
}

# run MM SRC_VER [TREE]: kvm_series_choose and, given a TREE,
# kvm_series_apply, as build-kvm calls them (set -euo pipefail, in a
# subshell: gmem_die exits); $rc, and $t/stdout ("series:", "tested:",
# "patches:", one "patch:" a patch), $t/stderr
run() {
	rc=0
	(
		set -euo pipefail
		. "$top/scripts/lib/common.sh"
		. "$top/scripts/kvm/lib/series.sh"
		kvm_series_choose fake "$t/kvm" "$1" "$2"
		echo "series: $series_name"
		echo "tested: $tested"
		echo "patches: ${#patches[@]}"
		for p in ${patches[@]+"${patches[@]}"}; do echo "patch: ${p##*/}"; done
		if [ $# -ge 3 ]; then
			: >"$t/build.log"
			kvm_series_apply fake "$3" "$t/build.log" "$t/out" "linux-source-$1" "$2"
		fi
	) >"$t/stdout" 2>"$t/stderr" || rc=$?
}

# field NAME: its value in $t/stdout
field() { sed -n "s/^$1: //p" "$t/stdout" | paste -sd' '; }

# expect WHAT GOT WANT
expect() {
	[ "$2" = "$3" ] || fail "$1: got \"$2\", want \"$3\""
}

# expect_ok WHAT / expect_fail WHAT: rc
expect_ok() { [ "$rc" -eq 0 ] || fail "$1: exit status $rc, want 0 (stderr: $(cat "$t/stderr"))"; }
expect_fail() { [ "$rc" -ne 0 ] || fail "$1: exit status 0, want a failure"; }

# says WHAT FILE TEXT: FILE has TEXT
says() {
	grep -qF -- "$3" "$2" || fail "$1: ${2##*/} lacks \"$3\"; it has: $(cat "$2")"
}

# chosen WHAT MM SRC_VER SERIES TESTED PATCHES
chosen() {
	run "$2" "$3"
	expect_ok "$1"
	expect "$1: series" "$(field series)" "$4"
	expect "$1: tested" "$(field tested)" "$5"
	expect "$1: patches" "$(field patch)" "$6"
}

case_exact() {
	chosen "6.12.118-1 (second on its tested-on line)" 6.12 6.12.118-1 \
		patches/6.12 yes "0001-KVM-first.patch 0002-KVM-second.patch"
	[ ! -s "$t/stderr" ] || fail "6.12.118-1: says something on stderr: $(cat "$t/stderr")"
	chosen "6.12.117-1" 6.12 6.12.117-1 \
		patches/6.12 yes "0001-KVM-first.patch 0002-KVM-second.patch"
	# an exact version wins over the major.minor's series
	chosen "6.12.119-1" 6.12 6.12.119-1 patches/6.12-other yes 0001-KVM-other.patch
	chosen "7.2.13-1" 7.2 7.2.13-1 patches/7.2 yes 0001-KVM-seven.patch
}

case_untested() {
	chosen "6.12.120-1 (only in a comment)" 6.12 6.12.120-1 \
		patches/6.12 no "0001-KVM-first.patch 0002-KVM-second.patch"
	says "6.12.120-1" "$t/stderr" \
		"fake: KVM series patches/6.12 was tested on 6.12.117-1 6.12.118-1, not on Debian 6.12.120-1: applying it without fuzz"
	chosen "6.12.118-10 (6.12.118-1 and more)" 6.12 6.12.118-10 \
		patches/6.12 no "0001-KVM-first.patch 0002-KVM-second.patch"
	chosen "7.2.14-1 (7.2.14-10 is listed)" 7.2 7.2.14-1 patches/7.2 no 0001-KVM-seven.patch
	chosen "6.14.1-1 (a series without tested-on)" 6.14 6.14.1-1 \
		patches/6.14 no 0001-KVM-fourteen.patch
	says "6.14.1-1" "$t/stderr" "was tested on no version, not on Debian 6.14.1-1"
}

case_unknown() {
	run 6.13 6.13.2-1
	expect_fail "6.13.2-1"
	says "6.13.2-1" "$t/stderr" \
		"error: fake: no KVM patch series for Linux 6.13.2 (Debian 6.13.2-1): create scripts/kvm/patches/6.13"
	expect "6.13.2-1: chose" "$(cat "$t/stdout")" ""
}

case_override() {
	export KVM_PATCH_DIR=$t/mine
	# whatever the version: an unknown one, and one with a series of its own
	chosen "$KVM_PATCH_DIR, 6.13.2-1" 6.13 6.13.2-1 \
		"$t/mine" override "0001-KVM-first.patch 0002-KVM-second.patch"
	chosen "$KVM_PATCH_DIR, 6.12.119-1" 6.12 6.12.119-1 \
		"$t/mine" override "0001-KVM-first.patch 0002-KVM-second.patch"
	KVM_PATCH_DIR=$t/kvm/patches/7.2
	chosen "patches/7.2, 6.12.118-1" 6.12 6.12.118-1 patches/7.2 override 0001-KVM-seven.patch
	# an empty directory: stock KVM, the tree as it was
	KVM_PATCH_DIR=$t/empty
	tree "$t/src" 0 0 0
	run 6.12 6.12.118-1 "$t/src"
	expect_ok "empty $KVM_PATCH_DIR"
	expect "empty: tested" "$(field tested)" override
	expect "empty: patches" "$(field patches)" 0
	diff -r "$t/gen/s0" "$t/src" >/dev/null || fail "empty: the tree changed: $(diff -ru "$t/gen/s0" "$t/src")"
	unset KVM_PATCH_DIR
}

case_fuzz() {
	local p2=$t/kvm/patches/6.12/0002-KVM-second.patch
	# line 47, the outermost context line of 0002's second hunk, differs:
	# 0002's first hunk applies exactly, its second only with fuzz 1
	tree "$t/src" 0 47 0
	tree "$t/want" 0 47 1
	tree "$t/fuzzed" 0 47 1
	patch -s -d "$t/fuzzed" -p1 --fuzz=1 <"$p2" >/dev/null ||
		fail "fixture: 0002 does not apply with fuzz 1 either"
	run 6.12 6.12.118-1 "$t/src"
	expect_fail "0002 with fuzz"
	says "the error" "$t/stderr" \
		"error: fake: KVM series patches/6.12 (tested on: 6.12.117-1 6.12.118-1) does not apply to Linux 6.12.118 (Debian linux-source-6.12 6.12.118-1): 0002-KVM-second.patch needs rebasing onto 6.12.118 (no fuzz allowed); then list 6.12.118-1 in patches/6.12/tested-on"
	says "patch's complaint" "$t/stderr" "FAILED"
	says "OUT/build.log" "$t/out/build.log" "=== patch -p1 --fuzz=0 < patches/6.12/0002-KVM-second.patch"
	says "OUT/build.log" "$t/out/build.log" "FAILED"
	# 0001 applied, nothing of 0002 (neither its exact hunk nor its new
	# file), no .orig, no .rej
	diff -r "$t/want" "$t/src" >/dev/null ||
		fail "the tree is not the one with 0001 alone: $(diff -ruN "$t/want" "$t/src")"
}

case_offset() {
	# five lines more on top: every hunk applies 5 lines further down
	tree "$t/src" 5 0 0
	tree "$t/want" 5 0 2
	run 6.12 6.12.118-1 "$t/src"
	expect_ok "offset 5"
	says "build.log" "$t/build.log" "(offset 5 lines)"
	diff -r "$t/want" "$t/src" >/dev/null ||
		fail "the tree is not the patched one: $(diff -ruN "$t/want" "$t/src")"
}

cases="exact untested unknown override fuzz offset"
if [ $# -ne 1 ] || { [ "$1" != all ] && [[ " $cases " != *" $1 "* ]]; }; then
	echo "usage: kvm-series.sh all|${cases// /|}" >&2
	exit 2
fi
[ "$1" = all ] || cases=$1
setup
for c in $cases; do
	rm -rf "$t/src" "$t/want" "$t/fuzzed" "$t/out"/* "$t/build.log"
	"case_$c"
done
[ "$failed" -eq 0 ] && echo "ok: $cases"
