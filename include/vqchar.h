/* SPDX-License-Identifier: MIT */
/*
 * libvqchar: virtio split virtqueues for userspace.
 *
 * A struct vqchar_queue is one split virtqueue (descriptor table, available
 * ring, used ring), a pool of equally sized buffers that the descriptors
 * point into, and three eventfds: kick (driver -> device), call
 * (device -> driver) and err (the queue became broken).  Descriptor
 * addresses are byte offsets into the pool.
 *
 * The memory comes from one of two backends behind the same API:
 *  - VQCHAR_BACKEND_KERNEL: a queue of /dev/vqchar; the ring and the pool
 *    are kernel memory mapped into the process, the device is in the
 *    kernel (loopback, sink, source) or in another process (external).
 *  - VQCHAR_BACKEND_ANON: shared anonymous memory and eventfds owned by
 *    the library; no kernel module needed.  Used for tests and to hand the
 *    ring to vhost (see vqchar_queue_ring_addrs()).
 *
 * The library plays the driver: it offers chains of out (device-readable)
 * and in (device-writable) buffers, and takes them back once the device
 * has used them.  It keeps a private shadow of everything it wrote to the
 * ring and never trusts ring memory, which the device can rewrite at any
 * time.  The vqchar_dev_*() calls play the device, for userspace devices
 * and tests; they validate each chain with the same code as the kernel.
 *
 * Conventions: functions return 0, a count or an index on success and a
 * negative errno value on failure.  errno is never used to report errors
 * and may be clobbered.  The library never aborts and has no global state.
 *
 * Threading model, chosen when the queue is created:
 *  - shared (the default): driver calls on one queue serialise on a
 *    per-queue mutex and may be made from any thread; device calls
 *    serialise on a second, separate mutex, so one thread can be the
 *    driver and another the device of the same queue.
 *  - single issuer (VQCHAR_PARAMS_SINGLE_ISSUER, as io_uring's
 *    IORING_SETUP_SINGLE_ISSUER): one thread at a time makes the driver
 *    calls and one thread (possibly another) the device calls.  Offers,
 *    takes, frees, pops, pushes and notifies then take no lock and enter
 *    the kernel only to kick or call.
 * In both modes: several threads may block in the waiting calls at once
 * (shared mode), each is woken by what it waits for; blocked offers are
 * served in call order; a broken queue (either side, or the err eventfd)
 * fails every blocked call with -EIO; vqchar_queue_shutdown() fails them
 * with -ESHUTDOWN, from any thread.  Accessors of values fixed at setup
 * and vqchar_get_stats() are lock-free.
 */
#ifndef LIBVQCHAR_H
#define LIBVQCHAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <vqchar/vqchar_uapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Memory backends (struct vqchar_params.backend). */
#define VQCHAR_BACKEND_ANON	0
#define VQCHAR_BACKEND_KERNEL	1

/* struct vqchar_params.flags */
#define VQCHAR_PARAMS_DEV_FD	(1U << 0)	/* kernel: use @dev_fd */
/* One driver thread and one device thread: no locks on the hot path. */
#define VQCHAR_PARAMS_SINGLE_ISSUER (1U << 1)

/* The library's version: compile time, and vqchar_version() at run time. */
#define LIBVQCHAR_VERSION_MAJOR	1
#define LIBVQCHAR_VERSION_MINOR	1
#define LIBVQCHAR_VERSION_PATCH	0
#define LIBVQCHAR_VERSION \
	(LIBVQCHAR_VERSION_MAJOR * 10000 + LIBVQCHAR_VERSION_MINOR * 100 + LIBVQCHAR_VERSION_PATCH)

