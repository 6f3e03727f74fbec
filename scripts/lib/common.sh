# SPDX-License-Identifier: GPL-2.0
# Sourced by every script under scripts/: where the cache and the repository
# are, and the few helpers they all use.  No side effects beyond variables.

GMEM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Everything fetched or built for tests lives here, never in the repository.
GMEM_CACHE=${GMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gmem}
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
