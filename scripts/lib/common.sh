# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by every script under scripts/: where the cache and the repository
# are, and the few helpers they all use.  No side effects beyond variables.

GMEM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Everything fetched or built for tests lives here, never in the repository.
# (HOME may be unset under a bare CI runner; root's is the one then.)
GMEM_CACHE=${GMEM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/gmem}
export GMEM_CACHE

gmem_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
gmem_die() { gmem_log "error: $*"; exit 1; }

# Debian's kernels are fetched and chrooted into, which needs real root.
gmem_need_root() {
	[ "$(id -u)" -eq 0 ] || gmem_die "must run as root (chroot, dpkg-deb, mmdebstrap)"
}

# Seconds since the epoch, and a "12.3s" rendering of a difference, for the
# per-phase timings the test run prints.
gmem_now() { date +%s.%N; }
gmem_since() { awk -v a="$1" -v b="$(gmem_now)" 'BEGIN { printf "%.1fs", b - a }'; }

# gmem_oldest N PATH...: every PATH but the last N, one a line.  Given a
# glob of run directories named by date and time (the shell sorts what a
# glob matches), those to prune so that the N newest are kept; nothing
# when the glob matched N or fewer (or nothing, leaving the pattern).
gmem_oldest() {
	local keep=$1
	shift
	[ $# -le "$keep" ] || printf '%s\n' "${@:1:$#-keep}"
}

# gmem_new_run SUFFIX KEEP: a new log directory for a test run,
# $GMEM_CACHE/runs/TIME-PID plus SUFFIX (none for make check's, "-debug",
# "-clients", "-deb" for the others), linked as runs/latest plus SUFFIX;
# prints its path.  Older runs of the same kind are pruned to KEEP, and
# only those: every kind shares runs/, and a glob that matched them all
# once deleted the other kinds' logs.
gmem_new_run() {
	local suffix=$1 keep=$2 runs=$GMEM_CACHE/runs run
	run=$runs/$(date +%Y%m%d-%H%M%S)-$$$suffix
	mkdir -p "$run"
	ln -sfn "${run##*/}" "$runs/latest$suffix"
	gmem_oldest "$keep" "$runs"/*-*-*[0-9]"$suffix"/ | xargs -r rm -rf
	echo "$run"
}

# gmem_chroot ROOT CMD...: run CMD in the chroot ROOT (a Debian suite's
# build chroot) with a clean environment.  A private mount namespace gives
# the chroot a /proc that disappears with it; mounted from outside since
# variant=apt chroots may lack mount(8).
gmem_chroot() {
	local root=$1
	shift
	# shellcheck disable=SC2016 # the inner sh expands $0 and $@
	unshare --mount --propagation private /bin/sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" \
		/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C "$@"
}

# Copy the module's sources from the working tree (not HEAD, so uncommitted
# changes get tested) to DEST, leaving out build products a host build may
# have left behind.
gmem_copy_sources() {
	local parts=(module include Kbuild Makefile dkms.conf)
	[ -d "$GMEM_TOP/tests/consumer" ] && parts+=(tests/consumer)
	mkdir -p "$1"
	tar -C "$GMEM_TOP" -c \
		--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='Module.symvers' --exclude='modules.order' \
		"${parts[@]}" | tar -C "$1" -x
}