/**
 * struct vqchar_params - what vqchar_queue_create() builds
 * @backend: VQCHAR_BACKEND_*
 * @num: ring size, a power of two from 1 to VQCHAR_MAX_RING_SIZE
 * @buf_count: buffers in the pool (at least 1)
 * @buf_size: bytes per buffer (at least 1)
 * @features: VQCHAR_F_* to enable
 * @device: kernel backend only: VQCHAR_DEV_*; must be 0 for anon
 * @dev_fd: with VQCHAR_PARAMS_DEV_FD: an open /dev/vqchar to create the
 *	queue in (the library duplicates it); without, a new context is opened
 * @flags: VQCHAR_PARAMS_*
 * @poll_usecs: kernel backend, in-kernel devices: how long the device
 *	polls the available ring before it sleeps (create.poll_usecs); the
 *	kernel refuses more than its max_poll_usecs with -EINVAL.  Must be 0
 *	for anon.
 * @io_base: the I/O address of the pool's first byte: descriptors carry
 *	io_base + pool offset (queues with disjoint ranges can share one
 *	vhost memory table).  io_base + pool size must fit in
 *	64 bits, as the kernel requires (-EINVAL).
 * @reserved: must be 0
 *
 * Offsets 0-35 are as in libvqchar 1.0; @poll_usecs and @io_base took
 * the first three words of its reserved[5], so the size is unchanged.
 */
struct vqchar_params {
	uint32_t backend;
	uint32_t num;
	uint32_t buf_count;
	uint32_t buf_size;
	uint64_t features;
	uint32_t device;
	int32_t dev_fd;
	uint32_t flags;
	uint32_t poll_usecs;
	uint64_t io_base;
	uint32_t reserved[2];
};

/*
 * The part of a queue the inline helpers below read.  It is the first
 * member of struct vqchar_queue and belongs to the ABI; callers must not
 * write it.  @used_idx and @avail_idx point into ring memory (little
 * endian); @last_used and @last_avail are the driver's next used position
 * and the device's next available position, updated by the library.
 */
struct vqchar_queue_hot {
	const uint16_t *used_idx;
	const uint16_t *avail_idx;
	uint16_t last_used;
	uint16_t last_avail;
	uint32_t num;
};

struct vqchar_queue;

/* ------------------------------------------------------------------ */
/* Setup (setup.c)                                                      */
/* ------------------------------------------------------------------ */

/**
 * vqchar_queue_create() - create a queue and become its driver
 * @p: what to create
 * @qp: the new queue, on success
 *
 * Validates @p (bad ring size, empty pool, unknown backend, flags or
 * features: -EINVAL), then allocates the ring and the pool and creates the
 * kick, call and err eventfds.  On any failure part-way, everything
 * already set up is released and *@qp is left untouched.
 *
 * Return: 0 or -errno (-ENOENT when /dev/vqchar does not exist).
 * Thread safety: safe from any thread; no queue is shared yet.
 */
int vqchar_queue_create(const struct vqchar_params *p, struct vqchar_queue **qp);

/**
 * vqchar_queue_attach() - map an existing kernel queue to play its device
 * @dev_fd: an open /dev/vqchar holding the queue (e.g. received with
 *	SCM_RIGHTS); duplicated, the caller keeps its descriptor
 * @queue_id: the queue's id inside that open file (vqchar_queue_id())
 * @kick_fd: the queue's kick eventfd, or -1; duplicated
 * @call_fd: the queue's call eventfd, or -1; duplicated
 * @err_fd: the queue's err eventfd, or -1; duplicated
 * @qp: the new queue handle, on success
 *
 * Maps the ring and pool described by VQCHAR_IOC_QUEUE_INFO.  The handle
 * is for the vqchar_dev_*() calls and the accessors; driver calls on it
 * return -EPERM, as the driver's bookkeeping lives in the creator.
 * Closing the handle does not destroy the queue.
 *
 * Return: 0 or -errno.
 * Thread safety: safe from any thread.
 */
int vqchar_queue_attach(int dev_fd, uint32_t queue_id, int kick_fd, int call_fd,
			int err_fd, struct vqchar_queue **qp);

