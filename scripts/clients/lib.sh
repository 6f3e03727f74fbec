# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the L1 guests that run Debian's QEMU (scripts/clients/check-clients,
# scripts/bench's qemu part) need beside QEMU's own tree (qemu-fetch).

# gmem_l2_tree DIR VMLINUZ CLIENTS: fills DIR/qemu/, to be packed after
# QEMU's archive (its paths lie below QEMU's root): the L2 guest's kernel
# (VMLINUZ) and initramfs (l2-init alone, as /init) under l2/,
# libgmem-preload.so under usr/lib/gmem/, both from CLIENTS (the output
# of make -C tests/clients), and qemu-version, from qemu-fetch's
# QEMU_VERSION and QEMU_SUITE.
gmem_l2_tree() {
	local dir=$1/qemu root
	mkdir -p "$dir/l2" "$dir/usr/lib/gmem"
	cp "$2" "$dir/l2/vmlinuz"
	root=$(mktemp -d)
	mkdir -p "$root/dev"
	install -m 0755 "$3/l2-init" "$root/init"
	mknod -m 600 "$root/dev/console" c 5 1
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -6 >"$dir/l2/initramfs.cpio.gz"
	rm -rf "$root"
	cp "$3/libgmem-preload.so" "$dir/usr/lib/gmem/"
	echo "$QEMU_VERSION ($QEMU_SUITE)" >"$dir/qemu-version"
}
