# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # $suite, $version, $moddir, $out ...: check-dkms's, which sources this
#
# Sourced by scripts/dkms/check-dkms with DKMS_DEBS=DIR: its tests in
# SUITE's chroot for gmem installed from the Debian packages in DIR
# (scripts/deb/build-deb).  `apt install` of gmem-dkms, gmem-dev and
# gmem-preload through the suite's private apt configuration, whose
# postinst has DKMS build and install the module for the chroot's kernel;
# what the packages put in place (DKMS's module and indexes, the udev rule
# as the package's and not DKMS's hook's, the man pages, the header, built
# into a program, the preload library); save_tree for the guest; then
# `apt remove` and a purge leaving nothing behind.  Uses check-dkms's
# check, skip, in_chroot, save_tree, udev_verify_check and the rest.

deb_pkgs=(gmem-dkms gmem-dev gmem-preload)
deb_files=("$debs"/gmem-dkms_*_all.deb "$debs"/gmem-dev_*_all.deb
	"$debs"/gmem-preload_*_amd64.deb)
deb_dir=/tmp/gmem-debs

# The packages and what apt finds they need (nothing, on a chroot with
# dkms), in the chroot; apt installs them from there.
deb_install() {
	local f
	for f in "${deb_files[@]}"; do
		[ -e "$f" ] || { echo "no $f: run scripts/deb/build-deb"; return 1; }
	done
	gmem_apt_update "$suite"
	gmem_apt_download_for "$suite" "$CHROOT" "$deb_dir" "${deb_files[@]}" || return
	# shellcheck disable=SC2016 # the inner sh expands it
	in_chroot sh -c 'cd "$1" && ls && apt-get -q -y --no-install-recommends \
		install ./gmem-dkms_*_all.deb ./gmem-dev_*_all.deb ./gmem-preload_*_amd64.deb \
		$(ls ./*.deb | grep -v "^./gmem-")' sh "$deb_dir" 2>&1 |
		tee "$out/deb-install.log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || return
	in_chroot dpkg -L "${deb_pkgs[@]}" >"$out/deb-files.list"
}

# The udev rule is the package's; DKMS's hook saw it and added none in /etc.
deb_rule() {
	local r=/usr/lib/udev/rules.d/60-gmem.rules
	in_chroot dpkg -S "$r" | grep -x "gmem-dkms: $r" &&
		cmp "$GMEM_TOP/packaging/60-gmem.rules" "$CHROOT$r" &&
		grep -F "gmem: $r is installed (gmem-dkms), not adding" "$out/deb-install.log" ||
		return 1
	if [ -e "$CHROOT/etc/udev/rules.d/60-gmem.rules" ]; then
		echo "DKMS's hook installed /etc/udev/rules.d/60-gmem.rules as well"
		return 1
	fi
}

deb_man() {
	local page
	for page in man4/gmem.4 man2/ioctl_gmem.2; do
		ls -l "$CHROOT/usr/share/man/$page.gz" &&
			zcat "$CHROOT/usr/share/man/$page.gz" | cmp - "$GMEM_TOP/man/${page#*/}" ||
			return 1
	done
	ls -l "$CHROOT"/usr/share/doc/gmem-*/copyright
}

# A program built against the installed <linux/gmem.h> with the chroot's
# compiler (the one the kernel's headers brought: gcc-N), then run.
deb_header() {
	local c=/tmp/gmem-header.c cc
	cc=$(in_chroot sh -c 'command -v gcc || ls /usr/bin/gcc-[0-9]* | sort -V | tail -n1')
	[ -n "$cc" ] || { echo "no gcc in the chroot"; return 1; }
	cat >"$CHROOT$c" <<-'EOF'
		#include <stdio.h>
		#include <sys/ioctl.h>
		#include <linux/gmem.h>

		int main(void)
		{
			struct gmem_create create = { .size = sizeof(create) };
			struct gmem_features features = { .size = sizeof(features) };

			printf("GMEM_CREATE %#lx, GMEM_FEATURES %#lx\n",
			       (unsigned long)GMEM_CREATE, (unsigned long)GMEM_FEATURES);
			printf("struct gmem_create %u bytes, struct gmem_features %u\n",
			       create.size, features.size);
			return create.size != GMEM_CREATE_SIZE_VER1 ||
			       features.size != GMEM_FEATURES_SIZE_VER2;
		}
	EOF
	echo "$cc"
	in_chroot "$cc" -Wall -Wextra -Werror -o /tmp/gmem-header "$c" &&
		in_chroot /tmp/gmem-header
}

