/* SPDX-License-Identifier: MIT */
/*
 * libvqchar internals: the queue object shared by setup.c, queue.c and
 * device.c.
 */
#ifndef LIBVQCHAR_INT_H
#define LIBVQCHAR_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vqchar.h>
#include "vq_split.h"

#define VQCHAR_NO_BUF	UINT32_MAX

/* struct vqchar_chain.state: where a chain is. */
enum {
	VQCHAR_CHAIN_FREE = 0,	/* head not in use */
	VQCHAR_CHAIN_AVAIL,	/* offered, the device owns it */
	VQCHAR_CHAIN_USED,	/* taken back, the caller owns it until freed */
};

/* struct vqchar_queue.buf_state[]: who owns a pool buffer. */
enum {
	VQCHAR_BUF_FREE = 0,
	VQCHAR_BUF_USER,	/* handed out by vqchar_buf_get() */
	VQCHAR_BUF_CHAIN,	/* part of a chain */
};

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
};

/* An offer blocked in VQCHAR_OFFER_WAIT, queued in call order (defect: FIFO). */
struct vqchar_offer_waiter {
	struct vqchar_offer_waiter *next;
	uint64_t room_gen;		/* q->room_gen when it last found no room */
};

struct vqchar_queue {
	struct vqchar_queue_hot hot;	/* must stay first: see vqchar.h */

	/* Fixed at setup. */
	bool single;			/* VQCHAR_PARAMS_SINGLE_ISSUER: no locks on the hot path */
	uint32_t backend;
	bool attached;			/* device role only, no driver state */
	int dev_fd;			/* /dev/vqchar, or -1 */
	uint32_t queue_id;
	bool owns_queue;		/* destroy the kernel queue on close */
	int kick_fd;
	int call_fd;
	int err_fd;
	int wake_fd;			/* library's own: wakes a blocked driver call */
	int dev_wake_fd;		/* library's own: wakes a blocked device call */
	int shutdown;			/* atomic; set once by vqchar_queue_shutdown() */
	void *ring_mem;
	size_t ring_len;		/* mapped bytes */
	uint8_t *pool;
	size_t pool_len;		/* mapped bytes */
	uint64_t pool_size;		/* buf_count * buf_size: the I/O space */
	uint64_t io_base;		/* I/O address of pool[0] */
	uint32_t poll_usecs;
	uint32_t num;
	uint32_t buf_count;
	uint32_t buf_size;
	uint32_t device;
	uint64_t features;
	struct vqchar_ring_offsets off;
	struct vq_ring ring;

	/*
	 * Driver state, protected by @lock (or owned by the one driver thread
	 * of a single-issuer queue).  hot.last_used is written with relaxed
	 * atomic stores, as inline readers may look.
	 *
	 * Blocked driver calls always hold @lock while they look: at most one
	 * of them (@polling) sleeps in poll() on the call, err and wake
	 * eventfds, the others on @ev; whoever wakes broadcasts @ev, so every
	 * waiter re-checks and none can eat another's call.  @room_gen counts
	 * frees, so a blocked offer knows when to try again; @ow_head is the
	 * FIFO of blocked offers, only its head may take room.
	 */
	pthread_mutex_t lock;
	pthread_cond_t ev;
	unsigned int waiters;		/* driver calls blocked on @ev or in poll() */
	unsigned int used_waiters;	/* of which wait for used chains */
	bool polling;
	bool err_seen;			/* the err eventfd fired */
	uint64_t room_gen;
	struct vqchar_offer_waiter *ow_head;
	int broken;			/* -errno once the device misbehaved */
	uint16_t avail_idx;		/* next avail ring position */
	uint16_t kick_old;		/* avail_idx at the last kick decision */
	bool calls_enabled;
	uint16_t free_head;		/* free descriptor list, via desc_next */
	uint32_t num_free;
	uint16_t *desc_next;		/* [num] */
	uint32_t buf_free_head;		/* free buffer list, via buf_next */
	uint32_t num_free_bufs;
	uint32_t *buf_next;		/* [buf_count] */
	uint32_t *buf_len;		/* [buf_count] */
	uint8_t *buf_state;		/* [buf_count] */
	struct vqchar_chain *chains;	/* [num] */
	uint64_t st_offered;
	uint64_t st_kicks;
	uint64_t st_kicks_suppressed;
	uint64_t st_taken;
	uint64_t st_call_wakeups;

	/*
	 * Device state, protected by @dev_lock (or owned by the one device
	 * thread of a single-issuer queue).  hot.last_avail is written with
	 * relaxed atomic stores.  Blocked device calls wait as the driver's
	 * do, with @dev_ev, @dev_waiters and @dev_polling.
	 */
	pthread_mutex_t dev_lock;
	pthread_cond_t dev_ev;
	unsigned int dev_waiters;
	bool dev_polling;
	uint16_t dev_used_idx;		/* next used ring position */
	uint16_t dev_signalled;		/* dev_used_idx at the last notify */
	/*
	 * False once used idx moved 2^15 or more since the last notify: the
	 * 16-bit event index can no longer tell, so the next notify signals
	 * (vhost's signalled_used_valid).
	 */
	bool dev_signalled_valid;
	uint32_t dev_err;		/* VQCHAR_ERR_* */
	uint32_t dev_err_index;
	struct vq_seg *dev_segs;	/* scratch for vq_chain_walk() */
	uint32_t dev_seg_cap;
	uint64_t st_dev_popped;
	uint64_t st_dev_calls;
	uint64_t st_dev_calls_suppressed;
};

_Static_assert(offsetof(struct vqchar_queue, hot) == 0,
	       "struct vqchar_queue_hot must start struct vqchar_queue");

#define __vqchar_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define __vqchar_load_rlx(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
/*
 * Counters have one writer at a time (the lock or the single issuer) and
 * lock-free readers: a relaxed load and store, no locked add.
 */
#define VQ_STAT_INC(p)	__vqchar_store_relaxed((p), __vqchar_load_rlx(p) + 1)

/* The hot path locks only queues shared by several threads. */
static inline void vq_drv_lock(struct vqchar_queue *q)
{
	if (!q->single)
		pthread_mutex_lock(&q->lock);
}

static inline void vq_drv_unlock(struct vqchar_queue *q)
{
	if (!q->single)
		pthread_mutex_unlock(&q->lock);
}

static inline void vq_dev_lock(struct vqchar_queue *q)
{
	if (!q->single)
		pthread_mutex_lock(&q->dev_lock);
}

static inline void vq_dev_unlock(struct vqchar_queue *q)
{
	if (!q->single)
		pthread_mutex_unlock(&q->dev_lock);
}

static inline bool vq_is_shutdown(const struct vqchar_queue *q)
{
	return __atomic_load_n(&q->shutdown, __ATOMIC_ACQUIRE);
}

/*
 * Library internals: hidden in the shared object by the version script
 * and localised in the static archive (lib/Makefile).
 */
#define VQ_HIDDEN	__attribute__((visibility("hidden")))

/* setup.c */
VQ_HIDDEN void __vqchar_driver_reset(struct vqchar_queue *q);
VQ_HIDDEN void __vqchar_device_reset(struct vqchar_queue *q);
VQ_HIDDEN int64_t __vqchar_now_ms(void);
VQ_HIDDEN int __vqchar_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m, int64_t deadline);

#endif /* LIBVQCHAR_INT_H */
