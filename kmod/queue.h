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
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/vqchar.h>

#include "vq_split.h"

/* Chains one batch consumes before the worker publishes them. */
#define VQCHAR_BATCH		64
/* Bytes one batch copies before the worker publishes them. */
#define VQCHAR_BATCH_BYTES	(16ULL << 20)
/* The largest poll budget the module allows at all (1 s). */
#define VQCHAR_POLL_USECS_LIMIT	1000000
/* Spins of a polling worker between looks at the clock, stop and cancel. */
#define VQCHAR_POLL_SPINS	64
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
 * @vaddr: the pages mapped contiguously in the kernel (vmap), or NULL
 * @size: @nr_pages * PAGE_SIZE
 */
struct vqchar_mem {
	struct page **pages;
	unsigned long nr_pages;
	void *vaddr;
	size_t size;
};

int vqchar_mem_alloc(struct vqchar_mem *m, u64 bytes, bool kmap);
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
 * @poll_usecs: how long the worker polls a dry ring before it sleeps
 * @max_locked_pages: pages all queues of the module may hold together
 */
struct vqchar_queue_params {
	u32 num;
	u32 device;
	u64 features;
	u32 buf_count;
	u32 buf_size;
	u64 max_pool_bytes;
	u64 io_base;
	u32 poll_usecs;
	unsigned long max_locked_pages;
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
 * @poll_usecs: poll budget of the worker, 0 for none
 * @off: ring layout
 * @ring_mem: the ring region
 * @pool_mem: the pool region (not mapped in the kernel for external queues)
 * @vr: the ring's fields in @ring_mem
 * @user: the creator's user, charged @locked_pages; NULL when not charged
 *	(CAP_IPC_LOCK)
 * @locked_pages: ring and pool pages charged to the module-wide limit
 * @worker: the device's worker task, made a member of the creator's
 *	cgroups so they see and limit its CPU time; NULL for external queues
 * @worker_flags: VQCHAR_WORKER_PENDING: a kick arrived since the worker
 *	last looked at the ring
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
 * @lock: serialises the device side of the ring: the worker and reset.
 *	Only they take it, and both make the other give it up soon (reset
 *	raises @cancel, which the device checks every VQCHAR_CHUNK bytes),
 *	so nobody waits behind a long chain.  Nests inside nothing.
 * @segs: scratch segments for vq_chain_walk(), VQCHAR_MAX_SEGS entries
 * @last_avail: next available ring position the device reads
 * @used_idx: the device's used index
 * @seq: chains consumed since create or reset (source pattern)
 * @broken: a ring error stopped the device until reset; written under
 *	both @lock and @stat_lock
 * @stat_lock: the snapshot below, which readers (STATS, STATUS, fdinfo)
 *	take instead of @lock: the worker updates it once per batch
 * @st: the statistics, as struct vqchar_queue_stats
 * @st.avail: @last_avail as of the last batch
 * @st.used: @used_idx as of the last batch
 * @st.error: VQCHAR_ERR_* that broke the queue
 * @st.error_index: descriptor index or avail position of @st.error
 * @st.error_flags: VQCHAR_ERROR_F_* qualifying @st.error_index
 * @st.error_head: head of the chain that broke the queue
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
	u32 poll_usecs;
	struct vqchar_ring_offsets off;
	struct vqchar_mem ring_mem;
	struct vqchar_mem pool_mem;
	struct vq_ring vr;
	struct user_struct *user;
	unsigned long locked_pages;

	struct task_struct *worker;
	unsigned long worker_flags;
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

	/* The readers' snapshot, see above. */
	spinlock_t stat_lock;
	struct {
		u64 chains;
		u64 bytes_read;
		u64 bytes_written;
		u64 calls;
		u64 calls_suppressed;
		u64 batches;
		u64 errors;
		u64 polled;
		u16 avail;
		u16 used;
		u32 error;
		u32 error_index;
		u32 error_flags;
		u32 error_head;
	} st;
};

#define VQCHAR_WORKER_PENDING	0

struct vqchar_queue *vqchar_queue_alloc(const struct vqchar_queue_params *p);
void vqchar_queue_start(struct vqchar_queue *q);
void vqchar_queue_stop(struct vqchar_queue *q);
void vqchar_queue_put(struct vqchar_queue *q);
void vqchar_queue_reset(struct vqchar_queue *q);
/* What vqchar_queue_run() left for the worker to do. */
enum vqchar_run {
	VQCHAR_RUN_IDLE,	/* ring empty (kicks on), broken or cancelled */
	VQCHAR_RUN_MORE,	/* the batch ended with chains left */
	VQCHAR_RUN_DRY,		/* ring empty, kicks still off: poll it */
};

enum vqchar_run vqchar_queue_run(struct vqchar_queue *q, bool poll);
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
