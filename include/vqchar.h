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

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <vqchar/vqchar_uapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The per-chain calls are inline (as liburing's are): on a single-issuer
 * queue they run in the caller without a lock or a function call, and
 * enter the library only for a syscall or for anything out of the
 * ordinary.  The library itself compiles them once more with
 * VQCHAR_INLINE defined empty, so that every one of them is also an
 * exported symbol (for other languages, and for programs built against
 * libvqchar 1.1).
 */
#ifndef VQCHAR_INLINE
#define VQCHAR_INLINE static inline
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
#define LIBVQCHAR_VERSION_MINOR	2
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
 * Ring memory as the inline calls see it: the virtio 1.x split layout,
 * little endian.  The library checks at build time that this is the
 * layout of common/vq_split.h, the one the kernel uses.
 */
struct vqchar_ring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vqchar_ring_used_elem {
	uint32_t id;
	uint32_t len;
};

#define VQCHAR_RING_DESC_F_NEXT		1
#define VQCHAR_RING_DESC_F_WRITE	2
#define VQCHAR_RING_DESC_F_INDIRECT	4
#define VQCHAR_RING_AVAIL_F_NO_INTERRUPT 1
#define VQCHAR_RING_USED_F_NO_NOTIFY	1

/* struct vqchar_chain.state: where a chain is. */
#define VQCHAR_CHAIN_FREE	0	/* head not in use */
#define VQCHAR_CHAIN_AVAIL	1	/* offered, the device owns it */
#define VQCHAR_CHAIN_USED	2	/* taken back, the caller owns it until freed */

/* struct vqchar_queue_hot.buf_state[]: who owns a pool buffer. */
#define VQCHAR_BUF_FREE		0
#define VQCHAR_BUF_USER		1	/* handed out by vqchar_buf_get() */
#define VQCHAR_BUF_CHAIN	2	/* part of a chain */

#define VQCHAR_NO_BUF		UINT32_MAX

/*
 * The library's shadow of one chain, indexed by its head (virtio_ring's
 * desc_state/desc_extra).  Everything a take or a free needs comes from
 * here, never from ring memory.  The chain's segments are the buffers
 * first_buf, buf_next[first_buf], ... (nsegs of them, the first nr_out
 * device-readable), each holding buf_len[] bytes.
 */
struct vqchar_chain {
	uint32_t first_buf;
	uint32_t nsegs;
	uint32_t nr_out;
	uint32_t ind_buf;	/* buffer holding the indirect table, or VQCHAR_NO_BUF */
	uint64_t in_cap;	/* bytes the device may write */
	uint32_t used_len;	/* valid in VQCHAR_CHAIN_USED */
	uint16_t ndesc;		/* ring descriptors: head, desc_next[head], ... */
	uint8_t state;
	uint8_t pad;
};

/* struct vqchar_queue_hot.mode */
#define VQCHAR_HOT_SINGLE	(1U << 0)	/* VQCHAR_PARAMS_SINGLE_ISSUER */
#define VQCHAR_HOT_ATTACHED	(1U << 1)	/* device role only, no driver state */

/*
 * The part of a queue the inline calls work on: the first member of
 * struct vqchar_queue.  Its layout belongs to the ABI of libvqchar.so.1
 * (fields are only ever appended); programs must not touch it.
 *
 * Ring pointers and the pool are fixed at setup.  The driver state is
 * written by the driver calls (under the queue's driver lock, or by the
 * single issuer), the device state by the device calls (device lock, or
 * the single issuer); @last_used, @last_avail and the st_* counters are
 * written with relaxed atomic stores, as lock-free readers may look.
 */
struct vqchar_queue_hot {
	/* libvqchar 1.0 */
	uint16_t *used_idx;		/* ring memory */
	uint16_t *avail_idx;		/* ring memory */
	uint16_t last_used;		/* driver: next used position to take */
	uint16_t last_avail;		/* device: next available position to pop */
	uint32_t num;

	/* libvqchar 1.2: fixed at setup, but @shutdown */
	uint32_t mode;			/* VQCHAR_HOT_* */
	uint32_t buf_size;
	uint32_t buf_count;
	int32_t shutdown;		/* atomic; set once by vqchar_queue_shutdown() */
	uint64_t features;
	struct vqchar_ring_desc *desc;
	uint16_t *avail_flags;
	uint16_t *avail_ring;
	uint16_t *used_event;
	uint16_t *used_flags;
	struct vqchar_ring_used_elem *used_ring;
	uint16_t *avail_event;
	uint8_t *pool;
	uint64_t pool_size;		/* buf_count * buf_size */
	uint64_t io_base;		/* I/O address of pool[0] */

	/* Driver state. */
	int32_t broken;			/* -errno once the device misbehaved */
	uint32_t drv_pad;
	uint16_t avail_next;		/* next available ring position */
	uint16_t kick_old;		/* avail_next at the last kick decision */
	uint16_t free_head;		/* free descriptor list, via desc_next */
	uint16_t calls_enabled;
	uint32_t num_free;
	uint32_t waiters;		/* driver calls blocked in the library */
	uint32_t buf_free_head;		/* free buffer list, via buf_next */
	uint32_t num_free_bufs;
	uint64_t room_gen;		/* counts frees, for blocked offers */
	uint16_t *desc_next;		/* [num] */
	uint32_t *buf_next;		/* [buf_count] */
	uint32_t *buf_len;		/* [buf_count] */
	uint8_t *buf_state;		/* [buf_count] */
	struct vqchar_chain *chains;	/* [num] */
	uint64_t st_offered;
	uint64_t st_kicks;
	uint64_t st_kicks_suppressed;
	uint64_t st_taken;

	/*
	 * Device state, on a cache line of its own (the queue is allocated
	 * 64-byte aligned): the driver and the device thread each write
	 * their part on every chain.
	 */
	uint32_t dev_line_pad[4];
	uint32_t dev_err;		/* VQCHAR_ERR_* once the driver misbehaved */
	uint16_t dev_used_idx;		/* next used ring position */
	uint16_t dev_signalled;		/* dev_used_idx at the last notify */
	/*
	 * 0 once used idx moved 2^15 or more since the last notify: the
	 * 16-bit event index can no longer tell, so the next notify signals
	 * (vhost's signalled_used_valid).
	 */
	uint32_t dev_signalled_valid;
	uint32_t dev_pad;
	uint64_t st_dev_popped;
	uint64_t st_dev_calls;
	uint64_t st_dev_calls_suppressed;
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
VQCHAR_INLINE int vqchar_offer(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
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
VQCHAR_INLINE int vqchar_kick(struct vqchar_queue *q);

/**
 * vqchar_buf_get() - take a free pool buffer to fill in place (zero copy)
 * @q: the queue
 * @data: receives the buffer's address (vqchar_queue_buf_size() bytes)
 *
 * Return: the buffer's index, or -ENOSPC, -EPERM.
 */
VQCHAR_INLINE int vqchar_buf_get(struct vqchar_queue *q, void **data);

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
VQCHAR_INLINE int vqchar_offer_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *out,
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
VQCHAR_INLINE int vqchar_take(struct vqchar_queue *q, uint32_t *len);

/* Take up to @max used chains.  Return: the number taken (0 if none) or -EIO. */
VQCHAR_INLINE int vqchar_take_batch(struct vqchar_queue *q, struct vqchar_used *used, unsigned int max);

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
VQCHAR_INLINE int vqchar_free(struct vqchar_queue *q, unsigned int head);

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
VQCHAR_INLINE int vqchar_dev_pop(struct vqchar_queue *q, struct vqchar_dev_chain *c, struct iovec *iov,
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
VQCHAR_INLINE int vqchar_dev_push(struct vqchar_queue *q, unsigned int head, uint32_t len);

/**
 * vqchar_dev_notify() - signal the call eventfd if the driver wants it
 * @q: the queue
 *
 * Respects VQ_AVAIL_F_NO_INTERRUPT / used_event for the entries pushed
 * since the last notification.
 *
 * Return: 1 if signalled, 0 if suppressed or nothing new, or -errno.
 */
VQCHAR_INLINE int vqchar_dev_notify(struct vqchar_queue *q);

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
/* Inline hot path                                                     */
/* ------------------------------------------------------------------ */

/*
 * Ring memory is shared with the other side: every access is one untorn
 * atomic load or store, ordered as common/vq_split.h orders them.  Under
 * ThreadSanitizer, which does not model fences, every shared access is
 * sequentially consistent instead (as common/vq_compat.h does), so the
 * race detector sees the synchronisation the fenced build relies on.
 * Compiler builtins, so that C and C++ get the same code (liburing's
 * barrier.h does the same).
 */
#if defined(__SANITIZE_THREAD__)
#define __VQCHAR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define __VQCHAR_TSAN 1
#endif
#endif

#ifdef __VQCHAR_TSAN
#define __VQCHAR_MO_SHARED	__ATOMIC_SEQ_CST
#define __VQCHAR_MO_ACQUIRE	__ATOMIC_SEQ_CST
#define __VQCHAR_MO_RELEASE	__ATOMIC_SEQ_CST
#define __vqchar_smp_mb()	__atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define __VQCHAR_MO_SHARED	__ATOMIC_RELAXED
#define __VQCHAR_MO_ACQUIRE	__ATOMIC_ACQUIRE
#define __VQCHAR_MO_RELEASE	__ATOMIC_RELEASE
/* Orders a ring store before a later ring load (spec 2.7.10's barrier). */
#define __vqchar_smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#define __vqchar_load_acquire(p)	__atomic_load_n((p), __VQCHAR_MO_ACQUIRE)
#define __vqchar_load_relaxed(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define __vqchar_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define __vqchar_ring_load(p)		__atomic_load_n((p), __VQCHAR_MO_SHARED)
#define __vqchar_ring_store(p, v)	__atomic_store_n((p), (v), __VQCHAR_MO_SHARED)
#define __vqchar_ring_release(p, v)	__atomic_store_n((p), (v), __VQCHAR_MO_RELEASE)
/* Counters: one writer at a time, lock-free readers; no locked add. */
#define __vqchar_stat_add(p, n) \
	__vqchar_store_relaxed((p), __vqchar_load_relaxed(p) + (n))

/* Ring fields are little endian; <endian.h>'s le16toh() needs _DEFAULT_SOURCE. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define __vqchar_le16(v)	((uint16_t)__builtin_bswap16(v))
#define __vqchar_le32(v)	((uint32_t)__builtin_bswap32(v))
#define __vqchar_le64(v)	((uint64_t)__builtin_bswap64(v))
#else
#define __vqchar_le16(v)	((uint16_t)(v))
#define __vqchar_le32(v)	((uint32_t)(v))
#define __vqchar_le64(v)	((uint64_t)(v))
#endif

static inline const struct vqchar_queue_hot *__vqchar_hot(const struct vqchar_queue *q)
{
	return (const struct vqchar_queue_hot *)(const void *)q;
}

static inline struct vqchar_queue_hot *__vqchar_hot_mut(struct vqchar_queue *q)
{
	return (struct vqchar_queue_hot *)(void *)q;
}

/*
 * The library halves of the inline calls: each does the whole call, with
 * the queue's locks, and is what the inline code falls back on for a
 * shared queue and for anything out of the ordinary (several segments,
 * indirect tables, a full queue, a bad ring entry, a syscall).
 */
int __vqchar_offer(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
		   unsigned int in_bufs, unsigned int flags);
int __vqchar_offer_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *out,
			unsigned int out_cnt, unsigned int in_bufs, unsigned int flags);
int __vqchar_kick(struct vqchar_queue *q);
int __vqchar_buf_get(struct vqchar_queue *q, void **data);
int __vqchar_take_batch(struct vqchar_queue *q, struct vqchar_used *used, unsigned int max);
int __vqchar_free(struct vqchar_queue *q, unsigned int head);
int __vqchar_dev_pop(struct vqchar_queue *q, struct vqchar_dev_chain *c, struct iovec *iov,
		     unsigned int max_iov);
int __vqchar_dev_push(struct vqchar_queue *q, unsigned int head, uint32_t len);
int __vqchar_dev_notify(struct vqchar_queue *q);

/* vring_need_event(): does the step old -> new_idx cross @event_idx? */
static inline int __vqchar_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/*
 * Does the other side want a notification for the step old -> new_idx of
 * the index this side just published?  Its event index at @event with
 * EVENT_IDX, else its suppression flag @no_flag in @flags
 * (virtqueue_kick_prepare(), vhost_notify()).  The full barrier orders
 * the index store before these loads.
 */
static inline int __vqchar_notify_wanted(uint64_t features, const uint16_t *event,
					 const uint16_t *flags, uint16_t no_flag,
					 uint16_t new_idx, uint16_t old)
{
	__vqchar_smp_mb();
	if (features & VQCHAR_F_EVENT_IDX)
		return __vqchar_need_event(__vqchar_le16(__vqchar_ring_load(event)), new_idx, old);
	return !(__vqchar_le16(__vqchar_ring_load(flags)) & no_flag);
}

/* A single-issuer queue of this process's driver, working: inline calls may run. */
static inline int __vqchar_drv_inline(const struct vqchar_queue_hot *h)
{
	return (h->mode & (VQCHAR_HOT_SINGLE | VQCHAR_HOT_ATTACHED)) == VQCHAR_HOT_SINGLE &&
	       !h->broken;
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

/* ---- driver ---- */

VQCHAR_INLINE int vqchar_kick(struct vqchar_queue *q)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	uint16_t old, new_idx;
	int want;

	/* Driver state is read only once the mode says it is this thread's. */
	if ((h->mode & (VQCHAR_HOT_SINGLE | VQCHAR_HOT_ATTACHED)) != VQCHAR_HOT_SINGLE)
		return __vqchar_kick(q);
	old = h->kick_old;
	new_idx = h->avail_next;
	if (old == new_idx)
		return 0;
	want = __vqchar_notify_wanted(h->features, h->avail_event, h->used_flags,
				      VQCHAR_RING_USED_F_NO_NOTIFY, new_idx, old);
	if (want)
		return __vqchar_kick(q);	/* decides again, then writes the eventfd */
	h->kick_old = new_idx;
	__vqchar_stat_add(&h->st_kicks_suppressed, 1);
	return 0;
}

/*
 * Put buffer @b, @len bytes, on the ring as a one-descriptor chain and
 * publish it.  The caller checked there is a free descriptor.
 */
static inline int __vqchar_add_one(struct vqchar_queue_hot *h, struct vqchar_queue *q,
				   uint32_t b, uint32_t len, int write, unsigned int flags)
{
	uint16_t head = h->free_head;
	struct vqchar_ring_desc *d = &h->desc[head];
	struct vqchar_chain *ch = &h->chains[head];
	int ret;

	h->buf_state[b] = VQCHAR_BUF_CHAIN;
	h->buf_len[b] = len;
	__vqchar_ring_store(&d->addr, __vqchar_le64(h->io_base + (uint64_t)b * h->buf_size));
	__vqchar_ring_store(&d->len, __vqchar_le32(len));
	__vqchar_ring_store(&d->flags, __vqchar_le16(write ? VQCHAR_RING_DESC_F_WRITE : 0));
	__vqchar_ring_store(&d->next, 0);
	h->free_head = h->desc_next[head];
	h->num_free--;

	ch->first_buf = b;
	ch->nsegs = 1;
	ch->nr_out = !write;
	ch->ind_buf = VQCHAR_NO_BUF;
	ch->in_cap = write ? h->buf_size : 0;
	ch->used_len = 0;
	ch->ndesc = 1;
	ch->state = VQCHAR_CHAIN_AVAIL;

	__vqchar_ring_store(&h->avail_ring[h->avail_next & (h->num - 1)], __vqchar_le16(head));
	h->avail_next++;
	__vqchar_stat_add(&h->st_offered, 1);
	/* Pairs with the device's acquire of avail->idx. */
	__vqchar_ring_release(h->avail_idx, __vqchar_le16(h->avail_next));
	/* The event index sees 16 bits: decide before the distance could wrap. */
	if (!(flags & VQCHAR_OFFER_NO_KICK) || (uint16_t)(h->avail_next - h->kick_old) >= 0x8000) {
		ret = vqchar_kick(q);
		if (ret < 0)
			return ret;
	}
	return head;
}

VQCHAR_INLINE int vqchar_offer(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
			       unsigned int in_bufs, unsigned int flags)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	const void *src = NULL;
	uint32_t b, len;
	int write;

	/* Inline: one segment, direct, room for it now. */
	if (!__vqchar_drv_inline(h) || (flags & ~VQCHAR_OFFER_NO_KICK) || !h->num_free ||
	    !h->num_free_bufs || __atomic_load_n(&h->shutdown, __ATOMIC_ACQUIRE))
		return __vqchar_offer(q, out, out_cnt, in_bufs, flags);
	if (out_cnt == 1 && !in_bufs && out && out[0].iov_base && out[0].iov_len &&
	    out[0].iov_len <= h->buf_size) {
		src = out[0].iov_base;
		len = (uint32_t)out[0].iov_len;
		write = 0;
	} else if (!out_cnt && in_bufs == 1) {
		len = h->buf_size;
		write = 1;
	} else {
		return __vqchar_offer(q, out, out_cnt, in_bufs, flags);
	}
	b = h->buf_free_head;
	h->buf_free_head = h->buf_next[b];
	h->num_free_bufs--;
	if (src)
		__builtin_memcpy(h->pool + (uint64_t)b * h->buf_size, src, len);
	return __vqchar_add_one(h, q, b, len, write, flags);
}

VQCHAR_INLINE int vqchar_offer_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *out,
				    unsigned int out_cnt, unsigned int in_bufs, unsigned int flags)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);

	if (!__vqchar_drv_inline(h) || (flags & ~VQCHAR_OFFER_NO_KICK) || !h->num_free ||
	    out_cnt != 1 || in_bufs || !out || out[0].buf >= h->buf_count ||
	    out[0].len > h->buf_size || h->buf_state[out[0].buf] != VQCHAR_BUF_USER ||
	    __atomic_load_n(&h->shutdown, __ATOMIC_ACQUIRE))
		return __vqchar_offer_bufs(q, out, out_cnt, in_bufs, flags);
	return __vqchar_add_one(h, q, out[0].buf, out[0].len, 0, flags);
}