/**
 * vqchar_version() - the version of the library running
 *
 * Return: LIBVQCHAR_VERSION of the library the program was linked with
 * at run time (compare with the macro it was compiled with).
 */
int vqchar_version(void);

/**
 * vqchar_queue_shutdown() - wake and fail every blocked call, for good
 * @q: the queue
 *
 * Every call blocked in vqchar_wait_used(), vqchar_wait(), an offer with
 * VQCHAR_OFFER_WAIT or vqchar_dev_wait() returns -ESHUTDOWN, and so do
 * later offers and waits.  Nothing is released: takes, frees and the
 * device calls still work, so the owner can drain; vqchar_queue_close()
 * releases.
 *
 * Return: 0 or -errno (the wake eventfd could not be written).
 * Thread safety: any thread, at any time before vqchar_queue_close().
 */
int vqchar_queue_shutdown(struct vqchar_queue *q);

/**
 * vqchar_queue_close() - destroy (if created here) and release a queue
 * @q: the queue, or NULL
 *
 * Shuts the queue down (vqchar_queue_shutdown()), waits until every
 * blocked call has returned, then unmaps the ring and pool, closes the
 * library's descriptors and frees @q, even when a step fails.
 *
 * Return: 0, or the first error met.
 * Thread safety: other threads may be blocked in the waiting calls (they
 * return -ESHUTDOWN); no other call may be in progress or follow.
 */
int vqchar_queue_close(struct vqchar_queue *q);

/**
 * vqchar_queue_reset() - reset the queue to its just-created state
 * @q: a created (not attached) queue
 *
 * Resets the device (VQCHAR_IOC_RESET_QUEUE, or zeroes the anonymous ring),
 * drops every chain, wherever it is, returns their buffers to the pool and
 * clears the broken state of both sides.  Buffers taken with
 * vqchar_buf_get() stay with the caller.
 *
 * Return: 0 or -errno.
 * Thread safety: takes both locks; no offer may be blocked in
 * VQCHAR_OFFER_WAIT and no other thread may use chains of @q meanwhile.
 */
int vqchar_queue_reset(struct vqchar_queue *q);

/* ------------------------------------------------------------------ */
/* Accessors (setup.c): values fixed at setup, lock-free               */
/* ------------------------------------------------------------------ */

uint32_t vqchar_queue_num(const struct vqchar_queue *q);	/* ring size */
uint64_t vqchar_queue_features(const struct vqchar_queue *q);	/* VQCHAR_F_* */
uint32_t vqchar_queue_backend(const struct vqchar_queue *q);	/* VQCHAR_BACKEND_* */
uint32_t vqchar_queue_device(const struct vqchar_queue *q);	/* VQCHAR_DEV_* */
int vqchar_queue_kick_fd(const struct vqchar_queue *q);	/* -1 if none */
int vqchar_queue_call_fd(const struct vqchar_queue *q);	/* pollable, -1 if none */
int vqchar_queue_err_fd(const struct vqchar_queue *q);	/* -1 if none */
/* The /dev/vqchar descriptor (kernel backend) or -1, and the queue id. */
int vqchar_queue_dev_fd(const struct vqchar_queue *q);
uint32_t vqchar_queue_id(const struct vqchar_queue *q);
/* The ring region and the offsets of its parts (struct vqchar_ring_offsets). */
void *vqchar_queue_ring_base(const struct vqchar_queue *q);
size_t vqchar_queue_ring_bytes(const struct vqchar_queue *q);
void vqchar_queue_ring_offsets(const struct vqchar_queue *q, struct vqchar_ring_offsets *off);
/*
 * The descriptor table (struct vring_desc[num]), the available ring
 * (struct vring_avail, from its flags) and the used ring (struct
 * vring_used, from its flags), as <linux/virtio_ring.h> lays them out.
 */
