# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by scripts/kvm/build-kvm (and tests/host/kvm-series.sh, which
# runs it against fake series and a fake tree): which KVM patch series a
# kernel gets, and applying it with no fuzz.  Needs gmem_log and gmem_die
# (scripts/lib/common.sh); no side effects beyond the variables below.
#
# A series is a directory DIR/patches/<name> (DIR: scripts/kvm) holding
# *.patch, applied in name order, and tested-on: one Debian source version
# of linux-source-<major.minor> per line (e.g. "6.12.118-1"); "#" starts a
# comment.

# kvm_tested_on SERIES: the versions SERIES/tested-on lists, space-separated
# ("no version" when none).
kvm_tested_on() {
	local v
	v=$(sed 's/#.*//' "$1/tested-on" 2>/dev/null | tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//')
	echo "${v:-no version}"
}

# kvm_series_choose WHO DIR MM SRC_VER: the series for Debian source version
# SRC_VER of Linux MM (major.minor): the one under DIR/patches whose tested-on
# lists SRC_VER exactly ("tested: yes"), else DIR/patches/MM ("tested: no",
# said on stderr), else none, which is an error naming the version.
# KVM_PATCH_DIR, when set, is the series whatever the version ("tested:
# override"; an empty or missing directory: no patches).  WHO starts every
# message (the suite).  Sets:
#   series       the series' directory
#   series_name  the same relative to DIR ("patches/6.12")
#   tested       yes, no or override
#   patches      its *.patch, in name order (C collation)
# shellcheck disable=SC2034 # tested: set for the caller
kvm_series_choose() {
	local who=$1 dir=$2 mm=$3 src_ver=$4 d
	series='' tested=no
	if [ -n "${KVM_PATCH_DIR:-}" ]; then
		series=$KVM_PATCH_DIR tested=override
	else
		for d in "$dir"/patches/*/; do
			d=${d%/}
			if kvm_tested_on "$d" | tr ' ' '\n' | grep -qxF "$src_ver"; then
				series=$d tested=yes
				break
			fi
		done
		if [ -z "$series" ]; then
			[ -d "$dir/patches/$mm" ] ||
				gmem_die "$who: no KVM patch series for Linux ${src_ver%%-*} (Debian $src_ver): create scripts/kvm/patches/$mm (scripts/kvm/README.md)"
			series=$dir/patches/$mm
			gmem_log "$who: KVM series patches/$mm was tested on $(kvm_tested_on "$series"), not on Debian $src_ver: applying it without fuzz"
		fi
	fi
	patches=()
	if [ -d "$series" ]; then
		mapfile -t patches < <(find "$series" -maxdepth 1 -name '*.patch' | LC_ALL=C sort)
	fi
	series_name=${series#"$dir"/}
}

# kvm_series_apply WHO TREE LOG OUT SRC_PKG SRC_VER: apply the chosen series
# (kvm_series_choose's variables) to TREE with patch -p1 --fuzz=0, appending
# patch's output to LOG (patch.out beside TREE is scratch).  An offset is
# fine, fuzz is not: a hunk whose context does not match exactly may land
# in the wrong place (6.12.118 split the function a hunk was written for).  Each patch is tried with --dry-run first, so a patch that
# does not apply changes nothing: on failure TREE holds exactly the patches
# before it, whole.  The failure copies LOG to OUT/build.log, shows patch's
# complaints on stderr and stops (gmem_die) naming the series, the patch
# and the kernel version (SRC_PKG at Debian version SRC_VER).
kvm_series_apply() {
	local who=$1 tree=$2 log=$3 out=$4 src_pkg=$5 src_ver=$6 p
	local linux=${src_ver%%-*} scratch=${2%/*}/patch.out
	local opts=(-d "$tree" -p1 -N --fuzz=0 --no-backup-if-mismatch --reject-file=-)
	for p in ${patches[@]+"${patches[@]}"}; do
		echo "=== patch -p1 --fuzz=0 < $series_name/${p##*/}" >>"$log"
		if ! patch --dry-run "${opts[@]}" <"$p" >"$scratch" 2>&1; then
			cat "$scratch" >>"$log"
			grep -E 'FAILED|can.t find file|Reversed|malformed' "$scratch" >&2 || tail -n 20 "$scratch" >&2
			cp "$log" "$out/build.log"
			gmem_die "$who: KVM series $series_name (tested on: $(kvm_tested_on "$series")) does not apply to Linux $linux (Debian $src_pkg $src_ver): ${p##*/} needs rebasing onto $linux (no fuzz allowed); then list $src_ver in $series_name/tested-on (scripts/kvm/README.md)"
		fi
		patch "${opts[@]}" <"$p" >>"$log" 2>&1 ||
			gmem_die "$who: ${p##*/} of $series_name applied with --dry-run but not for real (log in $log)"
	done
}
