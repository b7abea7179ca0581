/* SPDX-License-Identifier: MIT */
/*
 * libvqchar internals: the queue object shared by setup.c, queue.c and
 * device.c.
 */
#ifndef LIBVQCHAR_INT_H
#define LIBVQCHAR_INT_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vqchar.h>
#include "vq_split.h"

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
	void *ring_mem;
	size_t ring_len;		/* mapped bytes */
	uint8_t *pool;			/* also in hot, for the inline calls */
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
	unsigned int used_waiters;	/* of which wait for used chains */
	bool polling;
	bool err_seen;			/* the err eventfd fired */
	struct vqchar_offer_waiter *ow_head;
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
	uint32_t dev_err_index;
	struct vq_seg *dev_segs;	/* scratch for vq_chain_walk() */
	uint32_t dev_seg_cap;
};

_Static_assert(offsetof(struct vqchar_queue, hot) == 0,
	       "struct vqchar_queue_hot must start struct vqchar_queue");

#define VQ_STAT_INC(p)		__vqchar_stat_add((p), 1)

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
	return __atomic_load_n(&q->hot.shutdown, __ATOMIC_ACQUIRE);
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
VQ_HIDDEN void __vqchar_hot_init(struct vqchar_queue *q);

/* wait.c: the sleep of a blocked call, shared by both sides. */
#define VQCHAR_WAIT_MAX_FDS	3

/* One side's waiting state: the driver's or the device's. */
struct vqchar_wait_side {
	pthread_mutex_t *lock;		/* held by every blocked call of the side */
	pthread_cond_t *ev;		/* non-pollers sleep here */
	bool *polling;			/* one blocked call polls the eventfds */
};

/* struct vqchar_wait_ops.arm */
enum {
	VQCHAR_ARM_POLL,	/* armed, nothing yet: sleep in poll() */
	VQCHAR_ARM_RECHECK,	/* something arrived while arming: look again */
	VQCHAR_ARM_YIELD,	/* it is for other waiters: let them return */
};

/* What a blocked call waits for.  Every callback runs with the side's lock held. */
struct vqchar_wait_ops {
	/* The first of the call's return values that applies; 0 to keep waiting. */
	int (*ready)(struct vqchar_queue *q, void *arg);
	/* Ask the other side to notify, and look again: VQCHAR_ARM_*. */
	int (*arm)(struct vqchar_queue *q, void *arg);
	/* Fill the fds to poll (at most VQCHAR_WAIT_MAX_FDS); may shorten *wait. */
	int (*fds)(struct vqchar_queue *q, void *arg, struct pollfd *pfd, int *wait);
	/* Consume what poll() reported. */
	void (*woken)(struct vqchar_queue *q, void *arg, const struct pollfd *pfd);
};

/*
 * Block until @ops->ready says so (its value), the queue is shut down
 * (-ESHUTDOWN) or @deadline passes (-ETIMEDOUT; CLOCK_MONOTONIC ms, < 0
 * for none).  Holds side->lock.
 */
VQ_HIDDEN int __vqchar_block(struct vqchar_queue *q, const struct vqchar_wait_side *side,
			     const struct vqchar_wait_ops *ops, void *arg, int64_t deadline);

#endif /* LIBVQCHAR_INT_H */