void *vqchar_queue_desc(const struct vqchar_queue *q);
void *vqchar_queue_avail(const struct vqchar_queue *q);
void *vqchar_queue_used(const struct vqchar_queue *q);
/* The pool: its base (I/O address io_base), its size in bytes, its buffers. */
void *vqchar_queue_pool(const struct vqchar_queue *q);
/* The I/O address of the pool's first byte (struct vqchar_params.io_base). */
uint64_t vqchar_queue_io_base(const struct vqchar_queue *q);
/* Kernel backend: the queue's poll budget in microseconds; 0 otherwise. */
uint32_t vqchar_queue_poll_usecs(const struct vqchar_queue *q);
uint64_t vqchar_queue_pool_size(const struct vqchar_queue *q);
uint32_t vqchar_queue_buf_size(const struct vqchar_queue *q);
uint32_t vqchar_queue_buf_count(const struct vqchar_queue *q);

/**
 * struct vqchar_ring_addrs - what VHOST_SET_MEM_TABLE/VHOST_SET_VRING_*
 *	need to drive the queue from vhost
 * @num: VHOST_SET_VRING_NUM
 * @desc_user_addr: process address of the descriptor table
 * @avail_user_addr: process address of the available ring
 * @used_user_addr: process address of the used ring
 * @pool_user_addr: process address of the pool, whose I/O address is
 *	vqchar_queue_io_base() (guest_phys_addr of its memory region)
 * @pool_size: memory region size for VHOST_SET_MEM_TABLE
 * @features: VQCHAR_F_*, which are the virtio ring feature bits
 */
struct vqchar_ring_addrs {
	uint32_t num;
	uint32_t pad;
	uint64_t desc_user_addr;
	uint64_t avail_user_addr;
	uint64_t used_user_addr;
	uint64_t pool_user_addr;
	uint64_t pool_size;
	uint64_t features;
};

void vqchar_queue_ring_addrs(const struct vqchar_queue *q, struct vqchar_ring_addrs *a);

/* ------------------------------------------------------------------ */
/* Driver side (queue.c)                                               */
/* ------------------------------------------------------------------ */

/* Offer flags. */
#define VQCHAR_OFFER_WAIT	(1U << 0)	/* block while the queue is full */
#define VQCHAR_OFFER_NO_KICK	(1U << 1)	/* publish; kick later, vqchar_kick() */
#define VQCHAR_OFFER_NO_INDIRECT (1U << 2)	/* never use an indirect table */
#define VQCHAR_OFFER_INDIRECT	(1U << 3)	/* use one whenever the chain fits */

/*
 * Chains of at least this many segments go indirect when the ring has
 * VQCHAR_F_INDIRECT_DESC, the table fits one buffer and the buffer size is
 * a multiple of 16; shorter ones only when the table is short of
 * descriptors.
 */
#define VQCHAR_INDIRECT_MIN_SEGS 4

/**
 * vqchar_offer() - copy data into the pool and offer it to the device
 * @q: the queue
 * @out: device-readable data; each iovec is copied into as many pool
 *	buffers as it needs (one descriptor each); zero-length ones are skipped
 * @out_cnt: entries in @out
 * @in_bufs: device-writable descriptors to add, one whole buffer each
 * @flags: VQCHAR_OFFER_*
 *
 * The chain's head goes on the available ring and the device is kicked
 * unless it asked not to be (VQ_USED_F_NO_NOTIFY or avail_event) or
 * VQCHAR_OFFER_NO_KICK is given.  Chains offered from several threads
 * reach the device in the order the calls took the queue lock.
 *
 * With VQCHAR_F_INDIRECT_DESC a chain goes indirect when it is long (or
 * longer than the free descriptors) and a pool buffer is left for the
 * table, else direct if that fits.  Blocked offers (VQCHAR_OFFER_WAIT)
 * are served in call order; while one is blocked, later offers queue
 * behind it, or fail with -ENOSPC without VQCHAR_OFFER_WAIT.
 *
 * Return: the chain's head (>= 0); -ENOSPC when the table or the pool is
 * full (without VQCHAR_OFFER_WAIT); -E2BIG when the chain fits neither
 * direct nor indirect even in an empty queue; -EINVAL for an empty chain
 * or bad flags; -EPERM on an attached queue; -EIO when the queue is
 * broken (also while blocked); -ESHUTDOWN after vqchar_queue_shutdown().
 * A kick that could not be written (-errno of write(2)) is returned
 * although the chain was offered: it comes back through the takes, and
 * vqchar_kick() tries the kick again.  Not counted in stats.kicks.
 * Thread safety: per the queue's mode.  On a single-issuer queue nothing
 * frees room while the issuer blocks, so VQCHAR_OFFER_WAIT ends only by
 * a break or a shutdown.
 */
