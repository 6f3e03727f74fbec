# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # $run, $scripts: scripts/check's, which sources this
#
# Sourced by scripts/check: the KVM end-to-end stage of one suite's
# pipeline, with check's verdict, add_tap, timed, $run and $scripts, and
# scripts/lib/expected.sh's kver_at_least and EXPECT_PATCHED_KVM_FROM.
# Every verdict names its stage (STAGE=kvm-build, vmm-stock, vmm-patched;
# STAGE=- for a note that counts in none), whose expected counts
# expected.sh keeps.
#
#   vmm_build DIR SUITE   after gmem's build (DIR/ko): where the kernel
#                         has private memory in KVM (6.8+), start
#                         scripts/kvm/build-kvm in the background, at the
#                         lowest CPU priority so that it does not slow down
#                         a guest of another suite meanwhile
#   vmm_stage DIR SUITE   after the selftests' guest: boot the VMM guests,
#                         one at a time under check's guest lock, and count
#                         their TAP (tests/vmm, gmem-vmm):
#                           stock    every kernel, the image's own KVM
#                           patched  Linux 6.8+ (trixie, sid): the KVM
#                                    build-kvm made; before 6.8 one skip
#                         plus one verdict for the KVM build (any build-kvm
#                         failure or warning fails it), one per guest for a
#                         clean console, and a skip when the series is not
#                         yet recorded as tested on this exact kernel.
#
# Whether the patched stage applies is decided from $KVER alone (as
# expected.sh decides whether to expect it), never from build-kvm's exit
# status: a build-kvm that fails, for whatever reason and with whatever
# status, is a failed test.
#
# Phases in the suite's "time:" line: kvm-build, vmm-stock and vmm-patched
# (the whole guest: boot, tests, power-off) and vmm-stock-tests,
# vmm-patched-tests (gmem-vmm's own run inside the guest).

# Does $KVER's KVM have private memory (guest_memfd, Linux 6.8+)?
vmm_private_mem() {
	kver_at_least "$KVER" "$EXPECT_PATCHED_KVM_FROM"
}

vmm_build() {	# DIR SUITE
	local dir=$1 suite=$2
	mkdir -p "$dir/vmm"
	vmm_private_mem || return 0
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
	# shellcheck disable=SC2034 # read by check's stage_of, dynamic scope
	local STAGE=vmm-$flavour
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
		STAGE=- verdict "$dir" fail "VMM guest $suite ($flavour KVM): init exit status" "$v/$flavour.verdict"
	fi
}

vmm_stage() {	# DIR SUITE
	local dir=$1 suite=$2 v=$1/vmm pid rc warnings patches series tested
	vmm_guest "$dir" "$suite" stock

	if ! vmm_private_mem; then
		STAGE=- verdict "$dir" skip "VMM guest $suite (patched KVM): Linux $KVER's KVM has no private memory ($EXPECT_PATCHED_KVM_FROM+)"
		return 0
	fi
	if ! pid=$(cat "$v/kvm-build.pid" 2>/dev/null); then
		STAGE=kvm-build verdict "$dir" fail "KVM build $suite: never started"
		return 0
	fi
	while kill -0 "$pid" 2>/dev/null; do sleep 1; done
	rc=$(cat "$v/kvm-build.rc" 2>/dev/null || echo 1)
	if [ "$rc" != 0 ]; then
		STAGE=kvm-build verdict "$dir" fail "KVM build $suite: build-kvm exit status $rc ($v/kvm/build.log)" "$v/kvm-build.err"
		STAGE=- verdict "$dir" fail "VMM guest $suite (patched KVM): not run, KVM did not build"
		return 0
	fi
	series=$(sed -n 's/^series: //p' "$v/kvm-build.out")
	tested=$(sed -n 's/^tested: //p' "$v/kvm-build.out")
	if [ "$tested" = no ]; then
		STAGE=- verdict "$dir" skip "KVM series $series: not yet recorded as tested on this kernel ($KVER); the build and the VMM guest below decide; list the version in scripts/kvm/$series/tested-on once they pass"
	fi
	warnings=$(sed -n 's/^warnings: //p' "$v/kvm-build.out")
	patches=$(sed -n 's/^patches: //p' "$v/kvm-build.out")
	if [ "${warnings:-1}" -ne 0 ]; then
		STAGE=kvm-build verdict "$dir" fail "KVM build $suite, $series ($patches patches): $warnings warnings ($v/kvm/build.log)" \
			"$v/kvm-build.err"
	else
		STAGE=kvm-build verdict "$dir" pass "KVM build $suite, $series ($patches patches): no warnings"
	fi
	echo "[$suite] built KVM ($series, $patches patches, tested: $tested, $warnings warnings, cached: $(sed -n 's/^cached: //p' "$v/kvm-build.out"))"
	vmm_guest "$dir" "$suite" patched
}
