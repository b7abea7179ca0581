/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The handful of kernel primitives vq_split.h and vq_chain.c use, for both
 * builds: the kernel's own inside the module, C11 atomics in libvqchar.
 */
#ifndef VQ_COMPAT_H
#define VQ_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/string.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>
#else
#include <endian.h>
#include <stdbool.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define le16_to_cpu(x)	((u16)le16toh(x))
#define le32_to_cpu(x)	((u32)le32toh(x))
#define le64_to_cpu(x)	((u64)le64toh(x))
#define cpu_to_le16(x)	((__le16)htole16(x))
#define cpu_to_le32(x)	((__le32)htole32(x))
#define cpu_to_le64(x)	((__le64)htole64(x))

/* Shared memory: every access is a single, untorn load or store. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* Acquire: later accesses stay after this load. */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
/* Release: earlier accesses stay before this store. */
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* Full barrier: orders stores before later loads too. */
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#endif /* VQ_COMPAT_H */
