# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # $run, $scripts: scripts/check's, which sources this
#
# Sourced by scripts/check: the short reliability stage of one suite's
# pipeline on its stock kernel, with check's verdict, add_tap, timed, $run
# and $scripts.  (The long one, on the debug kernel, is scripts/check-debug.)
#
#   reliability_stage DIR SUITE
#       after the selftests' guest, under check's guest lock: one more
#       guest from the same initramfs (DIR/initramfs.cpio.gz) with
#       gmem_mode=reliability and the parts reliability (its memory-cgroup
#       suite only: stock kernels have no fault injection), stress
#       ($CHECK_STRESS_SECS, default 20 s) and fuzz ($CHECK_FUZZ_CALLS,
#       default 100000 calls); each part's TAP counted, plus one verdict
#       for a clean console.  The seeds are printed in the part's TAP.
#
# Phase in the suite's "time:" line: reliability (the whole guest).

reliability_stage() {	# DIR SUITE
	local dir=$1 suite=$2 r=$1/reliability rc=0 p tap_failed=0
	mkdir -p "$r/parts"
	exec 8>"$run/guest.lock"
	timed "$dir" reliability-wait flock 8
	# shellcheck disable=SC2086 # GUEST_ARGS: kernel arguments, split on purpose
	timed "$dir" reliability env MODE=reliability "$scripts/run-guest" "$VMLINUZ" \
		"$dir/initramfs.cpio.gz" "$r/guest" GMEM_PARTS=reliability,stress,fuzz GMEM_TESTS=memcg \
		"GMEM_STRESS_SECS=${CHECK_STRESS_SECS:-20}" \
		"GMEM_FUZZ_CALLS=${CHECK_FUZZ_CALLS:-100000}" ${GUEST_ARGS:-} \
		>"$r/verdict" 2>&1 || rc=$?
	exec 8>&-
	echo "[$suite] reliability guest done"
	tr -d '\r' <"$r/guest/output.log" 2>/dev/null | awk -v dir="$r/parts" '
		/^GMEM-PART / { f = dir "/" $2 ".tap"; next }
		/^GMEM-TIME / { print $2, $3 >> (dir "/times"); next }
		/^GMEM-DONE / { f = ""; next }
		f != "" { print > f }'
	for p in reliability stress fuzz; do
		STAGE=reliability add_tap "$dir" "$r/parts/$p.tap" "gmem-$p on $KVER" || tap_failed=1
	done
	if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then
		STAGE=reliability verdict "$dir" pass "reliability guest $suite: console clean"
	else
		STAGE=reliability verdict "$dir" fail "reliability guest $suite: console clean, GMEM-DONE reached ($r/guest/console.log)" \
			"$r/verdict"
	fi
	if [ $rc -eq 2 ] && [ $tap_failed -eq 0 ]; then
		STAGE=- verdict "$dir" fail "reliability guest $suite: init exit status" "$r/verdict"
	fi
}