int vqchar_offer(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
		 unsigned int in_bufs, unsigned int flags);

/**
 * vqchar_offer_timeout() - vqchar_offer() with VQCHAR_OFFER_WAIT, timed
 * @timeout_ms: as poll(): -1 forever, 0 do not wait
 *
 * Return: as vqchar_offer(), or -ETIMEDOUT.
 */
int vqchar_offer_timeout(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
			 unsigned int in_bufs, unsigned int flags, int timeout_ms);

/**
 * struct vqchar_chain_req - one chain of vqchar_offer_batch()
 * @out: as for vqchar_offer()
 * @out_cnt: as for vqchar_offer()
 * @in_bufs: as for vqchar_offer()
 */
struct vqchar_chain_req {
	const struct iovec *out;
	unsigned int out_cnt;
	unsigned int in_bufs;
};

/**
 * vqchar_offer_batch() - offer several chains with one publish and one kick
 * @q: the queue
 * @reqs: the chains, offered in order
 * @nr: entries in @reqs
 * @heads: receives each offered chain's head
 * @flags: VQCHAR_OFFER_*
 *
 * Stops at the first chain that does not fit.  With VQCHAR_OFFER_WAIT it
 * publishes (and kicks for) what it offered so far, then waits for room.
 *
 * Return: chains offered (> 0), or -errno if none was.
 */
int vqchar_offer_batch(struct vqchar_queue *q, const struct vqchar_chain_req *reqs,
		       unsigned int nr, unsigned int *heads, unsigned int flags);

/**
 * vqchar_kick() - kick the device for chains offered with NO_KICK
 * @q: the queue
 *
 * Return: 1 if the kick eventfd was signalled, 0 if the device had
 * suppressed kicks or nothing was published since the last kick, or -errno.
 */
int vqchar_kick(struct vqchar_queue *q);

/**
 * vqchar_buf_get() - take a free pool buffer to fill in place (zero copy)
 * @q: the queue
 * @data: receives the buffer's address (vqchar_queue_buf_size() bytes)
 *
 * Return: the buffer's index, or -ENOSPC, -EPERM.
 */
int vqchar_buf_get(struct vqchar_queue *q, void **data);

/* Give back a buffer from vqchar_buf_get() unused.  0 or -EINVAL. */
int vqchar_buf_put(struct vqchar_queue *q, unsigned int buf);

/**
 * struct vqchar_buf_seg - one filled buffer from vqchar_buf_get()
 * @buf: the buffer's index
 * @len: bytes filled, at most the buffer size
 */
struct vqchar_buf_seg {
	uint32_t buf;
	uint32_t len;
};

/**
 * vqchar_offer_bufs() - offer buffers filled in place, without a copy
 * @q: the queue
 * @out: buffers from vqchar_buf_get(), in order; they belong to the chain
 *	from now on and come back with vqchar_free()
 * @out_cnt: entries in @out
 * @in_bufs: device-writable buffers added by the library
 * @flags: VQCHAR_OFFER_*
 *
 * Return: as vqchar_offer(); -EINVAL if a buffer is not the caller's.  On
 * failure the caller still owns the @out buffers.
 */
