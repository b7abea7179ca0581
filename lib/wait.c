/* SPDX-License-Identifier: MIT */
/*
 * How a blocked call sleeps, for the driver and the device side alike.
 *
 * Blocked calls of one side hold that side's lock while they look.  At
 * most one of them (the poller) sleeps in poll() on the side's eventfds;
 * the others wait on the side's condition variable.  Whoever wakes
 * broadcasts it, so every waiter re-checks its own condition and none can
 * eat a wakeup meant for another.
 */
#include <time.h>

#include "syscall.h"
#include "vqchar_int.h"

/* poll()'s timeout for @deadline (CLOCK_MONOTONIC ms, < 0: none), or -ETIMEDOUT. */
static int vqchar_poll_timeout(int64_t deadline, int *wait)
{
	int64_t left;

	*wait = -1;
	if (deadline < 0)
		return 0;
	left = deadline - __vqchar_now_ms();
	if (left <= 0)
		return -ETIMEDOUT;
	*wait = left > INT32_MAX ? INT32_MAX : (int)left;
	return 0;
}

/* Sleep as a non-poller: 0 to look again, or -errno (not -ETIMEDOUT: the loop checks). */
static int vqchar_side_cond_wait(const struct vqchar_wait_side *side, int64_t deadline)
{
	int ret = __vqchar_cond_wait(side->ev, side->lock, deadline);

	return ret == -ETIMEDOUT ? 0 : ret;
}

int __vqchar_block(struct vqchar_queue *q, const struct vqchar_wait_side *side,
		   const struct vqchar_wait_ops *ops, void *arg, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd[VQCHAR_WAIT_MAX_FDS];
		int ret, wait, nfd;

		if (vq_is_shutdown(q))
			return -ESHUTDOWN;
		ret = ops->ready(q, arg);
		if (ret)
			return ret;
		ret = vqchar_poll_timeout(deadline, &wait);
		if (ret)
			return ret;
		if (*side->polling) {
			ret = vqchar_side_cond_wait(side, deadline);
			if (ret)
				return ret;
			continue;
		}

		/* Arm the notification, then look once more (virtqueue_enable_cb_prepare). */
		*side->polling = true;
		switch (ops->arm(q, arg)) {
		case VQCHAR_ARM_RECHECK:
			*side->polling = false;
			pthread_cond_broadcast(side->ev);
			continue;
		case VQCHAR_ARM_YIELD:
			/* What arrived is for other waiters: they return, one polls next. */
			*side->polling = false;
			pthread_cond_broadcast(side->ev);
			ret = vqchar_side_cond_wait(side, deadline);
			if (ret)
				return ret;
			continue;
		}

		nfd = ops->fds(q, arg, pfd, &wait);
		pthread_mutex_unlock(side->lock);
		ret = __sys_poll(pfd, (nfds_t)nfd, wait);
		pthread_mutex_lock(side->lock);
		*side->polling = false;
		if (ret > 0)
			ops->woken(q, arg, pfd);
		pthread_cond_broadcast(side->ev);
		if (ret < 0 && ret != -EINTR)
			return ret;
	}
}
