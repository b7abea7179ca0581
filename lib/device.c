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

/* A blocked vqchar_dev_wait(). */
struct vqchar_dev_wait {
	bool err_seen;		/* the err eventfd fired: either side broke the queue */
};

static int vqchar_dev_wait_ready(struct vqchar_queue *q, void *arg)
{
	struct vqchar_dev_wait *w = arg;

	if (__vqchar_load_relaxed(&q->hot.dev_err) || w->err_seen)
		return -EIO;
	return (int)vqchar_dev_avail_pending(q);
}

static int vqchar_dev_wait_arm(struct vqchar_queue *q, void *arg)
{
	(void)arg;
	vq_dev_set_kicks(&q->ring, q->features, true, q->hot.last_avail);
	return vqchar_dev_avail_pending(q) ? VQCHAR_ARM_RECHECK : VQCHAR_ARM_POLL;
}

static int vqchar_dev_wait_fds(struct vqchar_queue *q, void *arg, struct pollfd *pfd, int *wait)
{
	(void)arg;
	pfd[0] = (struct pollfd){ .fd = q->dev_wake_fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = q->err_fd, .events = POLLIN };
	if (q->kick_fd >= 0) {
		pfd[2] = (struct pollfd){ .fd = q->kick_fd, .events = POLLIN };
		return 3;
	}
	/* Without a kick eventfd, look at the ring every millisecond. */
	if (*wait < 0 || *wait > 1)
		*wait = 1;
	return 2;
}

static void vqchar_dev_wait_woken(struct vqchar_queue *q, void *arg, const struct pollfd *pfd)
{
	struct vqchar_dev_wait *w = arg;

	if (pfd[0].revents & POLLIN)
		__sys_eventfd_drain(q->dev_wake_fd);
	/* Never drained but by a reset: it stays readable. */
	if (pfd[1].revents & POLLIN)
		w->err_seen = true;
	if (q->kick_fd >= 0 && (pfd[2].revents & POLLIN))
		__sys_eventfd_drain(q->kick_fd);
}

static const struct vqchar_wait_ops vqchar_dev_wait_ops = {
	.ready = vqchar_dev_wait_ready,
	.arm = vqchar_dev_wait_arm,
	.fds = vqchar_dev_wait_fds,
	.woken = vqchar_dev_wait_woken,
};

/* Sleeps as the driver's blocked calls do (wait.c), on the device's lock. */
int vqchar_dev_wait(struct vqchar_queue *q, int timeout_ms)
{
	struct vqchar_wait_side side = { &q->dev_lock, &q->dev_ev, &q->dev_polling };
	int64_t deadline = timeout_ms < 0 ? -1 : __vqchar_now_ms() + timeout_ms;
	struct vqchar_dev_wait w = { false };
	int ret;

	pthread_mutex_lock(&q->dev_lock);
	q->dev_waiters++;
	ret = __vqchar_block(q, &side, &vqchar_dev_wait_ops, &w, deadline);
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