int vqchar_offer_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *out,
		      unsigned int out_cnt, unsigned int in_bufs, unsigned int flags);

/**
 * struct vqchar_used - one chain the device has used
 * @head: the chain's head, as returned by the offer
 * @len: bytes the device wrote into the chain's in buffers
 */
struct vqchar_used {
	uint32_t head;
	uint32_t len;
};

/**
 * vqchar_take() - take one used chain, without blocking
 * @q: the queue
 * @len: receives the bytes written, may be NULL
 *
 * The chain stays allocated until vqchar_free().  A used entry that names
 * no chain with the device, or claims more bytes than its in buffers hold,
 * makes the queue broken.
 *
 * Return: the head, -EAGAIN when nothing is used, -EIO when broken.
 */
int vqchar_take(struct vqchar_queue *q, uint32_t *len);

/* Take up to @max used chains.  Return: the number taken (0 if none) or -EIO. */
int vqchar_take_batch(struct vqchar_queue *q, struct vqchar_used *used, unsigned int max);

/**
 * vqchar_wait_used() - wait until used chains are pending
 * @q: the queue
 * @timeout_ms: as poll(): -1 forever, 0 do not wait
 *
 * Returns at once when chains are pending.  Otherwise arms calls just
 * before sleeping (re-checking the used ring afterwards, so that none is
 * lost) and polls the call and err eventfds; when the last waiter leaves,
 * calls are disarmed again (virtqueue_enable_cb_prepare() /
 * virtqueue_disable_cb()), so a busy queue is not signalled per chain.
 * Several threads may wait at once: each returns once chains are pending.
 *
 * Return: the number pending (> 0), -ETIMEDOUT, -EIO when the queue is
 * broken (locally or signalled on the err eventfd), -ESHUTDOWN, or -errno.
 */
int vqchar_wait_used(struct vqchar_queue *q, int timeout_ms);

/*
 * vqchar_wait_used() then vqchar_take(), waiting again (within the same
 * timeout) when another thread took the chain first.  Return: the head or
 * -errno as vqchar_wait_used().
 */
int vqchar_wait(struct vqchar_queue *q, int timeout_ms, uint32_t *len);

/**
 * vqchar_enable_calls() - ask the device to signal the call eventfd
 * @q: the queue
 *
 * For event loops polling vqchar_queue_call_fd(): enable calls before
 * sleeping, disable them while draining (vqchar_disable_calls()).  Calls
 * are enabled when a queue is created.
 *
 * Return: the number of used chains already pending (the caller must take
 * them rather than sleep), or -errno.
 */
int vqchar_enable_calls(struct vqchar_queue *q);
/* Ask the device not to signal (a hint it may ignore).  0 or -errno. */
int vqchar_disable_calls(struct vqchar_queue *q);

/**
 * vqchar_chain_out() - the out buffers of a chain the caller owns
 * @q: the queue
 * @head: a head returned by an offer, not yet freed
 * @iov: receives up to @max entries pointing into the pool
 * @max: entries in @iov
 *
 * Return: the number of out segments (possibly more than @max, in which
 * case only @max were filled), or -EINVAL for an unknown head.
 */
int vqchar_chain_out(struct vqchar_queue *q, unsigned int head, struct iovec *iov,
		     unsigned int max);

/**
 * vqchar_chain_in() - the in buffers of a chain the caller owns
 * @q: the queue
 * @head: a head returned by an offer, not yet freed
 * @iov: receives up to @max entries pointing into the pool
 * @max: entries in @iov
 *
 * Once the chain was taken, the lengths cover exactly the bytes the device
 * wrote, in order; segments after them have length 0.  Before, they are
 * the buffers' capacity.
 *
 * Return: the number of in segments (possibly more than @max), or -EINVAL.
 */
