/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vqchar internals: queue objects, their memory regions and the in-kernel
 * devices that consume them.  main.c turns ioctls into calls of these.
 */
#ifndef VQCHAR_QUEUE_H
#define VQCHAR_QUEUE_H

#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/vqchar.h>

#include "vq_split.h"

/* Chains one worker run consumes before it requeues itself. */
#define VQCHAR_BATCH		64
/* Bytes one worker run copies before it requeues itself. */
#define VQCHAR_BATCH_BYTES	(16ULL << 20)
/* Segments of one chain a device takes (UIO_MAXIOV, as vhost). */
#define VQCHAR_MAX_SEGS		VQCHAR_MAX_CHAIN_SEGS

/*
 * mmap offsets: the region's byte offset in the low 32 bits, the region id
 * in bit 32, the queue id above.  Queue ids stay below 2^11 so that a
 * 32-bit process (mmap2 takes a 32-bit page offset) can map every queue.
 */
#define VQCHAR_MMAP_REGION_SHIFT	32
#define VQCHAR_MMAP_QUEUE_SHIFT		33
#define VQCHAR_MAX_REGION_BYTES		BIT_ULL(VQCHAR_MMAP_REGION_SHIFT)
#define VQCHAR_MAX_QUEUES		BIT(11)

/**
 * struct vqchar_mem - pages shared between the kernel and userspace
 * @pages: the pages, each allocated alone so mappings can hold them
 * @nr_pages: entries in @pages
 * @vaddr: the pages mapped contiguously in the kernel (vmap)
 * @size: @nr_pages * PAGE_SIZE
 */
struct vqchar_mem {
	struct page **pages;
	unsigned long nr_pages;
	void *vaddr;
	size_t size;
};

int vqchar_mem_alloc(struct vqchar_mem *m, u64 bytes);
void vqchar_mem_free(struct vqchar_mem *m);
int vqchar_mem_mmap(const struct vqchar_mem *m, struct vm_area_struct *vma,
		    unsigned long first_page);
u64 vqchar_mmap_offset(u32 queue_id, u32 region);
int vqchar_mmap_decode(unsigned long pgoff, u32 *queue_id, u32 *region,
		       unsigned long *first_page);

/**
 * struct vqchar_queue_params - what a queue is created with
 * @num: ring size
 * @device: VQCHAR_DEV_*
 * @features: VQCHAR_F_*
 * @buf_count: buffers in the pool
 * @buf_size: bytes per buffer
 * @max_pool_bytes: the largest pool allowed
 * @io_base: I/O address of the pool's first byte
 * @wq: the workqueue the device's worker runs on
 */
struct vqchar_queue_params {
	u32 num;
	u32 device;
	u64 features;
	u32 buf_count;
	u32 buf_size;
	u64 max_pool_bytes;
	u64 io_base;
	struct workqueue_struct *wq;
};

/**
 * struct vqchar_queue - one split virtqueue with its ring, pool and device
 * @ref: held by the context's queue table and by each user looking at the
 *	queue outside vqchar_ctx.lock; the last put frees the queue
 * @id: index in the context's queue table
 * @num: ring size
 * @device: VQCHAR_DEV_*
 * @features: VQCHAR_F_* enabled on the ring
 * @buf_count: buffers in the pool
 * @buf_size: bytes per buffer
 * @pool_bytes: @buf_count * @buf_size, the I/O address space descriptors use
 * @io_base: I/O address of the pool's first byte
 * @off: ring layout
 * @ring_mem: the ring region
 * @pool_mem: the pool region
 * @vr: the ring's fields in @ring_mem
 * @wq: where @work runs
 * @work: the device's worker, vqchar_queue_work()
 * @kick_file: the kick eventfd, or NULL
 * @kick_wqh: the wait queue @kick_wait is on, NULL while unhooked
 * @kick_wait: our entry on the kick eventfd's wait queue
 * @kick_pt: poll table used to find @kick_wqh
 * @call: eventfd signalled for used entries, or NULL
 * @err: eventfd signalled when the queue breaks, or NULL
 * @kicks: kicks received; counted in the wake callback, so atomic
 * @cancel: how many of stop and reset wait for the worker; while it is not
 *	zero a device busy with a huge chain gives up early.  Read without
 *	@lock.  Stop never gives its count back, so a reset racing with
 *	destroy cannot end destroy's cancel.
 * @lock: serialises the device side of the ring: the worker, reset and
 *	readers of the fields below.  Nests inside vqchar_ctx.lock.
 * @segs: scratch segments for vq_chain_walk(), VQCHAR_MAX_SEGS entries
 * @last_avail: next available ring position the device reads
 * @used_idx: the device's used index
 * @seq: chains consumed since create or reset (source pattern)
 * @broken: a ring error stopped the device until reset
 * @error: VQCHAR_ERR_* that broke the queue
 * @error_index: descriptor index or avail position of @error
 * @error_flags: VQCHAR_ERROR_F_* qualifying @error_index
 * @error_head: head of the chain that broke the queue
 * @chains: see struct vqchar_queue_stats, as the following
 * @bytes_read: bytes read from readable segments
 * @bytes_written: bytes written into writable segments
 * @calls: calls the device decided to send
 * @calls_suppressed: calls the driver suppressed
 * @batches: worker runs that consumed at least one chain
 * @errors: times the queue broke
 */
struct vqchar_queue {
	struct kref ref;
	u32 id;

	u32 num;
	u32 device;
	u64 features;
	u32 buf_count;
	u32 buf_size;
	u64 pool_bytes;
	u64 io_base;
	struct vqchar_ring_offsets off;
	struct vqchar_mem ring_mem;
	struct vqchar_mem pool_mem;
	struct vq_ring vr;

	struct workqueue_struct *wq;
	struct work_struct work;
	struct file *kick_file;
	wait_queue_head_t *kick_wqh;
	wait_queue_entry_t kick_wait;
	poll_table kick_pt;
	struct eventfd_ctx *call;
	struct eventfd_ctx *err;
	atomic64_t kicks;
	atomic_t cancel;

	/* Serialises the device side; the fields below are under it. */
	struct mutex lock;
	struct vq_seg *segs;
	u16 last_avail;
	u16 used_idx;
	u32 seq;
	bool broken;
	u32 error;
	u32 error_index;
	u32 error_flags;
	u32 error_head;
	u64 chains;
	u64 bytes_read;
	u64 bytes_written;
	u64 calls;
	u64 calls_suppressed;
	u64 batches;
	u64 errors;
};

struct vqchar_queue *vqchar_queue_alloc(const struct vqchar_queue_params *p);
void vqchar_queue_start(struct vqchar_queue *q);
void vqchar_queue_stop(struct vqchar_queue *q);
void vqchar_queue_put(struct vqchar_queue *q);
void vqchar_queue_reset(struct vqchar_queue *q);
bool vqchar_queue_run(struct vqchar_queue *q);
void vqchar_queue_get_stats(struct vqchar_queue *q, struct vqchar_queue_stats *s);
void vqchar_queue_get_status(struct vqchar_queue *q, struct vqchar_queue_status *s);
void vqchar_queue_get_info(const struct vqchar_queue *q, struct vqchar_queue_info *info);

/**
 * struct vqchar_io - bytes one chain moved
 * @read: bytes read from readable segments
 * @written: bytes written into writable segments (the used length)
 */
struct vqchar_io {
	u64 read;
	u32 written;
};

void vqchar_device_process(u32 device, u8 *pool, u32 seq, const struct vq_chain *c,
			   const atomic_t *cancel, struct vqchar_io *io);

#endif /* VQCHAR_QUEUE_H */
