// SPDX-License-Identifier: GPL-2.0
/*
 * vqchar_leak_canary: leaks one allocation on load, on purpose.
 *
 * The debug guest of "make check" loads it before the tests and expects
 * kmemleak's closing scans to report this object and nothing else.  A
 * run whose scans miss the canary fails: a leak check that cannot see a
 * leak proves nothing.  The module has no exit function, so it stays
 * loaded and the report's backtrace still names it.
 */
#include <linux/module.h>
#include <linux/slab.h>

#define VQCHAR_CANARY_BYTES	64

static noinline int vqchar_leak_canary_leak(void)
{
	/* Zeroed, so its checksum is the same on every scan. */
	void *canary = kzalloc(VQCHAR_CANARY_BYTES, GFP_KERNEL);

	return canary ? 0 : -ENOMEM;
}

static int __init vqchar_leak_canary_init(void)
{
	return vqchar_leak_canary_leak();
}
module_init(vqchar_leak_canary_init);

MODULE_DESCRIPTION("vqchar test harness: one deliberate leak for kmemleak to find");
MODULE_LICENSE("GPL");