VQCHAR_INLINE int vqchar_buf_get(struct vqchar_queue *q, void **data)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	uint32_t b;

	if ((h->mode & (VQCHAR_HOT_SINGLE | VQCHAR_HOT_ATTACHED)) != VQCHAR_HOT_SINGLE)
		return __vqchar_buf_get(q, data);
	if (!h->num_free_bufs)
		return -ENOSPC;
	b = h->buf_free_head;
	h->buf_free_head = h->buf_next[b];
	h->num_free_bufs--;
	h->buf_state[b] = VQCHAR_BUF_USER;
	if (data)
		*data = h->pool + (uint64_t)b * h->buf_size;
	return (int)b;
}

VQCHAR_INLINE int vqchar_take_batch(struct vqchar_queue *q, struct vqchar_used *used,
				    unsigned int max)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	uint16_t last, pending;
	unsigned int n = 0;
	int more;

	const struct vqchar_ring_used_elem *used_ring;
	struct vqchar_chain *chains;
	uint32_t mask;

	if (!__vqchar_drv_inline(h))
		return __vqchar_take_batch(q, used, max);
	last = h->last_used;
	used_ring = h->used_ring;
	chains = h->chains;
	mask = h->num - 1;
	/* Pairs with the device's release of used->idx. */
	pending = (uint16_t)(__vqchar_le16(__vqchar_load_acquire(h->used_idx)) - last);
	if (pending > h->num)
		return __vqchar_take_batch(q, used, max);	/* breaks the queue */
	if (pending > max)
		pending = (uint16_t)max;
	/* Each entry is checked against the shadow before it is believed. */
	for (; n < pending; n++, last++) {
		/* Locals: the stores below may alias *h as far as the compiler knows. */
		const struct vqchar_ring_used_elem *e = &used_ring[last & mask];
		uint32_t id = __vqchar_le32(__vqchar_ring_load(&e->id));
		uint32_t len = __vqchar_le32(__vqchar_ring_load(&e->len));
		struct vqchar_chain *ch;

		if (id > mask)
			break;
		ch = &chains[id];
		if (ch->state != VQCHAR_CHAIN_AVAIL || len > ch->in_cap)
			break;
		ch->state = VQCHAR_CHAIN_USED;
		ch->used_len = len;
		used[n].head = id;
		used[n].len = len;
	}
	if (n) {
		__vqchar_store_relaxed(&h->last_used, last);
		__vqchar_stat_add(&h->st_taken, n);
		/* With EVENT_IDX, ask for a call at the next entry (virtqueue_get_buf_ctx_split()). */
		if (h->calls_enabled && (h->features & VQCHAR_F_EVENT_IDX)) {
			__vqchar_ring_store(h->used_event, __vqchar_le16(last));
			__vqchar_smp_mb();
		}
	}
	if (n == pending)
		return (int)n;
	/* A bad entry: the library takes it from here, and breaks the queue. */
	more = __vqchar_take_batch(q, used + n, max - n);
	return n ? (int)n + (more > 0 ? more : 0) : more;
}

