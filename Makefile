# SPDX-License-Identifier: GPL-2.0
#
# User entry point.  Kbuild (beside this file) is what the kernel's build
# system reads; this Makefile only drives it, so DKMS or anyone else passing
# KERNELRELEASE= on the command line cannot confuse the module build.

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
PWD := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Suites whose stock kernels the test run boots; `make check KERNELS=sid`
# runs a subset.
KERNELS ?= bookworm trixie sid

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

# The test consumer module, linked against gmem.ko's exported symbols.
test-modules: modules
	$(MAKE) -C $(KDIR) M=$(PWD)/tests/consumer \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	$(MAKE) -C $(KDIR) M=$(PWD)/tests/consumer clean
	$(MAKE) -C tests clean
	$(MAKE) -C preload clean

# Installing on a real machine (Documentation/install.rst).  The
# version is dkms.conf's PACKAGE_VERSION, as for MODULE_VERSION.
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(PWD)/dkms.conf)
DKMS ?= dkms
DKMS_SRC := /usr/src/gmem-$(VERSION)
# What DKMS needs to build and install gmem, udev rule and hook included.
DKMS_FILES := Kbuild Makefile dkms.conf module include packaging
INSTALL_MOD_DIR ?= extra
UDEVRULESDIR ?= /etc/udev/rules.d

# gmem.ko to $(DESTDIR)/lib/modules/$(KERNELRELEASE)/$(INSTALL_MOD_DIR)
# (Kbuild's modules_install: it strips, signs and compresses as the kernel
# is configured to), the udev rule and the man pages (install-man);
# depmod when installing for real.
install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	install -D -m 0644 $(PWD)/packaging/60-gmem.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-gmem.rules
	$(MAKE) -C $(PWD) install-man
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KERNELRELEASE); fi
	if [ -d $(PWD)/preload ] && command -v $(CC) >/dev/null 2>&1; then \
		$(MAKE) -C $(PWD)/preload install DESTDIR=$(DESTDIR) prefix=$(prefix); \
	else \
		echo "libgmem-preload.so not installed: no preload/ or no $(CC)"; \
	fi

# libgmem-preload.so, the LD_PRELOAD library that puts an unmodified VMM's
# guest_memfds on gmem (Documentation/kvm.rst); `make install` puts
# it in $(DESTDIR)$(prefix)/lib/gmem/ where a C compiler and preload/ are
# at hand (a DKMS source tree has only the module).
prefix ?= /usr/local
mandir ?= $(prefix)/share/man
preload:
	$(MAKE) -C $(PWD)/preload

