/* SPDX-License-Identifier: MIT */
/*
 * The device side, for userspace devices and tests: pop available chains
 * validated by the shared vq_chain_walk(), push used entries, notify.
 *
 * The driver may be hostile: a chain that fails validation makes the
 * queue broken, as the kernel devices do, and nothing more is consumed.
 */
#include <stdlib.h>
#include <time.h>

#include "syscall.h"
#include "vqchar_int.h"


/* Holds q->dev_lock. */
static int vqchar_dev_break(struct vqchar_queue *q, unsigned int err, uint32_t index)
{
	/* Atomic: vqchar_dev_wait() looks without the lock. */
	__vqchar_store_relaxed(&q->hot.dev_err, err);
	q->dev_err_index = index;
	if (q->err_fd >= 0)
		__sys_eventfd_signal(q->err_fd);
	/* Blocked device calls of other threads fail too. */
	if (q->dev_waiters) {
		pthread_cond_broadcast(&q->dev_ev);
		if (q->dev_polling)
			__sys_eventfd_signal(q->dev_wake_fd);
	}
	return -EIO;
}

static int vqchar_dev_scratch(struct vqchar_queue *q, unsigned int n)
{
	struct vq_seg *segs;

	if (n <= q->dev_seg_cap)
		return 0;
	segs = realloc(q->dev_segs, (size_t)n * sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	q->dev_segs = segs;
	q->dev_seg_cap = n;
	return 0;
}

int __vqchar_dev_pop(struct vqchar_queue *q, struct vqchar_dev_chain *c, struct iovec *iov,
		   unsigned int max_iov)
{
	struct vq_chain chain;
	uint16_t last;
	int ret, head;
	uint32_t i;

	if (!c || !iov || !max_iov || max_iov > VQCHAR_DEV_MAX_IOV)
		return -EINVAL;

	vq_dev_lock(q);
	last = q->hot.last_avail;
	if (q->hot.dev_err) {
		ret = -EIO;
		goto out;
	}
	ret = vq_dev_avail_pending(&q->ring, last);
	if (ret <= 0) {
		if (ret < 0)
			ret = vqchar_dev_break(q, (unsigned int)-ret, last);
		goto out;
	}
	head = vq_dev_avail_head(&q->ring, last);
	if (head < 0) {
		ret = vqchar_dev_break(q, (unsigned int)-head, last);
		goto out;
	}
	ret = vqchar_dev_scratch(q, max_iov);
	if (ret)
		goto out;

	chain.segs = q->dev_segs;
	chain.max_segs = max_iov;
	ret = vq_chain_walk(&q->ring, &(struct vq_pool){ .base = q->pool, .size = q->pool_size,
						  .io_base = q->io_base },
			    q->features, (uint16_t)head, &chain);
	if (ret) {
		ret = vqchar_dev_break(q, (unsigned int)-ret, chain.error_index);
		goto out;
	}

	for (i = 0; i < chain.nr_segs; i++) {
		iov[i].iov_base = q->pool + chain.segs[i].addr;
		iov[i].iov_len = chain.segs[i].len;
	}
	c->head = (uint32_t)head;
	c->nr_out = chain.nr_out;
	c->nr_in = chain.nr_in;
	c->pad = 0;
	c->out_bytes = chain.out_bytes;
	c->in_bytes = chain.in_bytes;
	__vqchar_store_relaxed(&q->hot.last_avail, (uint16_t)(last + 1));
	VQ_STAT_INC(&q->hot.st_dev_popped);
	ret = 1;
out:
	vq_dev_unlock(q);
	return ret;
}

int __vqchar_dev_push(struct vqchar_queue *q, unsigned int head, uint32_t len)
{
	int ret = 0;

	if (head >= q->num)
		return -EINVAL;
	vq_dev_lock(q);
	if (q->hot.dev_err) {
		ret = -EIO;
	} else {
		vq_dev_used_fill(&q->ring, q->hot.dev_used_idx, head, len);
		q->hot.dev_used_idx++;
		vq_dev_used_publish(&q->ring, q->hot.dev_used_idx);
		/*
		 * Half the index space since the last notify: the event index
		 * comparison could wrap, so the next notify must signal
		 * (vhost_add_used_n()'s signalled_used_valid).
		 */
		if ((uint16_t)(q->hot.dev_used_idx - q->hot.dev_signalled) >= 0x8000)
			q->hot.dev_signalled_valid = false;
	}
	vq_dev_unlock(q);
	return ret;
}

int __vqchar_dev_notify(struct vqchar_queue *q)
{
	uint16_t old, new_idx;
	int ret = 0;

	vq_dev_lock(q);
	old = q->hot.dev_signalled;
	new_idx = q->hot.dev_used_idx;
	if (old == new_idx && q->hot.dev_signalled_valid)
		goto out;
	if (q->hot.dev_signalled_valid && !vq_dev_should_call(&q->ring, q->features, old, new_idx)) {
		q->hot.dev_signalled = new_idx;
		VQ_STAT_INC(&q->hot.st_dev_calls_suppressed);
		goto out;
	}
	if (q->call_fd >= 0)
		ret = __sys_eventfd_signal(q->call_fd);
	if (!ret) {
		q->hot.dev_signalled = new_idx;
		q->hot.dev_signalled_valid = true;
		VQ_STAT_INC(&q->hot.st_dev_calls);
		ret = 1;
	}
out:
	vq_dev_unlock(q);
	return ret;
}

int vqchar_dev_enable_kicks(struct vqchar_queue *q)
{
	vq_dev_lock(q);
	vq_dev_set_kicks(&q->ring, q->features, true, q->hot.last_avail);
	vq_dev_unlock(q);
	return (int)vqchar_dev_avail_pending(q);
}

int vqchar_dev_disable_kicks(struct vqchar_queue *q)
{
	vq_dev_lock(q);
	vq_dev_set_kicks(&q->ring, q->features, false, q->hot.last_avail);
	vq_dev_unlock(q);
	return 0;
}

/*
 * As the driver's wait: at most one blocked device call polls the kick,
 * err and wake eventfds, the others wait on q->dev_ev; every wakeup is
 * broadcast.  The err eventfd (the driver side or the kernel broke the
 * queue) fails the wait; it is never drained but by a reset.
 */
int vqchar_dev_wait(struct vqchar_queue *q, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : __vqchar_now_ms() + timeout_ms;
	bool err_seen = false;
	int ret;

	pthread_mutex_lock(&q->dev_lock);
	q->dev_waiters++;
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = q->dev_wake_fd, .events = POLLIN },
			{ .fd = q->err_fd, .events = POLLIN },
			{ .fd = q->kick_fd, .events = POLLIN },
		};
		int wait = -1;

		if (vq_is_shutdown(q)) {
			ret = -ESHUTDOWN;
			break;
		}
		if (__vqchar_load_rlx(&q->hot.dev_err) || err_seen) {
			ret = -EIO;
			break;
		}
		ret = (int)vqchar_dev_avail_pending(q);
		if (ret)
			break;
		if (deadline >= 0) {
			int64_t left = deadline - __vqchar_now_ms();

			if (left <= 0) {
				ret = -ETIMEDOUT;
				break;
			}
			wait = left > INT32_MAX ? INT32_MAX : (int)left;
		}
		if (q->dev_polling) {
			ret = __vqchar_cond_wait(&q->dev_ev, &q->dev_lock, deadline);
			if (ret && ret != -ETIMEDOUT)
				break;
			continue;
		}
		q->dev_polling = true;
		vq_dev_set_kicks(&q->ring, q->features, true, q->hot.last_avail);
		if (vqchar_dev_avail_pending(q)) {
			q->dev_polling = false;
			pthread_cond_broadcast(&q->dev_ev);
			continue;
		}
		/* Without a kick eventfd, look at the ring every millisecond. */
		if (q->kick_fd < 0 && (wait < 0 || wait > 1))
			wait = 1;
		pthread_mutex_unlock(&q->dev_lock);
		ret = __sys_poll(pfd, q->kick_fd < 0 ? 2 : 3, wait);
		pthread_mutex_lock(&q->dev_lock);
		q->dev_polling = false;
		if (ret > 0) {
			if (pfd[0].revents & POLLIN)
				__sys_eventfd_drain(q->dev_wake_fd);
			if (pfd[1].revents & POLLIN)
				err_seen = true;
			if (q->kick_fd >= 0 && (pfd[2].revents & POLLIN))
				__sys_eventfd_drain(q->kick_fd);
		}
		pthread_cond_broadcast(&q->dev_ev);
		if (ret < 0 && ret != -EINTR)
			break;
	}
	q->dev_waiters--;
	/* Hand the poll on, or tell vqchar_queue_close() the last one left. */
	pthread_cond_broadcast(&q->dev_ev);
	pthread_mutex_unlock(&q->dev_lock);
	return ret;
}

unsigned int vqchar_dev_error(struct vqchar_queue *q, uint32_t *index)
{
	unsigned int err;

	vq_dev_lock(q);
	err = q->hot.dev_err;
	if (index)
		*index = q->dev_err_index;
	vq_dev_unlock(q);
	return err;
}