int vqchar_chain_in(struct vqchar_queue *q, unsigned int head, struct iovec *iov,
		    unsigned int max);

/**
 * vqchar_free() - return a taken chain's descriptors and buffers
 * @q: the queue
 * @head: a head from vqchar_take()
 *
 * Wakes offers blocked on a full queue.
 *
 * Return: 0; -EINVAL for an unknown or already freed head; -EBUSY if the
 * chain is still with the device.
 */
int vqchar_free(struct vqchar_queue *q, unsigned int head);

/**
 * struct vqchar_stats - counters kept by the library for one queue
 * @offered: chains offered
 * @kicks: kick eventfd signals sent
 * @kicks_suppressed: kick decisions the device suppressed
 * @taken: used chains taken
 * @call_wakeups: waits woken by the call eventfd
 * @dev_popped: chains popped by vqchar_dev_pop()
 * @dev_calls: call eventfd signals sent by vqchar_dev_notify()
 * @dev_calls_suppressed: notifications the driver suppressed
 */
struct vqchar_stats {
	uint64_t offered;
	uint64_t kicks;
	uint64_t kicks_suppressed;
	uint64_t taken;
	uint64_t call_wakeups;
	uint64_t dev_popped;
	uint64_t dev_calls;
	uint64_t dev_calls_suppressed;
};

/* A snapshot of the counters, lock-free from any thread.  0 or -errno. */
int vqchar_get_stats(struct vqchar_queue *q, struct vqchar_stats *st);

/*
 * Kernel backend only: the kernel's counters and state of this queue
 * (VQCHAR_IOC_QUEUE_STATS / VQCHAR_IOC_QUEUE_STATUS).  -EOPNOTSUPP on
 * the anonymous backend.  Lock-free.
 */
int vqchar_queue_kstats(const struct vqchar_queue *q, struct vqchar_queue_stats *st);
int vqchar_queue_kstatus(const struct vqchar_queue *q, struct vqchar_queue_status *st);

/* ------------------------------------------------------------------ */
/* Device side (device.c)                                              */
/* ------------------------------------------------------------------ */

/**
 * struct vqchar_dev_chain - an available chain popped by vqchar_dev_pop()
 * @head: pass to vqchar_dev_push()
 * @nr_out: device-readable segments, first in the iovec array
 * @nr_in: device-writable segments, after them
 * @out_bytes: bytes readable
 * @in_bytes: bytes writable
 */
struct vqchar_dev_chain {
	uint32_t head;
	uint32_t nr_out;
	uint32_t nr_in;
	uint32_t pad;
	uint64_t out_bytes;
	uint64_t in_bytes;
};

/**
 * vqchar_dev_pop() - pop and validate the next available chain
 * @q: the queue
 * @c: receives the chain
 * @iov: receives the chain's segments as addresses in the pool
 * @max_iov: entries in @iov: the most segments this device takes
 *
 * Each descriptor is read once and checked by the same code the kernel
 * devices use (vq_chain_walk()).  A chain that fails makes the queue
 * broken: the err eventfd is signalled and vqchar_dev_error() tells why.
 *
 * Return: 1 with a chain, 0 if none is available, -EIO when broken.
 */
int vqchar_dev_pop(struct vqchar_queue *q, struct vqchar_dev_chain *c, struct iovec *iov,
		   unsigned int max_iov);

/**
 * vqchar_dev_push() - return a chain to the driver
 * @q: the queue
 * @head: the chain's head
 * @len: bytes written into its writable segments
 *
 * Publishes the used entry at once; signal with vqchar_dev_notify().
 *
 * Return: 0, -EINVAL if @head >= num, -EIO when broken.
 */
int vqchar_dev_push(struct vqchar_queue *q, unsigned int head, uint32_t len);

