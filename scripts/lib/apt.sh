# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# A private apt configuration per Debian suite, so the tests can fetch other
# releases' kernels without touching the machine's own apt state.  Sourced
# after common.sh.  Every suite gets its own sources list, lists, archive
# cache and an empty dpkg status under $GMEM_CACHE/apt/<suite>.

# The machine's mirror, read at run time so no host name is ever written into
# the repository: the first URIs: line is the main archive, the second the
# security archive.
GMEM_SOURCES=${GMEM_SOURCES:-/etc/apt/sources.list.d/debian.sources}
GMEM_KEYRING=${GMEM_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

gmem_mirror() {	# N: 1 = main archive, 2 = security archive
	local uri
	uri=$(awk '$1 == "URIs:" { print $2 }' "$GMEM_SOURCES" | sed -n "${1}p")
	[ -n "$uri" ] || gmem_die "no URIs: line $1 in $GMEM_SOURCES"
	printf '%s\n' "$uri"
}

# The apt suites (distributions) that make up one test suite name.  Stable
# releases get their kernel updates through -security first.
gmem_apt_dists() {
	case "$1" in
	bullseye | bookworm | trixie) echo "$1 $1-security" ;;
	sid) echo "sid" ;;
	*) gmem_die "unknown suite '$1' (bullseye bookworm trixie sid)" ;;
	esac
}

# One-line sources entries for SUITE, also what mmdebstrap gets.
gmem_apt_sources() {
	local d uri
	for d in $(gmem_apt_dists "$1"); do
		case "$d" in
		*-security) uri=$(gmem_mirror 2) ;;
		*) uri=$(gmem_mirror 1) ;;
		esac
		printf 'deb [signed-by=%s] %s %s main\n' "$GMEM_KEYRING" "$uri" "$d"
	done
}

# Write SUITE's configuration (cheap, every time, so a changed mirror is
# picked up) and export APT_CONFIG pointing at it.
gmem_apt_setup() {
	local suite=$1 d=$GMEM_CACHE/apt/$1
	gmem_apt_dists "$suite" >/dev/null	# dies here on an unknown suite
	mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/empty" "$d/log"
	# Rewritten only when it changes: a newer sources.list means "update".
	gmem_apt_sources "$suite" >"$d/sources.list.new"
	if cmp -s "$d/sources.list.new" "$d/sources.list"; then
		rm "$d/sources.list.new"
	else
		mv "$d/sources.list.new" "$d/sources.list"
	fi
	: >>"$d/status"
	# Parts point at an empty directory so the machine's apt.conf.d,
	# preferences and sources are all ignored.  Unstable's Release file may
	# be past its Valid-Until date on the mirror.  apt runs as root here, in
	# a cache _apt may not be able to reach, so it does not sandbox.
	cat >"$d/apt.conf" <<-CONF
		Dir::Etc::Parts "$d/empty";
		Dir::Etc::Main "$d/apt.conf";
		Dir::Etc::SourceList "$d/sources.list";
		Dir::Etc::SourceParts "$d/empty";
		Dir::Etc::Preferences "$d/empty/preferences";
		Dir::Etc::PreferencesParts "$d/empty";
		Dir::State "$d";
		Dir::State::Lists "$d/lists";
		Dir::State::status "$d/status";
		Dir::Cache "$d";
		Dir::Cache::Archives "$d/archives";
		Dir::Log "$d/log";
		APT::Architecture "amd64";
		APT::Architectures { "amd64"; };
		APT::Sandbox::User "root";
		Acquire::Check-Valid-Until "false";
		Acquire::Languages "none";
		Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
	CONF
	export APT_CONFIG=$d/apt.conf
}

# Refresh SUITE's package lists at most once a day (GMEM_REFRESH=1 forces),
# so warm runs do not wait on the mirror but a new kernel still shows up.
# Callers hold the suite's lock (gmem_apt_lock).
gmem_apt_update() {
	local d=$GMEM_CACHE/apt/$1 stamp=$GMEM_CACHE/apt/$1/updated
	gmem_apt_setup "$1"
	if [ "${GMEM_REFRESH:-0}" = 1 ] || [ ! -e "$stamp" ] ||
		[ -n "$(find "$stamp" -mmin +1440)" ] ||
		[ "$d/sources.list" -nt "$stamp" ]; then
		if apt-get -q update >"$d/log/update.log" 2>&1; then
			touch "$stamp"
		elif [ -e "$stamp" ]; then
			# Offline: yesterday's lists still name a kernel we have.
			gmem_log "warning: apt-get update for $1 failed; using older lists"
		else
			cat "$d/log/update.log" >&2
			gmem_die "apt-get update for $1 failed"
		fi
	fi
}

# Serialise everything that touches one suite's apt or kernel cache, so two
# runs (make check and make run) never fight over it.
gmem_apt_lock() {
	mkdir -p "$GMEM_CACHE/apt"
	exec 9>"$GMEM_CACHE/apt/$1.lock"
	flock 9
}

# The kernel release the suite's linux-image-amd64 metapackage points at,
# e.g. 6.12.48+deb13-amd64, read from its dependency, never hard-coded.
gmem_apt_kver() {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-.*-amd64\)$/\1/p' | head -n1)
	[ -n "$pkg" ] || gmem_die "linux-image-amd64 in $1 depends on no kernel image"
	printf '%s\n' "${pkg#linux-image-}"
}

# Candidate version of package $1 in the current configuration.
gmem_apt_version() {
	apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'
}

# gmem_apt_download_for SUITE ROOT DIR ITEM...: what installing ITEMs
# (package names, or paths of .deb files) in the chroot ROOT of SUITE
# takes, as .deb files in ROOT/DIR (emptied first), for apt-get install
# of ROOT/DIR/*.deb inside it: the dependencies ROOT lacks or has older,
# fetched through SUITE's private configuration and resolved against
# ROOT's own dpkg status, and the .deb files given.  The chroot's apt never
# goes to the network, and the machine's apt state is not touched.
# Callers hold the suite's lock (gmem_apt_lock); gmem_apt_update first.
gmem_apt_download_for() {
	local suite=$1 root=$2 dir=$2$3 item items=()
	shift 3
	rm -rf "$dir"
	mkdir -p "$dir/partial"
	chmod 0755 "$dir"
	for item in "$@"; do
		case "$item" in
		*/*.deb)
			cp "$item" "$dir/"
			items+=("$(realpath "$item")")
			;;
		*) items+=("$item") ;;
		esac
	done
	gmem_apt_setup "$suite"
	apt-get -q -y --download-only --no-install-recommends \
		-o Dir::State::status="$root/var/lib/dpkg/status" \
		-o Dir::Cache::Archives="$dir" \
		install "${items[@]}" || return
	rm -rf "$dir/partial" "$dir/lock"
}
