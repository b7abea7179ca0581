# SPDX-License-Identifier: GPL-2.0
#
# vqchar: the kernel module (kmod/, via Kbuild), libvqchar (lib/), the test
# programs and the test harness (tests/).
#
#   make              module + library
#   make check        the whole test suite (builds and boots test kernels)
#   make demo         boot a kernel and show a loopback round trip
#   make bench        ring throughput and signalling, as ratios to a baseline
#   make fuzz         the libFuzzer targets, FUZZ_SECONDS (600) each
#   make install      install libvqchar, its header and pkg-config file
#   make deb          Debian packages; make dkms-install/dkms-remove (packaging.mk)
#
# KDIR selects the kernel to build the module against: the running kernel's
# build directory when it exists, else the project's debug test kernel
# (built and cached by tests/harness/kernel.sh).

KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else tests/harness/kernel.sh; fi)

CC ?= gcc
BUILD := build
# The vendored kselftest harness is not clean under -Wextra: it is a system
# include here, and its macros need the three -Wno- below.
TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread \
	-Wno-clobbered -Wno-sign-compare -Wno-unused-parameter \
	-Iinclude/uapi -Iinclude -Icommon -isystem tests/include -Itests/vm

# tests/vm/NAME.c: raw-ABI tests; tests/vm/lib_NAME.c: tests through
# libvqchar (and the vhost-net example); tests/vm/NAME.sh: shell tests.
# All run inside the test guest, so all are static.
VM_RAW_SRCS := $(filter-out tests/vm/lib_%,$(wildcard tests/vm/*.c))
VM_LIB_SRCS := $(wildcard tests/vm/lib_*.c)
VM_TESTS := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,$(VM_RAW_SRCS)) \
	$(patsubst %.c,$(BUILD)/tests/vm/%,$(notdir $(VM_LIB_SRCS))) \
	$(patsubst tests/vm/%.sh,$(BUILD)/tests/vm/%.sh,$(wildcard tests/vm/*.sh))
LIBA := $(BUILD)/lib/libvqchar.a
EXAMPLE_SRCS := $(filter-out examples/%_main.c,$(wildcard examples/*.c))
# Programs the guest carries in /bin: vqctl, the examples.
GUEST_BINS := $(BUILD)/tools/vqctl $(patsubst examples/%_main.c,$(BUILD)/examples/%,$(wildcard examples/*_main.c))

# The bench guest's programs (tests/bench/ring_bench.sh), carried by the
# test guests too, where tests/vm/bench_smoke.sh runs them tiny.
BENCH_BINS := $(BUILD)/tools/vqchar-bench $(BUILD)/tools/bench_rounds.sh $(BUILD)/tools/lib_ringbench

.PHONY: all module lib vm-tests check demo bench fuzz install clean

all: module lib

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	$(MAKE) -C lib

vm-tests: $(VM_TESTS) $(GUEST_BINS) $(BUILD)/examples/vqchar-demo $(BENCH_BINS)

$(BUILD)/tests/vm/%: tests/vm/%.c common/vq_chain.c common/vq_split.h include/uapi/linux/vqchar.h $(wildcard tests/vm/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -static $< common/vq_chain.c -o $@

$(BUILD)/tests/vm/lib_%: tests/vm/lib_%.c $(EXAMPLE_SRCS) $(wildcard examples/*.h tests/vm/lib_*.h) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Iexamples -static $< $(EXAMPLE_SRCS) $(LIBA) -o $@

$(BUILD)/tests/vm/%.sh: tests/vm/%.sh
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/tools/vqctl: tools/vqctl/*.c $(wildcard tools/vqctl/*.h) $(EXAMPLE_SRCS) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Iexamples -static $(wildcard tools/vqctl/*.c) $(EXAMPLE_SRCS) $(LIBA) -o $@

$(BUILD)/examples/%: examples/%_main.c $(EXAMPLE_SRCS) $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Iexamples -static $< $(EXAMPLE_SRCS) $(LIBA) -o $@

$(BUILD)/examples/vqchar-demo: examples/demo.sh
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/tools/vqchar-bench: tests/bench/ring_bench.sh
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/tools/bench_rounds.sh: tests/bench/bench_rounds.sh
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/tools/lib_ringbench: tests/bench/lib_ringbench.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -static $< $(LIBA) -o $@

$(LIBA): lib

check:
	tests/harness/check.sh

demo:
	tests/harness/demo.sh

bench:
	tests/harness/bench.sh

fuzz:
	tests/fuzz/run.sh fuzz

install:
	$(MAKE) -C lib install

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C lib clean
	find kmod common tests -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
		-o -name '.*.cmd' | xargs rm -f
	rm -f Module.symvers modules.order .*.cmd .module-common.o

include packaging.mk
