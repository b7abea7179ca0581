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

/* Largest segment array vqchar_dev_pop() grows its scratch to. */
#define VQCHAR_DEV_MAX_IOV	(1U << 20)

/* Holds q->dev_lock. */
static int vqchar_dev_break(struct vqchar_queue *q, unsigned int err, uint32_t index)
{
	/* Atomic: vqchar_dev_wait() looks without the lock. */
	__vqchar_store_relaxed(&q->dev_err, err);
	q->dev_err_index = index;
	if (q->err_fd >= 0)
		__sys_eventfd_signal(q->err_fd);
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

int vqchar_dev_pop(struct vqchar_queue *q, struct vqchar_dev_chain *c, struct iovec *iov,
		   unsigned int max_iov)
{
	struct vq_chain chain;
	uint16_t last;
	int ret, head;
	uint32_t i;

	if (!c || !iov || !max_iov || max_iov > VQCHAR_DEV_MAX_IOV)
		return -EINVAL;

	pthread_mutex_lock(&q->dev_lock);
	last = q->hot.last_avail;
	if (q->dev_err) {
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
	q->st_dev_popped++;
	ret = 1;
out:
	pthread_mutex_unlock(&q->dev_lock);
	return ret;
}

int vqchar_dev_push(struct vqchar_queue *q, unsigned int head, uint32_t len)
{
	int ret = 0;

	if (head >= q->num)
		return -EINVAL;
	pthread_mutex_lock(&q->dev_lock);
	if (q->dev_err) {
		ret = -EIO;
	} else {
		vq_dev_used_fill(&q->ring, q->dev_used_idx, head, len);
		q->dev_used_idx++;
		vq_dev_used_publish(&q->ring, q->dev_used_idx);
	}
	pthread_mutex_unlock(&q->dev_lock);
	return ret;
}

int vqchar_dev_notify(struct vqchar_queue *q)
{
	uint16_t old, new_idx;
	int ret = 0;

	pthread_mutex_lock(&q->dev_lock);
	old = q->dev_signalled;
	new_idx = q->dev_used_idx;
	if (old == new_idx)
		goto out;
	q->dev_signalled = new_idx;
	if (!vq_dev_should_call(&q->ring, q->features, old, new_idx)) {
		q->st_dev_calls_suppressed++;
		goto out;
	}
	q->st_dev_calls++;
	if (q->call_fd >= 0)
		ret = __sys_eventfd_signal(q->call_fd);
	ret = ret ? ret : 1;
out:
	pthread_mutex_unlock(&q->dev_lock);
	return ret;
}

int vqchar_dev_enable_kicks(struct vqchar_queue *q)
{
	pthread_mutex_lock(&q->dev_lock);
	vq_dev_set_kicks(&q->ring, q->features, true, q->hot.last_avail);
	pthread_mutex_unlock(&q->dev_lock);
	return (int)vqchar_dev_avail_pending(q);
}

int vqchar_dev_disable_kicks(struct vqchar_queue *q)
{
	pthread_mutex_lock(&q->dev_lock);
	vq_dev_set_kicks(&q->ring, q->features, false, q->hot.last_avail);
	pthread_mutex_unlock(&q->dev_lock);
	return 0;
}

static int64_t vqchar_dev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vqchar_dev_wait(struct vqchar_queue *q, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? vqchar_dev_now_ms() + timeout_ms : 0;

	for (;;) {
		struct pollfd pfd = { .fd = q->kick_fd, .events = POLLIN };
		unsigned int pending;
		int wait = timeout_ms, ret;

		if (__atomic_load_n(&q->dev_err, __ATOMIC_RELAXED))
			return -EIO;
		pending = vqchar_dev_avail_pending(q);
		if (!pending)
			pending = (unsigned int)vqchar_dev_enable_kicks(q);
		if (pending)
			return (int)pending;

		if (timeout_ms > 0) {
			int64_t left = deadline - vqchar_dev_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			wait = (int)left;
		}
		if (!timeout_ms)
			return -ETIMEDOUT;
		/* Without a kick eventfd, look at the ring every millisecond. */
		if (q->kick_fd < 0)
			ret = __sys_poll(NULL, 0, wait < 0 || wait > 1 ? 1 : wait);
		else
			ret = __sys_poll(&pfd, 1, wait);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		if (!ret && q->kick_fd >= 0)
			return -ETIMEDOUT;
		if (q->kick_fd >= 0)
			__sys_eventfd_drain(q->kick_fd);
	}
}

unsigned int vqchar_dev_error(struct vqchar_queue *q, uint32_t *index)
{
	unsigned int err;

	pthread_mutex_lock(&q->dev_lock);
	err = q->dev_err;
	if (index)
		*index = q->dev_err_index;
	pthread_mutex_unlock(&q->dev_lock);
	return err;
}
