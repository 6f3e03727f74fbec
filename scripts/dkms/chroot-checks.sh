# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2154 # $suite, $version, $moddir, $out ...: check-dkms's, which sources this
#
# Sourced by scripts/dkms/check-dkms: its tests in SUITE's chroot for gmem
# installed from the tree: `make dkms-install` (over an older version:
# the upgrade), what DKMS did, BUILD_EXCLUSIVE, signing, `make install
# DESTDIR=`, `make dkms-remove`.  Uses check-dkms's check, skip, in_chroot,
# save_tree, udev_verify_check and variables.

rule_installed() {
	ls -l "$CHROOT/etc/udev/rules.d/60-gmem.rules" &&
		cmp "$GMEM_TOP/packaging/60-gmem.rules" "$CHROOT/etc/udev/rules.d/60-gmem.rules"
}
# dkms.conf's regex, in the chroot's bash as DKMS itself matches it.
exclusive_regex() {
	# shellcheck disable=SC2016 # the inner bash expands $1, $k and the regex
	in_chroot bash -c '
		. "$1/dkms.conf"
		rc=0
		for k in 6.1.0-56-amd64 6.1.158 6.9.12 6.10.0 6.12.117+deb13-amd64 \
			6.19.1 7.0.0 7.2.13+deb14-amd64 9.9.0 10.0.0 12.3.4; do
			[[ $k =~ $BUILD_EXCLUSIVE_KERNEL ]] && echo "builds for $k" ||
				{ echo "WRONG: skips $k"; rc=1; }
		done
		for k in 2.6.32 3.16.0-6-amd64 4.19.0-27-amd64 5.10.0-35-amd64 \
			5.19.17 6.0.0-0.deb11.6-amd64 6.0.12 1.0; do
			[[ $k =~ $BUILD_EXCLUSIVE_KERNEL ]] && { echo "WRONG: builds for $k"; rc=1; } ||
				echo "skips $k"
		done
		exit $rc' sh "$src"
}
# DKMS on a too-old kernel: the suite's headers stand in for its build
# tree, since DKMS decides on the release string before it builds.
exclusive_build() {
	local rc=0 log
	log=$(in_chroot dkms build "gmem/$version" -k "$too_old" --kernelsourcedir "$KDIR" 2>&1) || rc=$?
	echo "$log"
	echo "dkms build exit status: $rc"
	[ $rc -eq 77 ] && grep -q 'BUILD_EXCLUSIVE directive' <<<"$log" &&
		status_lacks "$too_old"
}
exclusive_autoinstall() {
	local rc=0 log
	log=$(in_chroot dkms autoinstall -k "$too_old" --kernelsourcedir "$KDIR" 2>&1) || rc=$?
	echo "$log"
	echo "dkms autoinstall exit status: $rc"
	echo "expected: $autoinstall_rc"
	[ "$rc" -eq "$autoinstall_rc" ] &&
		grep -q 'BUILD_EXCLUSIVE directive' <<<"$log" &&
		status_lacks "$too_old"
}
make_install() {
	local d=/tmp/gmem-destdir
	rm -rf "${CHROOT:?}$d"
	in_chroot make -C "$src" install DESTDIR="$d" KERNELRELEASE="$KVER" -j"$(nproc)" || return 1
	(cd "$CHROOT$d" && find . -type f | sort)
	ls "$CHROOT$d$moddir"/extra/gmem.ko* &&
		cmp "$GMEM_TOP/packaging/60-gmem.rules" "$CHROOT$d/etc/udev/rules.d/60-gmem.rules" &&
		[ -z "$(installed_ko_in "$CHROOT$moddir/extra")" ]
}
installed_ko_in() { ls "$1"/gmem.ko* 2>/dev/null || true; }
removed() {
	local s m=$CHROOT$moddir
	s=$(in_chroot dkms status gmem) || return 1
	echo "dkms status gmem: '$s'"
	ls -la "$m/updates" 2>&1 || true
	[ -z "$s" ] && [ -z "$(installed_ko)" ] &&
		! grep -qsw gmem "$m/modules.dep" "$m/modules.alias" "$m/modules.devname" &&
		[ ! -e "$CHROOT/etc/udev/rules.d/60-gmem.rules" ] &&
		[ ! -e "$CHROOT/usr/src/gmem-$version" ]
}

if [ "${DKMS_UPGRADE:-1}" = 1 ]; then
	check "make dkms-install of an older gmem ($old_version) for $KVER" \
		in_chroot make -C "$old" dkms-install KERNELRELEASE="$KVER"
	check "make dkms-install $version over it: dkms add, build, install for $KVER (dkms $dkms_version)" \
		in_chroot make -C "$src" dkms-install KERNELRELEASE="$KVER"
	check "dkms status: gmem/$version installed for $KVER, $old_version gone" status_installed
