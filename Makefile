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

# Install the Debian packages that building and testing need.
deps:
	scripts/install-deps

# Boot the newest tier-1 kernel, load gmem and run the example program.
run:
	scripts/run-example

# The whole test suite: host checks plus every kernel in $(KERNELS).
check:
	scripts/check $(KERNELS)

# Benchmarks against memfd, hugetlbfs and guest_memfd in one guest boot of
# the newest kernel; not a test (README.md "Performance").  BENCH_OUT=DIR
# picks the results directory.
bench:
	scripts/bench $(BENCH_OUT)

.PHONY: bench

.PHONY: all modules test-modules clean deps run check
