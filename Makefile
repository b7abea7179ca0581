# SPDX-License-Identifier: GPL-2.0
#
# vqchar: the kernel module (kmod/, via Kbuild), libvqchar (lib/), the test
# programs and the test harness (tests/).
#
#   make              module + library
#   make check        the whole test suite (builds and boots test kernels)
#   make demo         boot a kernel and show a loopback round trip
#   make install      install libvqchar, its header and pkg-config file
#
# KDIR selects the kernel to build the module against: the running kernel's
# build directory when it exists, else the project's debug test kernel
# (built and cached by tests/harness/kernel.sh).

KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else tests/harness/kernel.sh; fi)

CC ?= gcc
BUILD := build
TEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread \
	-Iinclude/uapi -Iinclude -Icommon -Itests/include -Itests/vm

VM_TEST_SRCS := $(wildcard tests/vm/*.c)
VM_TESTS := $(patsubst tests/vm/%.c,$(BUILD)/tests/vm/%,$(VM_TEST_SRCS))
# Library tests that need /dev/vqchar also run in the guest, linked static.
VM_LIB_TESTS := $(patsubst tests/host/%.c,$(BUILD)/tests/vm/%,$(wildcard tests/host/lib_kernel*.c))

.PHONY: all module lib vm-tests check demo install clean

all: module lib

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

lib:
	$(MAKE) -C lib

vm-tests: $(VM_TESTS) $(VM_LIB_TESTS)

$(BUILD)/tests/vm/%: tests/vm/%.c common/vq_chain.c common/vq_split.h include/uapi/linux/vqchar.h $(wildcard tests/vm/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -static $< common/vq_chain.c -o $@

$(BUILD)/tests/vm/lib_%: tests/host/lib_%.c lib
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -static $< $(BUILD)/lib/libvqchar.a -o $@

check:
	tests/harness/check.sh

demo:
	tests/harness/demo.sh

install:
	$(MAKE) -C lib install

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C lib clean
	find kmod common tests -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
		-o -name '.*.cmd' | xargs rm -f
	rm -f Module.symvers modules.order
