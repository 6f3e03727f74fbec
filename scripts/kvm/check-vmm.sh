# SPDX-License-Identifier: GPL-2.0
#
# Sourced by scripts/check: the KVM end-to-end stage of one suite's
# pipeline, with check's verdict, add_tap, timed, $run and $scripts.
#
#   vmm_build DIR SUITE   after gmem's build (DIR/ko): start
#                         scripts/kvm/build-kvm in the background, at the
#                         lowest CPU priority so that it does not slow down
#                         a guest of another suite meanwhile
#   vmm_stage DIR SUITE   after the selftests' guest: boot the VMM guests,
#                         one at a time under check's guest lock, and count
#                         their TAP (tests/vmm, gmem-vmm):
#                           stock    every kernel, the image's own KVM
#                           patched  trixie and sid: the KVM build-kvm made
#                         plus one verdict for the KVM build (warnings
#                         fail it) and one per guest for a clean console.
#
# Phases in the suite's "time:" line: kvm-build, vmm-stock and vmm-patched
# (the whole guest: boot, tests, power-off) and vmm-stock-tests,
# vmm-patched-tests (gmem-vmm's own run inside the guest).

vmm_build() {	# DIR SUITE
	local dir=$1 suite=$2
	mkdir -p "$dir/vmm"
	(
		rc=0
		timed "$dir" kvm-build nice -n 19 "$scripts/kvm/build-kvm" "$suite" \
			"$dir/vmm/kvm" "$dir/ko" >"$dir/vmm/kvm-build.out" \
			2>"$dir/vmm/kvm-build.err" || rc=$?
		echo "$rc" >"$dir/vmm/kvm-build.rc"
	) &
	echo $! >"$dir/vmm/kvm-build.pid"
}

# One VMM guest: FLAVOUR stock or patched.
vmm_guest() {	# DIR SUITE FLAVOUR
	local dir=$1 suite=$2 flavour=$3 v=$1/vmm rc=0 tap_failed=0 took
	exec 8>"$run/guest.lock"
	timed "$dir" vmm-wait flock 8
	timed "$dir" "vmm-$flavour" "$scripts/kvm/vmm-guest" "$suite" "$flavour" \
		"$v/$flavour" "$dir/ko" "$v/kvm" >"$v/$flavour.verdict" 2>&1 || rc=$?
	exec 8>&-
	echo "[$suite] VMM guest done ($flavour KVM)"
	took=$(sed -n 's/^# gmem-vmm: tests took //p' "$v/$flavour/guest/output.log" 2>/dev/null)
	[ -z "$took" ] || echo "vmm-$flavour-tests $took" >>"$dir/times"
	add_tap "$dir" "$v/$flavour/guest/output.log" "gmem-vmm ($flavour KVM) on $KVER" ||
		tap_failed=1
	if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then
		verdict "$dir" pass "VMM guest $suite ($flavour KVM): console clean"
	else
		verdict "$dir" fail "VMM guest $suite ($flavour KVM): console clean, GMEM-DONE reached ($v/$flavour/guest/console.log)" \
			"$v/$flavour.verdict"
	fi
	if [ $rc -eq 2 ] && [ $tap_failed -eq 0 ]; then
		verdict "$dir" fail "VMM guest $suite ($flavour KVM): init exit status" "$v/$flavour.verdict"
	fi
}

vmm_stage() {	# DIR SUITE
	local dir=$1 suite=$2 v=$1/vmm pid rc warnings patches
	vmm_guest "$dir" "$suite" stock

	pid=$(cat "$v/kvm-build.pid" 2>/dev/null) || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 1; done
	rc=$(cat "$v/kvm-build.rc" 2>/dev/null || echo 1)
	case "$rc" in
	2)	# Linux before 6.8: no private memory, stock KVM only
		echo "[$suite] no patched KVM: $(tail -n1 "$v/kvm-build.err")"
		return 0
		;;
	0) ;;
	*)
		verdict "$dir" fail "KVM build $suite ($v/kvm/build.log)" "$v/kvm-build.err"
		verdict "$dir" fail "VMM guest $suite (patched KVM): not run, KVM did not build"
		return 0
		;;
	esac
	warnings=$(sed -n 's/^warnings: //p' "$v/kvm-build.out")
	patches=$(sed -n 's/^patches: //p' "$v/kvm-build.out")
	if [ "${warnings:-1}" -ne 0 ]; then
		verdict "$dir" fail "KVM build $suite, $patches patches: $warnings warnings ($v/kvm/build.log)" \
			"$v/kvm-build.err"
	else
		verdict "$dir" pass "KVM build $suite, $patches patches: no warnings"
	fi
	echo "[$suite] built KVM ($patches patches, $warnings warnings, cached: $(sed -n 's/^cached: //p' "$v/kvm-build.out"))"
	vmm_guest "$dir" "$suite" patched
}
