# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # $run, $scripts: scripts/check's (or check-deb's), which sources this
#
# Sourced by scripts/check and scripts/deb/check-deb: the Debian package
# stages, with the caller's verdict, add_tap and timed.
#
#   deb_build_start DIR   scripts/deb/build-deb in the background (the
#                         host group DIR): the packages, built in
#                         bookworm's chroot, lintian, their contents
#   deb_build_stage DIR   wait for it and count its TAP (stage deb-build)
#   deb_stage DIR SUITE   once the packages are built, scripts/dkms/check-dkms
#                         with DKMS_DEBS: apt install in SUITE's chroot, what
#                         the packages put in place, remove and purge, and
#                         SUITE's kernel booted with the module the package's
#                         DKMS built (stage deb, TAP in DIR/deb/dkms.tap)
#
# Phases in the "time:" lines: deb-build (host); deb (a suite's, waits
# included).

deb_build_start() {	# DIR
	local dir=$1
	mkdir -p "$dir/deb"
	rm -f "$dir/deb/rc" "$dir/deb/debs"
	(
		rc=0
		timed "$dir" deb-build "$scripts/deb/build-deb" "$dir/deb" \
			>"$dir/deb/debs" 2>"$dir/deb-build.log" || rc=$?
		echo "$rc" >"$dir/deb/rc"
	) &
	echo $! >"$dir/deb/pid"
}

# deb_built DIR: wait for deb_build_start DIR; print the packages'
# directory, fail if there is none.
deb_built() {
	local dir=$1 pid debs
	pid=$(cat "$dir/deb/pid" 2>/dev/null) || return 1
	while [ ! -e "$dir/deb/rc" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			[ -e "$dir/deb/rc" ] || return 1
		fi
		sleep 1
	done
	debs=$(tail -n1 "$dir/deb/debs" 2>/dev/null)
	[ -n "$debs" ] && [ -d "$debs" ] && echo "$debs"
}

deb_build_stage() {	# DIR
	local dir=$1 rc tap_failed=0
	deb_built "$dir" >/dev/null || true
	rc=$(cat "$dir/deb/rc" 2>/dev/null || echo 1)
	STAGE=deb-build add_tap "$dir" "$dir/deb/deb-build.tap" \
		"Debian packages: build-deb ($dir/deb)" || tap_failed=1
	# A failing exit status the TAP does not explain is a failure of its own.
	if [ "$rc" -ne 0 ] && [ $tap_failed -eq 0 ]; then
		STAGE=- verdict "$dir" fail "build-deb: exit status $rc ($dir/deb-build.log)" \
			"$dir/deb-build.log"
	fi
}

deb_stage() {	# DIR SUITE HOSTDIR
	local dir=$1 suite=$2 host=$3 debs rc=0 tap_failed=0
	if ! debs=$(deb_built "$host"); then
		STAGE=- verdict "$dir" fail "Debian packages on $suite: not run, the packages did not build ($host/deb-build.log)"
		return 0
	fi
	mkdir -p "$dir/deb"
	timed "$dir" deb env GUEST_LOCK="$run/guest.lock" DKMS_DEBS="$debs" \
		"$scripts/dkms/check-dkms" "$suite" "$dir/deb" >"$dir/deb.out" 2>&1 || rc=$?
	echo "[$suite] Debian packages done"
	STAGE=deb add_tap "$dir" "$dir/deb/dkms.tap" \
		"Debian packages on $(cat "$dir/kver" 2>/dev/null) ($dir/deb)" || tap_failed=1
	if [ "$rc" -ne 0 ] && [ $tap_failed -eq 0 ]; then
		STAGE=- verdict "$dir" fail "Debian packages on $suite: check-dkms exit status $rc ($dir/deb.out)" "$dir/deb.out"
	fi
}