VQCHAR_INLINE int vqchar_take(struct vqchar_queue *q, uint32_t *len)
{
	struct vqchar_used u;
	int n = vqchar_take_batch(q, &u, 1);

	if (n <= 0)
		return n ? n : -EAGAIN;
	if (len)
		*len = u.len;
	return (int)u.head;
}

VQCHAR_INLINE int vqchar_free(struct vqchar_queue *q, unsigned int head)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	struct vqchar_chain *ch;
	uint32_t b;

	/* Inline: one direct descriptor, one buffer, nobody blocked to wake. */
	if ((h->mode & (VQCHAR_HOT_SINGLE | VQCHAR_HOT_ATTACHED)) != VQCHAR_HOT_SINGLE ||
	    head >= h->num || h->waiters)
		return __vqchar_free(q, head);
	ch = &h->chains[head];
	if (ch->state != VQCHAR_CHAIN_USED || ch->ndesc != 1 || ch->nsegs != 1 ||
	    ch->ind_buf != VQCHAR_NO_BUF)
		return __vqchar_free(q, head);
	h->desc_next[head] = h->free_head;
	h->free_head = (uint16_t)head;
	h->num_free++;
	b = ch->first_buf;
	h->buf_state[b] = VQCHAR_BUF_FREE;
	h->buf_next[b] = h->buf_free_head;
	h->buf_free_head = b;
	h->num_free_bufs++;
	__builtin_memset(ch, 0, sizeof(*ch));
	h->room_gen++;
	return 0;
}