/**
 * vqchar_dev_notify() - signal the call eventfd if the driver wants it
 * @q: the queue
 *
 * Respects VQ_AVAIL_F_NO_INTERRUPT / used_event for the entries pushed
 * since the last notification.
 *
 * Return: 1 if signalled, 0 if suppressed or nothing new, or -errno.
 */
int vqchar_dev_notify(struct vqchar_queue *q);

/*
 * Ask the driver to kick (returns the number of chains already available,
 * which the caller must pop rather than sleep) or not to kick (0).
 */
int vqchar_dev_enable_kicks(struct vqchar_queue *q);
int vqchar_dev_disable_kicks(struct vqchar_queue *q);

/**
 * vqchar_dev_wait() - wait for available chains
 * @q: the queue
 * @timeout_ms: as poll()
 *
 * Enables kicks, re-checks, and polls the kick eventfd.  Several threads
 * may wait at once.
 *
 * Return: the number available (> 0), -ETIMEDOUT, -EIO when broken
 * (either side: the err eventfd fired), -ESHUTDOWN.
 */
int vqchar_dev_wait(struct vqchar_queue *q, int timeout_ms);

/**
 * vqchar_dev_error() - why the device side is broken
 * @q: the queue
 * @index: receives the descriptor index or avail idx involved, may be NULL
 *
 * Return: VQCHAR_ERR_NONE or the VQCHAR_ERR_* that broke it.
 */
unsigned int vqchar_dev_error(struct vqchar_queue *q, uint32_t *index);

/* ------------------------------------------------------------------ */
/* Inline hot-path helpers                                             */
/* ------------------------------------------------------------------ */

/*
 * C11 acquire/relaxed loads; C++ (no <stdatomic.h> before C++23) gets the
 * same orderings from the compiler builtins, as liburing's barrier.h does.
 */
#ifdef __cplusplus
#define __vqchar_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define __vqchar_load_relaxed(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#else
#include <stdatomic.h>
#define __vqchar_load_acquire(p) \
	atomic_load_explicit((const _Atomic __typeof__(*(p)) *)(p), memory_order_acquire)
#define __vqchar_load_relaxed(p) \
	atomic_load_explicit((const _Atomic __typeof__(*(p)) *)(p), memory_order_relaxed)
#endif

/* Ring fields are little endian; <endian.h>'s le16toh() needs _DEFAULT_SOURCE. */
static inline uint16_t __vqchar_le16(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

static inline const struct vqchar_queue_hot *__vqchar_hot(const struct vqchar_queue *q)
{
	return (const struct vqchar_queue_hot *)(const void *)q;
}

/**
 * vqchar_used_pending() - used chains not yet taken
 * @q: the queue
 *
 * The acquire pairs with the device's release of used->idx.  A hint: a
 * hostile device can make it exceed the ring size, vqchar_take() checks.
 * Thread safety: lock-free, from any thread.
 */
static inline unsigned int vqchar_used_pending(const struct vqchar_queue *q)
{
	const struct vqchar_queue_hot *h = __vqchar_hot(q);
	uint16_t idx = __vqchar_le16(__vqchar_load_acquire(h->used_idx));
	uint16_t last = __vqchar_load_relaxed(&h->last_used);

	return (uint16_t)(idx - last);
}

/**
 * vqchar_dev_avail_pending() - available chains the device has not popped
 * @q: the queue
 *
 * The acquire pairs with the driver's release of avail->idx.  A hint, as
 * above; vqchar_dev_pop() checks.  Thread safety: lock-free.
 */
static inline unsigned int vqchar_dev_avail_pending(const struct vqchar_queue *q)
{
	const struct vqchar_queue_hot *h = __vqchar_hot(q);
	uint16_t idx = __vqchar_le16(__vqchar_load_acquire(h->avail_idx));
	uint16_t last = __vqchar_load_relaxed(&h->last_avail);

	return (uint16_t)(idx - last);
}

#ifdef __cplusplus
}
#endif

#endif /* LIBVQCHAR_H */
