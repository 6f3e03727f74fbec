# SPDX-License-Identifier: GPL-2.0
#
# gmem-vmm, the KVM end-to-end tests (vmm/): included by tests/Makefile,
# whose CC, CFLAGS, OBJ, BIN and objs it uses.  The nested guest's code
# (vmm/guest.S, 16-bit) is assembled into the binary as data.

VMM_SRCS := vmm/main.c vmm/stock.c vmm/e2e.c vmm/huge.c vmm/teardown.c \
	    vmm/only.c vmm/smp.c vmm/restore.c vmm/modules.c vmm/common.c vmm/vm.c lib/harness.c lib/sys.c lib/numa.c

all: $(BIN)/gmem-vmm

$(BIN)/gmem-vmm: $(call objs,$(VMM_SRCS)) $(OBJ)/vmm/guest.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread

# gmem_test.h, the test consumer's ioctls (the poison test asks it a pfn).
$(OBJ)/vmm/%.o: CFLAGS += -I$(CURDIR)/consumer

$(OBJ)/vmm/%.o: vmm/%.S
	@mkdir -p $(@D)
	$(CC) -MMD -MP -c -o $@ $<