# The man pages ioctl_gmem(2) and gmem(4) under $(DESTDIR)$(mandir), for
# install and dkms-install (not from a DKMS source tree, which has no man/);
# uninstall-man takes them out again, for dkms-remove.
MANPAGES := ioctl_gmem.2 gmem.4
install-man:
	if [ -d $(PWD)/man ]; then \
		for p in $(MANPAGES); do \
			install -D -m 0644 $(PWD)/man/$$p \
				$(DESTDIR)$(mandir)/man$${p##*.}/$$p || exit; \
		done; \
	else \
		echo "man pages not installed: no man/"; \
	fi

uninstall-man:
	for p in $(MANPAGES); do \
		rm -f $(DESTDIR)$(mandir)/man$${p##*.}/$$p; \
	done

# For programs that use /dev/gmem: the uAPI header as
# $(DESTDIR)$(includedir)/linux/gmem.h (#include <linux/gmem.h>) and its
# manual, ioctl_gmem(2), under $(mandir).  `make install` leaves the
# header out: building the module needs none of it.
includedir ?= $(prefix)/include
install-headers:
	install -D -m 0644 $(PWD)/include/uapi/linux/gmem.h \
		$(DESTDIR)$(includedir)/linux/gmem.h
	install -D -m 0644 $(PWD)/man/ioctl_gmem.2 \
		$(DESTDIR)$(mandir)/man2/ioctl_gmem.2

# Register this tree with DKMS as gmem/$(VERSION), replacing any gmem
# version registered before (an upgrade), then build and install it for
# $(KERNELRELEASE); DKMS rebuilds it for every later kernel by itself.
# Then the man pages, as install does.  (Run from $(DKMS_SRC) itself, it
# registers that tree as it is, and has no man pages to install.)
dkms-install: dkms-remove
	if [ "$(PWD)" != "$(DKMS_SRC)" ]; then \
		rm -rf $(DKMS_SRC) && $(MAKE) -C $(PWD) install-dkms-source DESTDIR=; \
	fi
	$(DKMS) add gmem/$(VERSION)
	$(DKMS) build gmem/$(VERSION) -k $(KERNELRELEASE)
	$(DKMS) install gmem/$(VERSION) -k $(KERNELRELEASE)
	$(MAKE) -C $(PWD) install-man DESTDIR=

# What DKMS builds from, $(DKMS_FILES) without build products, copied to
# $(DESTDIR)$(DKMS_SRC); dkms-install and the Debian package (gmem-dkms)
# use it.
install-dkms-source:
	mkdir -p $(DESTDIR)$(DKMS_SRC)
	tar -C $(PWD) -c --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude='Module.symvers' \
		--exclude='modules.order' $(DKMS_FILES) | \
		tar -C $(DESTDIR)$(DKMS_SRC) --no-same-owner -x

# Every registered gmem version out of DKMS, every kernel, and its sources;
# then the man pages dkms-install (or install) put under $(mandir).
# ("dkms status" prints "gmem/V, ..." since DKMS 3, "gmem, V, ..." before.)
dkms-remove:
	set -e; for v in $$($(DKMS) status gmem | \
		sed -n 's,^gmem[/,] *\([^,:]*\)[,:].*,\1,p' | sort -u); do \
		$(DKMS) remove gmem/$$v --all; \
		[ "/usr/src/gmem-$$v" = "$(PWD)" ] || rm -rf /usr/src/gmem-$$v; \
	done
	$(MAKE) -C $(PWD) uninstall-man DESTDIR=

# Documentation/ as HTML (Sphinx, warnings as errors; the kernel-doc
# extension from Debian's linux-source-6.1) in $(HTMLDOCS_OUT), default
# $GMEM_CACHE/htmldocs.  make check runs it, with kernel-doc over every
# source and mandoc -Tlint over man/ (tests/host/check.sh).
htmldocs:
	scripts/docs html $(HTMLDOCS_OUT)

# Install the Debian packages that building and testing need.
deps:
	scripts/install-deps

# Boot the newest tier-1 kernel, load gmem and run the example program.
run:
	scripts/run-example

# The whole test suite: host checks plus every kernel in $(KERNELS).
check:
	scripts/check $(KERNELS)

# Only the Debian package stages of check: build the packages (bookworm's
# chroot, lintian), then per kernel in $(KERNELS) apt install, remove and
# purge in the suite's chroot and load the module in a guest.
check-deb:
	scripts/deb/check-deb $(KERNELS)

# Selftests, stress, fuzzing and allocation-failure injection on a kernel
# built with KASAN, lockdep, kmemleak and friends (Documentation/testing.rst,
# "Reliability"); separate from check: the kernel takes an hour to build.
check-debug:
	scripts/check-debug

# Debian's unmodified QEMU boots a Linux guest whose RAM is a gmem fd,
# under the stock KVM of each kernel in $(KERNELS) (Documentation/testing.rst,
# "Real clients"); separate from check: its own CI job, .ci/run-clients.
check-clients:
	scripts/clients/check-clients $(KERNELS)

# Benchmarks against memfd, hugetlbfs and guest_memfd in one guest boot of
# the newest kernel, and a nested guest's view of its memory and of a
# snapshot restored into it in a second boot with the patched KVM; not a
# test (Documentation/performance.rst).  BENCH_OUT=DIR picks the results
# directory.
bench:
	scripts/bench $(BENCH_OUT)

# The same parts, one repetition of 256 MiB per fd (128 MiB per VM in the
# guest and restore parts): a change's effect in a few minutes.  Noisier;
# results worth keeping come from bench.
bench-quick:
	BENCH_REPS=1 BENCH_SIZE_MB=256 BENCH_GUEST_MB=128 BENCH_RESTORE_MB=128 \
		scripts/bench $(BENCH_OUT)

# Mutation testing (tests/README.md); long, not part of check.
mutate:
	scripts/mutate $(MUTATE_ARGS)

.PHONY: bench bench-quick

.PHONY: all modules test-modules clean deps run check check-deb check-debug check-clients install preload \
	install-man uninstall-man install-headers htmldocs \
	dkms-install install-dkms-source dkms-remove
