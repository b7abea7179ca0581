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
#include <linux/nospec.h>
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

#if defined(__SANITIZE_THREAD__)
#define VQ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VQ_TSAN 1
#endif
#endif

#ifndef VQ_TSAN
/* Shared memory: every access is a single, untorn load or store. */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* Acquire: later accesses stay after this load. */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
/* Release: earlier accesses stay before this store. */
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* Full barrier: orders stores before later loads too. */
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
/*
 * ThreadSanitizer does not model fences (gcc refuses them).  Making every
 * shared access sequentially consistent gives the store-then-load order
 * smp_mb() provides in the model TSan checks, so the race detector sees
 * exactly the synchronisation the fenced build relies on.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
/* Acquire, and more: seq_cst. */
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_SEQ_CST)
/* Release, and more: seq_cst. */
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
/* The seq_cst accesses above already order stores before later loads. */
#define smp_mb()		__atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

/* Keeps the compiler from re-reading shared memory behind a local copy. */
static inline void barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

/* Speculation hardening is a kernel concern; userspace indexes as is. */
#define array_index_nospec(index, size)	((void)(size), (index))
#endif

#endif /* VQ_COMPAT_H */
