/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces vqchar uses that changed between 6.1 and 6.12.
 * Each wrapper follows the newer interface.  Kbuild detects which one the
 * target kernel has from its headers (VQCHAR_HAVE_*), so a backported
 * interface is picked up whatever the version number says.
 */
#ifndef VQCHAR_COMPAT_H
#define VQCHAR_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>

/* eventfd_signal() lost its count argument in 6.8. */
static inline void vqchar_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef VQCHAR_HAVE_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* vma->vm_flags became read-only behind vm_flags_*() in 6.3. */
static inline void vqchar_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				       vm_flags_t clear)
{
#ifdef VQCHAR_HAVE_VM_FLAGS_MOD
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

#endif /* VQCHAR_COMPAT_H */