else
	check "make dkms-install $version: dkms add, build, install for $KVER (dkms $dkms_version)" \
		in_chroot make -C "$src" dkms-install KERNELRELEASE="$KVER"
	check "dkms status: gmem/$version installed for $KVER" status_installed
fi
check "DKMS installed $moddir/updates/dkms/gmem.ko*, modinfo version $version" module_installed
check "DKMS's depmod: modules.dep, devname:gmem and char-major-10-246 aliases, modules.devname" indexes
check "DKMS POST_INSTALL put packaging/60-gmem.rules in /etc/udev/rules.d" rule_installed
udev_verify_check /etc/udev/rules.d/60-gmem.rules
check "BUILD_EXCLUSIVE_KERNEL matches 6.1 and newer only (bash =~, as DKMS)" exclusive_regex
check "dkms build for $too_old: skipped by BUILD_EXCLUSIVE (exit 77), nothing built" exclusive_build
# DKMS 3.0 (bookworm) counts that skip as a failed autoinstall (exit 11,
# and Debian's kernel postinst hook fails with it); 3.1 and later do not.
case "$dkms_version" in
3.0.*) autoinstall_rc=11 ;;
*) autoinstall_rc=0 ;;
esac
check "dkms autoinstall for $too_old: gmem skipped by BUILD_EXCLUSIVE, exit $autoinstall_rc (dkms $dkms_version)" \
	exclusive_autoinstall
save_tree

# DKMS's own signing, as DKMS does it once it has a MOK key: its openssl
# command for the key, the kernel's sign-file for the module.  Only the
# module.sig_enforce=1 guest uses it; nothing enrols that key there.
sign_as_dkms() {
	local mok=/tmp/gmem-mok ko hash
	command -v openssl || { echo "no openssl on the host to make the MOK key"; return 1; }
	rm -rf "${CHROOT:?}$mok"
	mkdir -p "$CHROOT$mok" "$out/signed"
	openssl req -new -x509 -nodes -days 36500 -subj "/CN=DKMS module signing key" \
		-newkey rsa:2048 -keyout "$CHROOT$mok/mok.key" \
		-outform DER -out "$CHROOT$mok/mok.pub" || return 1
	ko=$(ls "$out/tree$moddir"/updates/dkms/gmem.ko*)
	# shellcheck disable=SC2094 # reads $ko, writes the copy in $mok
	case "$ko" in
	*.xz) xz -dc ;;
	*.zst) zstd -qdc ;;
	*.gz) gzip -dc ;;
	*) cat ;;
	esac <"$ko" >"$CHROOT$mok/gmem.ko" || return 1
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "$CHROOT$KDIR/.config")
	echo "sign-file $hash $mok/mok.key $mok/mok.pub gmem.ko"
	in_chroot "$KDIR/scripts/sign-file" "$hash" "$mok/mok.key" "$mok/mok.pub" \
		"$mok/gmem.ko" || return 1
	in_chroot modinfo "$mok/gmem.ko" | grep -E '^(sig|signer)' || return 1
	[ "$(in_chroot modinfo -F signer "$mok/gmem.ko")" = "DKMS module signing key" ] &&
		cp "$CHROOT$mok/gmem.ko" "$out/signed/" && rm -rf "${CHROOT:?}$mok"
}
# What the module.sig_enforce=1 guest loads first: DKMS found no key to sign
# with (no openssl in the chroot to make one).
dkms_unsigned() {
	local ko
	ko=$(installed_ko)
	in_chroot modinfo "${ko#"$CHROOT"}" | grep -E '^(filename|sig|signer)'
	[ -z "$(in_chroot modinfo -F sig_id "${ko#"$CHROOT"}")" ]
}
if [ "${DKMS_SIG:-1}" = 1 ]; then
	check "DKMS's gmem.ko is unsigned (no openssl in the chroot: DKMS made no MOK key)" dkms_unsigned
fi
if [ "${DKMS_SIG:-1}" = 1 ]; then
	check "a copy of DKMS's gmem.ko signed as DKMS signs it (MOK key, sign-file)" sign_as_dkms
fi

if [ "${DKMS_MAKE_INSTALL:-1}" = 1 ]; then
	check "make install DESTDIR= KERNELRELEASE=$KVER: extra/gmem.ko*, etc/udev/rules.d/60-gmem.rules" make_install
fi
check "make dkms-remove: nothing registered; module, depmod entries, udev rule, sources gone" \
	in_chroot make -C "$src" dkms-remove
check "after make dkms-remove the chroot is as before" removed
rm -rf "${CHROOT:?}$old" "${CHROOT:?}/tmp/gmem-destdir"
