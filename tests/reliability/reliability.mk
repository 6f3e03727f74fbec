# SPDX-License-Identifier: GPL-2.0
#
# The reliability programs, included by tests/Makefile (its CC, CFLAGS,
# OBJ, BIN and objs):
#   gmem-reliability      reliability/: memory cgroups, allocation failures
#   gmem-stress           stress/: threads and processes against a model
#   gmem-fuzz             fuzz/: randomized calls against the documented errnos
#   gmem-reliability-run  the guest side of the run (guest/init's
#                         gmem_mode=reliability)

RELIABILITY_SRCS := reliability/main.c reliability/memcg.c \
		    reliability/failinject.c \
		    lib/harness.c lib/sys.c lib/gmemfd.c lib/modctl.c lib/fault.c \
		    lib/numa.c
STRESS_SRCS := stress/stress.c lib/harness.c lib/sys.c lib/fault.c
FUZZ_SRCS := fuzz/fuzz.c lib/harness.c lib/sys.c lib/fault.c

all: $(BIN)/gmem-reliability $(BIN)/gmem-stress $(BIN)/gmem-fuzz \
     $(BIN)/gmem-reliability-run

$(BIN)/gmem-reliability: $(call objs,$(RELIABILITY_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(KMOD_LIBS)

$(BIN)/gmem-stress: $(call objs,$(STRESS_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread

$(BIN)/gmem-fuzz: $(call objs,$(FUZZ_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

$(BIN)/gmem-reliability-run: reliability/gmem-reliability-run
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(OBJ)/reliability/%.o: CFLAGS += -I$(CURDIR)/reliability