/* ---- device ---- */

/* Largest iovec array vqchar_dev_pop() takes. */
#define VQCHAR_DEV_MAX_IOV	(1U << 20)

VQCHAR_INLINE int vqchar_dev_pop(struct vqchar_queue *q, struct vqchar_dev_chain *c,
				 struct iovec *iov, unsigned int max_iov)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	uint16_t last, pending, head, flags;
	struct vqchar_ring_desc d;
	uint64_t addr, off;
	uint32_t len;

	if (!(h->mode & VQCHAR_HOT_SINGLE) || h->dev_err || !c || !iov || !max_iov ||
	    max_iov > VQCHAR_DEV_MAX_IOV)
		return __vqchar_dev_pop(q, c, iov, max_iov);
	last = h->last_avail;
	/* Pairs with the driver's release of avail->idx. */
	pending = (uint16_t)(__vqchar_le16(__vqchar_load_acquire(h->avail_idx)) - last);
	if (!pending)
		return 0;
	if (pending > h->num)
		return __vqchar_dev_pop(q, c, iov, max_iov);	/* breaks the queue */
	head = __vqchar_le16(__vqchar_ring_load(&h->avail_ring[last & (h->num - 1)]));
	if (head >= h->num)
		return __vqchar_dev_pop(q, c, iov, max_iov);
	/*
	 * Inline: a lone direct descriptor inside the pool.  Read once into a
	 * copy, checked and used from the copy; every other chain goes
	 * through the shared walker (vq_chain_walk()).
	 */
	__builtin_memcpy(&d, &h->desc[head], sizeof(d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	flags = __vqchar_le16(d.flags);
	addr = __vqchar_le64(d.addr);
	len = __vqchar_le32(d.len);
	if ((flags & (VQCHAR_RING_DESC_F_NEXT | VQCHAR_RING_DESC_F_INDIRECT)) ||
	    addr < h->io_base)
		return __vqchar_dev_pop(q, c, iov, max_iov);
	off = addr - h->io_base;
	if (off > h->pool_size || len > h->pool_size - off)
		return __vqchar_dev_pop(q, c, iov, max_iov);
	iov[0].iov_base = h->pool + off;
	iov[0].iov_len = len;
	c->head = head;
	c->pad = 0;
	if (flags & VQCHAR_RING_DESC_F_WRITE) {
		c->nr_out = 0;
		c->nr_in = 1;
		c->out_bytes = 0;
		c->in_bytes = len;
	} else {
		c->nr_out = 1;
		c->nr_in = 0;
		c->out_bytes = len;
		c->in_bytes = 0;
	}
	__vqchar_store_relaxed(&h->last_avail, (uint16_t)(last + 1));
	__vqchar_stat_add(&h->st_dev_popped, 1);
	return 1;
}

VQCHAR_INLINE int vqchar_dev_push(struct vqchar_queue *q, unsigned int head, uint32_t len)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	struct vqchar_ring_used_elem *e;

	if (!(h->mode & VQCHAR_HOT_SINGLE) || head >= h->num || h->dev_err)
		return __vqchar_dev_push(q, head, len);
	e = &h->used_ring[h->dev_used_idx & (h->num - 1)];
	__vqchar_ring_store(&e->id, __vqchar_le32(head));
	__vqchar_ring_store(&e->len, __vqchar_le32(len));
	h->dev_used_idx++;
	/* Pairs with the driver's acquire of used->idx. */
	__vqchar_ring_release(h->used_idx, __vqchar_le16(h->dev_used_idx));
	/* Half the index space since the last notify: the next one must signal. */
	if ((uint16_t)(h->dev_used_idx - h->dev_signalled) >= 0x8000)
		h->dev_signalled_valid = 0;
	return 0;
}

VQCHAR_INLINE int vqchar_dev_notify(struct vqchar_queue *q)
{
	struct vqchar_queue_hot *h = __vqchar_hot_mut(q);
	uint16_t old, new_idx;
	int want;

	if (!(h->mode & VQCHAR_HOT_SINGLE) || !h->dev_signalled_valid)
		return __vqchar_dev_notify(q);
	old = h->dev_signalled;
	new_idx = h->dev_used_idx;
	if (old == new_idx)
		return 0;
	want = __vqchar_notify_wanted(h->features, h->used_event, h->avail_flags,
				      VQCHAR_RING_AVAIL_F_NO_INTERRUPT, new_idx, old);
	if (want)
		return __vqchar_dev_notify(q);	/* decides again, then writes the eventfd */
	h->dev_signalled = new_idx;
	__vqchar_stat_add(&h->st_dev_calls_suppressed, 1);
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* LIBVQCHAR_H */