deb_preload() {
	local lib=/usr/lib/gmem/libgmem-preload.so out
	in_chroot dpkg -S "$lib" | grep -x "gmem-preload: $lib" || return 1
	in_chroot ldd "$lib" || return 1
	! in_chroot ldd "$lib" | grep 'not found' || return 1
	out=$(in_chroot env LD_PRELOAD="$lib" /bin/true 2>&1) || return 1
	echo "LD_PRELOAD=$lib /bin/true: '$out'"
	[ -z "$out" ]
}

# Nothing of the packages left: no file dpkg -L listed (directories others
# share may stay), nothing registered with DKMS, no module, index entry or
# udev rule.
deb_gone() {
	local s f left=0 m=$CHROOT$moddir
	s=$(in_chroot dkms status gmem) || return 1
	echo "dkms status gmem: '$s'"
	while IFS= read -r f; do
		if [ -e "$CHROOT$f" ] && [ ! -d "$CHROOT$f" ]; then
			echo "left behind: $f"
			left=1
		fi
	done <"$out/deb-files.list"
	[ $left -eq 0 ] && [ -z "$s" ] && [ -z "$(installed_ko)" ] &&
		! grep -qsw gmem "$m/modules.dep" "$m/modules.alias" "$m/modules.devname" &&
		[ ! -e "$CHROOT/usr/src/gmem-$version" ] && [ ! -e "$CHROOT/usr/lib/gmem" ] &&
		[ ! -e "$CHROOT/etc/udev/rules.d/60-gmem.rules" ]
}
deb_removed() {
	in_chroot apt-get -q -y remove "${deb_pkgs[@]}" && deb_gone
}
# The packages keep no configuration (no conffiles, nothing their
# maintainer scripts leave), so remove left them purged already: dpkg
# --purge (what apt purge runs; apt itself no longer knows them here, the
# chroot having no package lists) has nothing left to do.
deb_purged() {
	local st
	in_chroot dpkg --purge "${deb_pkgs[@]}" || return 1
	# shellcheck disable=SC2016 # dpkg-query's format
	st=$(in_chroot dpkg-query -W -f '${db:Status-Abbrev}${Package}\n' 'gmem*' 2>/dev/null || true)
	echo "dpkg-query -W 'gmem*': '$st'"
	deb_gone && [ ! -e "$CHROOT/var/lib/dkms/gmem" ] &&
		! grep -v '^un ' <<<"$st" | grep -q .
}

check "apt install ./gmem-dkms ./gmem-dev ./gmem-preload ($(basename "${deb_files[0]}" | cut -d_ -f2)) through $suite's apt configuration; DKMS builds for $KVER (dkms $dkms_version)" \
	deb_install
check "dkms status: gmem/$version installed for $KVER (the package's postinst)" status_installed
check "DKMS installed $moddir/updates/dkms/gmem.ko*, modinfo version $version" module_installed
check "DKMS's depmod: modules.dep, devname:gmem and char-major-10-246 aliases, modules.devname" indexes
check "udev rule /usr/lib/udev/rules.d/60-gmem.rules is gmem-dkms's; DKMS's hook added none in /etc" deb_rule
udev_verify_check /usr/lib/udev/rules.d/60-gmem.rules
check "man pages gmem(4) and ioctl_gmem(2) in /usr/share/man, copyright files" deb_man
check "<linux/gmem.h> from gmem-dev: a C program builds against it and runs" deb_header
check "/usr/lib/gmem/libgmem-preload.so from gmem-preload: its libraries resolve, LD_PRELOAD works" deb_preload
save_tree
check "apt remove gmem-dkms gmem-dev gmem-preload: no file, DKMS entry, module, index entry or udev rule left" \
	deb_removed
check "dpkg --purge: dpkg knows no gmem package, not even its configuration; /var/lib/dkms/gmem gone" deb_purged
rm -rf "${CHROOT:?}$deb_dir" "${CHROOT:?}/tmp/gmem-header" "${CHROOT:?}/tmp/gmem-header.c"
