# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # $run, $scripts, $suites: scripts/check's, which sources this
#
# Sourced by scripts/check: the DKMS stage of one suite's pipeline, with
# check's verdict, add_tap, timed, $run, $scripts and $suites.
#
#   dkms_start DIR SUITE   after gmem's build: scripts/dkms/check-dkms in
#                          the background (its chroot work at nice 0:
#                          at 10 or 19 it hardly ran while TCG guests and
#                          builds kept both CPUs busy, and ended the run; its
#                          guests under check's guest lock); what costs a
#                          build or a guest more only once: the upgrade
#                          from an older version for the first suite of
#                          the run (the oldest DKMS), `make install
#                          DESTDIR=` and the module.sig_enforce=1 guest for
#                          the last (the newest kernel)
#   dkms_stage DIR SUITE   at the end of the suite's pipeline: wait for it
#                          and count its TAP (DIR/dkms/dkms.tap)
#
# Phases in the suite's "time:" line: dkms (all of it, waits included),
# dkms-chroot (dkms-install, checks, make install, dkms-remove),
# dkms-guest and dkms-guest-sig (each boot, start to power-off).

# dkms_switches SUITE: "UPGRADE MAKE_INSTALL SIG", check-dkms's DKMS_*
# switches for SUITE (also what scripts/lib/expected.sh counts on).
dkms_switches() {
	local first=0 last=0
	[ "$1" != "${suites[0]}" ] || first=1
	[ "$1" != "${suites[${#suites[@]} - 1]}" ] || last=1
	echo "$first $last $last"
}

dkms_start() {	# DIR SUITE
	local dir=$1 suite=$2 upgrade install sig
	read -r upgrade install sig <<<"$(dkms_switches "$suite")"
	mkdir -p "$dir/dkms"
	(
		rc=0
		timed "$dir" dkms env GUEST_LOCK="$run/guest.lock" \
			DKMS_UPGRADE="$upgrade" DKMS_MAKE_INSTALL="$install" DKMS_SIG="$sig" \
			"$scripts/dkms/check-dkms" "$suite" "$dir/dkms" \
			>"$dir/dkms.out" 2>&1 || rc=$?
		echo "$rc" >"$dir/dkms/rc"
	) &
	echo $! >"$dir/dkms/pid"
}

dkms_stage() {	# DIR SUITE
	local dir=$1 suite=$2 pid rc tap_failed=0 phase took
	pid=$(cat "$dir/dkms/pid" 2>/dev/null) || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 1; done
	rc=$(cat "$dir/dkms/rc" 2>/dev/null || echo 1)
	echo "[$suite] DKMS done"
	# "chroot 12.3s, initramfs 1.0s, ..." from check-dkms, as dkms-* phases.
	tr ',' '\n' <"$dir/dkms/times" 2>/dev/null | while read -r phase took; do
		case "$phase" in
		chroot | guest | guest-sig) echo "dkms-$phase $took" >>"$dir/times" ;;
		esac
	done
	STAGE=dkms add_tap "$dir" "$dir/dkms/dkms.tap" "DKMS on $(cat "$dir/kver" 2>/dev/null) ($dir/dkms)" ||
		tap_failed=1
	# A failing exit status the TAP does not explain is a failure of its own.
	if [ "$rc" -ne 0 ] && [ $tap_failed -eq 0 ]; then
		STAGE=- verdict "$dir" fail "DKMS $suite: check-dkms exit status $rc ($dir/dkms.out)" "$dir/dkms.out"
	fi
}
