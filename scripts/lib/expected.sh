# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by scripts/check: how many tests every stage of a run must
# report, per kernel.  check compares them with what ran and fails a stage
# that reported fewer (or more): a guest whose name filter matched nothing,
# a suite dropped from a program, a stage left out (QUICK=1, an exit status
# read as "not applicable") cannot end in a green run.
#
# Two sources:
#   - the test programs' own lists: "PROGRAM -l" with the selection the
#     stage's guest makes (expected_listed).  tests/expected/*.list pins
#     those lists in the repository and host-check fails when a program
#     lists a test the file lacks or lacks one it has, so a test that
#     vanishes fails; after adding or removing tests on purpose,
#     "sh tests/host/lists.sh update" rewrites the files.
#   - the numbers below, for TAP that shell scripts and the stress and fuzz
#     programs print, and the verdicts scripts/check adds itself (a guest's
#     clean console, a build): change them with the stage.
#
# Needs $GMEM_TOP (lib/common.sh).

# Tests that are not a program's list.
EXPECT_HOST_CHECK=20		# tests/host/check.sh
EXPECT_STRESS=3			# gmem-stress's TAP
EXPECT_FUZZ=3			# gmem-fuzz's TAP
EXPECT_DKMS_GUEST=29		# scripts/dkms/guest-init, gmem_mode=dkms
EXPECT_DKMS_SIG_GUEST=4		# scripts/dkms/guest-init, gmem_mode=dkms-sig
EXPECT_DEB_BUILD=6		# scripts/deb/build-deb
EXPECT_DEB_CHROOT=11		# scripts/deb/chroot-checks.sh
EXPECT_DEB_GUEST=7		# scripts/dkms/guest-init, gmem_mode=deb
# The oldest kernel line whose KVM has private memory (guest_memfd), and so
# a patched KVM to build and test (scripts/kvm/build-kvm).
EXPECT_PATCHED_KVM_FROM=6.8

# expected_listed PROGRAM [VAR=VALUE]...: how many tests PROGRAM
# (tests/out/bin) runs with those variables (GMEM_TESTS=..., GMEM_ZEROING=1)
# and no others of its own; fails if it cannot say.
expected_listed() {
	local bin=$GMEM_TOP/tests/out/bin/$1 out
	shift
	[ -x "$bin" ] || return 1
	out=$(env -u GMEM_TESTS -u GMEM_ZEROING "$@" "$bin" -l) || return 1
	# (gmem-vmm adds a "# " line of its own)
	grep -c '^[^#]' <<<"$out" || true
}

# kver_at_least KVER MAJOR.MINOR
kver_at_least() {
	local have=${1%%[!0-9.]*} want=$2
	[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" = "$want" ]
}

# expected_host: "STAGE COUNT" lines for the host group.
expected_host() {
	echo "tests-build 1"
	echo "host-check $EXPECT_HOST_CHECK"
	echo "checkpatch 1"
	echo "deb-build $EXPECT_DEB_BUILD"
}

# expected_too_old: the same for bullseye (build refused, guest skipped).
expected_too_old() {
	echo "refusal 1"
	echo "guest 1"
}

# expected_kernel KVER UPGRADE MAKE_INSTALL SIG: "STAGE COUNT" lines for one
# kernel's pipeline; the last three are check-dkms's DKMS_* switches for it
# (scripts/dkms/check-stage.sh, dkms_switches).  A count that cannot be
# known (the programs did not build) is "?".
expected_kernel() {
	local kver=$1 upgrade=$2 install=$3 sig=$4 n
	echo "build 1"
	# gmem-selftests, and the console's verdict
	n=$(expected_listed gmem-selftests) && echo "selftests $((n + 1))" ||
		echo "selftests ?"
	# scripts/kvm/vmm-guest: the stock KVM runs "kvm,stock"
	# the zeroing guest: its tests, console, the kernel zeroing nothing
	n=$(expected_listed gmem-selftests GMEM_ZEROING=1) &&
		echo "zeroing $((n + 2))" || echo "zeroing ?"
	n=$(expected_listed gmem-vmm GMEM_TESTS=kvm,stock) && echo "vmm-stock $((n + 1))" ||
		echo "vmm-stock ?"
	if kver_at_least "$kver" "$EXPECT_PATCHED_KVM_FROM"; then
		echo "kvm-build 1"
		n=$(expected_listed gmem-vmm) && echo "vmm-patched $((n + 1))" ||
			echo "vmm-patched ?"
	fi
	# scripts/check-reliability.sh: memcg, stress, fuzz, the console
	n=$(expected_listed gmem-reliability GMEM_TESTS=memcg) &&
		echo "reliability $((n + EXPECT_STRESS + EXPECT_FUZZ + 1))" ||
		echo "reliability ?"
	# scripts/dkms/check-dkms: in the chroot 2 to install (3 with the
	# upgrade), 7 checks of what DKMS did, 2 to remove, and the switched
	# ones; each guest's TAP, its completeness, clean console and the
	# refusal on the console
	n=$((2 + upgrade + 7 + 2 + install + 2 * sig + EXPECT_DKMS_GUEST + 3))
	[ "$sig" -eq 0 ] || n=$((n + EXPECT_DKMS_SIG_GUEST + 3))
	echo "dkms $n"
	expected_deb
}

# expected_deb: the same for the Debian packages on one kernel
# (scripts/deb/check-stage.sh): the tests in the chroot, the guest's TAP,
# its completeness and clean console.
expected_deb() {
	echo "deb $((EXPECT_DEB_CHROOT + EXPECT_DEB_GUEST + 2))"
}
