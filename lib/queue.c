/* SPDX-License-Identifier: MIT */
/*
 * The driver side: offer chains, kick, take used chains, wait, free.
 *
 * The ring is shared with a device that may be hostile, so the library
 * only ever writes descriptors and reads the used ring: every fact about a
 * chain comes from its shadow (struct vqchar_chain and the buffer lists),
 * and a used entry is checked against the shadow before it is believed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syscall.h"
#include "vqchar_int.h"

#define VQCHAR_OFFER_FLAGS	(VQCHAR_OFFER_WAIT | VQCHAR_OFFER_NO_KICK | \
				 VQCHAR_OFFER_NO_INDIRECT | VQCHAR_OFFER_INDIRECT)

/* Where one chain's device-readable data comes from. */
struct vqchar_src {
	const struct iovec *iov;		/* copied into pool buffers */
	unsigned int iov_cnt;
	const struct vqchar_buf_seg *zc;	/* or: buffers filled in place */
	unsigned int zc_cnt;
	unsigned int in_bufs;
};

/* The resources one chain needs, worked out before taking any. */
struct vqchar_shape {
	uint32_t nr_out;	/* out segments */
	uint32_t nsegs;		/* out + in segments */
	uint32_t copy_bufs;	/* pool buffers for copied out data */
	uint32_t bufs;		/* pool buffers the library takes (copy + in) */
	bool can_indirect;	/* fits an indirect table in an empty queue */
	bool can_direct;	/* fits the descriptor table in an empty queue */
};

static inline uint64_t vqchar_buf_off(const struct vqchar_queue *q, uint32_t buf)
{
	return (uint64_t)buf * q->buf_size;
}

/* What a descriptor carries: the buffer's I/O address. */
static inline uint64_t vqchar_buf_addr(const struct vqchar_queue *q, uint32_t buf)
{
	return q->io_base + vqchar_buf_off(q, buf);
}

static inline uint8_t *vqchar_buf_ptr(const struct vqchar_queue *q, uint32_t buf)
{
	return q->pool + vqchar_buf_off(q, buf);
}

/* Wake blocked driver calls after a local change.  Holds q->lock (or is the single issuer). */
static void vqchar_drv_wake(struct vqchar_queue *q)
{
	if (!q->hot.waiters)
		return;
	pthread_cond_broadcast(&q->ev);
	if (q->polling)
		__sys_eventfd_signal(q->wake_fd);
}

/*
 * The device broke the protocol: stop trusting the ring, tell whoever
 * watches the err eventfd (the device side too), fail blocked calls.
 */
static int vqchar_set_broken(struct vqchar_queue *q)
{
	if (!q->hot.broken && q->err_fd >= 0)
		__sys_eventfd_signal(q->err_fd);
	q->hot.broken = -EIO;
	vqchar_drv_wake(q);
	return q->hot.broken;
}

static int vqchar_shape(const struct vqchar_queue *q, const struct vqchar_src *src,
			unsigned int flags, struct vqchar_shape *s)
{
	uint64_t out = 0, nsegs;
	unsigned int i;

	if (src->iov_cnt && !src->iov)
		return -EINVAL;
	if (src->zc_cnt && !src->zc)
		return -EINVAL;
	for (i = 0; i < src->iov_cnt; i++) {
		size_t len = src->iov[i].iov_len;

		if (len && !src->iov[i].iov_base)
			return -EINVAL;
		out += len / q->buf_size + !!(len % q->buf_size);
		if (out > UINT32_MAX)
			return -E2BIG;
	}
	for (i = 0; i < src->zc_cnt; i++) {
		if (src->zc[i].buf >= q->buf_count || src->zc[i].len > q->buf_size)
			return -EINVAL;
	}
	s->copy_bufs = (uint32_t)out;
	out += src->zc_cnt;
	nsegs = out + src->in_bufs;
	if (!nsegs)
		return -EINVAL;
	if (nsegs > UINT32_MAX || (uint64_t)s->copy_bufs + src->in_bufs > UINT32_MAX)
		return -E2BIG;
	s->nr_out = (uint32_t)out;
	s->nsegs = (uint32_t)nsegs;
	s->bufs = s->copy_bufs + src->in_bufs;

	/*
	 * An indirect table lives in one more pool buffer; descriptors must
	 * be 16-byte aligned for the device to read them in place.
	 */
	s->can_indirect = (q->features & VQCHAR_F_INDIRECT_DESC) &&
			  !(flags & VQCHAR_OFFER_NO_INDIRECT) &&
			  !(q->buf_size % sizeof(struct vq_desc)) &&
			  nsegs <= q->buf_size / sizeof(struct vq_desc) &&
			  (uint64_t)s->bufs + 1 <= q->buf_count;
	s->can_direct = !(flags & VQCHAR_OFFER_INDIRECT) && s->nsegs <= q->num &&
			s->bufs <= q->buf_count;
	if ((flags & VQCHAR_OFFER_INDIRECT) && !s->can_indirect)
		return (q->features & VQCHAR_F_INDIRECT_DESC) ? -E2BIG : -EINVAL;

	/* E2BIG only for a chain that fits neither way even in an empty queue. */
	if (!s->can_indirect && !s->can_direct)
		return -E2BIG;
	return 0;
}

/*
 * Direct or indirect, for the room there is now: indirect when asked or
 * when the chain is long (or longer than the free descriptors) and a
 * buffer is left for the table; else direct if that fits now; else
 * indirect if that fits.  -ENOSPC when neither fits now.
 */
static int vqchar_use_indirect(const struct vqchar_queue *q, const struct vqchar_shape *s,
			       unsigned int flags)
{
	bool ind_now = s->can_indirect && q->hot.num_free >= 1 && q->hot.num_free_bufs >= s->bufs + 1;
	bool dir_now = s->can_direct && q->hot.num_free >= s->nsegs && q->hot.num_free_bufs >= s->bufs;
	bool prefer_ind = (flags & VQCHAR_OFFER_INDIRECT) ||
			  (s->nsegs > 1 && (s->nsegs >= VQCHAR_INDIRECT_MIN_SEGS ||
					    s->nsegs > q->hot.num_free));

	if (prefer_ind && ind_now)
		return 1;
	if (dir_now)
		return 0;
	return ind_now ? 1 : -ENOSPC;
}

static uint32_t vqchar_buf_pop(struct vqchar_queue *q)
{
	uint32_t b = q->hot.buf_free_head;

	q->hot.buf_free_head = q->hot.buf_next[b];
	q->hot.num_free_bufs--;
	q->hot.buf_state[b] = VQCHAR_BUF_CHAIN;
	return b;
}

static void vqchar_buf_push(struct vqchar_queue *q, uint32_t b)
{
	q->hot.buf_state[b] = VQCHAR_BUF_FREE;
	q->hot.buf_next[b] = q->hot.buf_free_head;
	q->hot.buf_free_head = b;
	q->hot.num_free_bufs++;
}

/*
 * Claim the caller's zero-copy buffers for a chain; each must be one the
 * caller holds, and appear once.  On failure nothing changes.
 */
static int vqchar_claim_zc(struct vqchar_queue *q, const struct vqchar_src *src)
{
	unsigned int i;

	for (i = 0; i < src->zc_cnt; i++) {
		uint32_t b = src->zc[i].buf;

		if (q->hot.buf_state[b] != VQCHAR_BUF_USER) {
			while (i--)
				q->hot.buf_state[src->zc[i].buf] = VQCHAR_BUF_USER;
			return -EINVAL;
		}
		q->hot.buf_state[b] = VQCHAR_BUF_CHAIN;
	}
	return 0;
}

/* Fill one descriptor of an indirect table (pool memory, not yet published). */
static void vqchar_table_write(struct vq_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
			       uint16_t next)
{
	WRITE_ONCE(d->addr, cpu_to_le64(addr));
	WRITE_ONCE(d->len, cpu_to_le32(len));
	WRITE_ONCE(d->flags, cpu_to_le16(flags));
	WRITE_ONCE(d->next, cpu_to_le16(next));
}

/* Copy cursor over the out iovecs of one chain. */
struct vqchar_cursor {
	unsigned int i;
	size_t off;
};

/* Copy the next chunk (at most one buffer) of the out data into @b. */
static uint32_t vqchar_copy_chunk(struct vqchar_queue *q, const struct vqchar_src *src,
				  struct vqchar_cursor *cur, uint32_t b)
{
	const struct iovec *iov;
	size_t len;

	while (!src->iov[cur->i].iov_len)
		cur->i++;
	iov = &src->iov[cur->i];
	len = iov->iov_len - cur->off;
	if (len > q->buf_size)
		len = q->buf_size;
	memcpy(vqchar_buf_ptr(q, b), (const uint8_t *)iov->iov_base + cur->off, len);
	cur->off += len;
	if (cur->off == iov->iov_len) {
		cur->i++;
		cur->off = 0;
	}
	return (uint32_t)len;
}

/*
 * Build one chain and put its head on the available ring (not yet
 * published).  Returns the head, or -errno with nothing changed.
 */
static int vqchar_add_chain(struct vqchar_queue *q, const struct vqchar_src *src,
			    const struct vqchar_shape *s, unsigned int flags)
{
	int use_ind = vqchar_use_indirect(q, s, flags);
	bool indirect = use_ind > 0;
	uint32_t ndesc = indirect ? 1 : s->nsegs;
	uint32_t prev = VQCHAR_NO_BUF, seg;
	struct vqchar_cursor cur = { 0, 0 };
	struct vq_desc *table = NULL;
	struct vqchar_chain *ch;
	uint16_t head, d;
	int ret;

	if (use_ind < 0)
		return use_ind;
	ret = vqchar_claim_zc(q, src);
	if (ret)
		return ret;

	head = q->hot.free_head;
	ch = &q->hot.chains[head];
	ch->ind_buf = VQCHAR_NO_BUF;
	if (indirect) {
		ch->ind_buf = vqchar_buf_pop(q);
		table = (struct vq_desc *)vqchar_buf_ptr(q, ch->ind_buf);
	}

	/* Segments in order: copied out data, zero-copy out buffers, in buffers. */
	d = head;
	for (seg = 0; seg < s->nsegs; seg++) {
		bool write = seg >= s->nr_out;
		bool last = seg == s->nsegs - 1;
		uint16_t fl = (write ? VQ_DESC_F_WRITE : 0) | (last ? 0 : VQ_DESC_F_NEXT);
		uint32_t b, len;

		if (seg < s->copy_bufs) {
			b = vqchar_buf_pop(q);
			len = vqchar_copy_chunk(q, src, &cur, b);
		} else if (seg < s->nr_out) {
			b = src->zc[seg - s->copy_bufs].buf;
			len = src->zc[seg - s->copy_bufs].len;
		} else {
			b = vqchar_buf_pop(q);
			len = q->buf_size;
		}

		q->hot.buf_len[b] = len;
		if (prev == VQCHAR_NO_BUF)
			ch->first_buf = b;
		else
			q->hot.buf_next[prev] = b;
		prev = b;

		if (indirect) {
			vqchar_table_write(&table[seg], vqchar_buf_addr(q, b), len, fl,
					   last ? 0 : (uint16_t)(seg + 1));
		} else {
			vq_drv_desc_write(&q->ring, d, vqchar_buf_addr(q, b), len, fl,
					  last ? 0 : q->hot.desc_next[d]);
			if (!last)
				d = q->hot.desc_next[d];
		}
	}
	if (indirect)
		vq_drv_desc_write(&q->ring, head, vqchar_buf_addr(q, ch->ind_buf),
				  s->nsegs * (uint32_t)sizeof(struct vq_desc),
				  VQ_DESC_F_INDIRECT, 0);

	/* d is the chain's last descriptor; the free list goes on after it. */
	q->hot.free_head = q->hot.desc_next[d];
	q->hot.num_free -= ndesc;

	ch->nsegs = s->nsegs;
	ch->nr_out = s->nr_out;
	ch->in_cap = (uint64_t)src->in_bufs * q->buf_size;
	ch->used_len = 0;
	ch->ndesc = (uint16_t)ndesc;
	ch->state = VQCHAR_CHAIN_AVAIL;

	vq_drv_avail_fill(&q->ring, q->hot.avail_next, head);
	q->hot.avail_next++;
	VQ_STAT_INC(&q->hot.st_offered);
	return head;
}

/* Kick decision for everything published since the last one.  Holds q->lock. */
static int vqchar_kick_locked(struct vqchar_queue *q)
{
	uint16_t old = q->hot.kick_old, new_idx = q->hot.avail_next;
	int ret;

	if (old == new_idx)
		return 0;
	if (!vq_drv_should_kick(&q->ring, q->features, old, new_idx)) {
		q->hot.kick_old = new_idx;
		VQ_STAT_INC(&q->hot.st_kicks_suppressed);
		return 0;
	}
	if (q->kick_fd >= 0) {
		ret = __sys_eventfd_signal(q->kick_fd);
		/* Not sent: keep the decision open, vqchar_kick() tries again. */
		if (ret)
			return ret;
	}
	q->hot.kick_old = new_idx;
	VQ_STAT_INC(&q->hot.st_kicks);
	return q->kick_fd >= 0;
}

/* Publish what was added; kick unless told not to.  Holds q->lock. */
static int vqchar_publish(struct vqchar_queue *q, unsigned int flags)
{
	vq_drv_avail_publish(&q->ring, q->hot.avail_next);
	/*
	 * vq_need_event() only sees 16 bits: decide before the distance
	 * since the last decision could wrap (virtqueue_add_split() does
	 * the same at 65535).
	 */
	if (!(flags & VQCHAR_OFFER_NO_KICK) || (uint16_t)(q->hot.avail_next - q->hot.kick_old) >= 0x8000)
		return vqchar_kick_locked(q);
	return 0;
}

/* A blocked driver call: what it waits for. */
struct vqchar_drv_wait {
	int (*ready)(struct vqchar_queue *q, void *arg);
	void *arg;
	bool want_used;		/* waits for used chains (not for room) */
};

static int vqchar_drv_wait_ready(struct vqchar_queue *q, void *arg)
{
	struct vqchar_drv_wait *w = arg;

	return w->ready(q, w->arg);
}

/* Arm calls; used chains already there are for the used waiters. */
static int vqchar_drv_wait_arm(struct vqchar_queue *q, void *arg)
{
	struct vqchar_drv_wait *w = arg;

	q->hot.calls_enabled = true;
	vq_drv_set_calls(&q->ring, q->features, true, q->hot.last_used);
	if (!vq_drv_used_pending(&q->ring, q->hot.last_used))
		return VQCHAR_ARM_POLL;
	if (w->want_used)
		return VQCHAR_ARM_RECHECK;
	return q->used_waiters ? VQCHAR_ARM_YIELD : VQCHAR_ARM_POLL;
}

static int vqchar_drv_wait_fds(struct vqchar_queue *q, void *arg, struct pollfd *pfd, int *wait)
{
	(void)arg;
	(void)wait;
	pfd[0] = (struct pollfd){ .fd = q->call_fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = q->err_fd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = q->wake_fd, .events = POLLIN };
	return 3;
}

static void vqchar_drv_wait_woken(struct vqchar_queue *q, void *arg, const struct pollfd *pfd)
{
	(void)arg;
	if (pfd[0].revents & POLLIN) {
		__sys_eventfd_drain(q->call_fd);
		VQ_STAT_INC(&q->st_call_wakeups);
	}
	if (pfd[1].revents & POLLIN)
		q->err_seen = true;	/* never drained: level */
	if (pfd[2].revents & POLLIN)
		__sys_eventfd_drain(q->wake_fd);
}

static const struct vqchar_wait_ops vqchar_drv_wait_ops = {
	.ready = vqchar_drv_wait_ready,
	.arm = vqchar_drv_wait_arm,
	.fds = vqchar_drv_wait_fds,
	.woken = vqchar_drv_wait_woken,
};

/*
 * Block until @ready says so, the queue is shut down (-ESHUTDOWN) or
 * @deadline passes (-ETIMEDOUT), as wait.c sleeps.  Holds q->lock.
 * Calls are armed while anyone sleeps, and disarmed by the last to leave.
 */
static int vqchar_drv_block(struct vqchar_queue *q, int (*ready)(struct vqchar_queue *, void *),
			    void *arg, bool want_used, int64_t deadline)
{
	struct vqchar_wait_side side = { &q->lock, &q->ev, &q->polling };
	struct vqchar_drv_wait w = { ready, arg, want_used };
	int ret;

	q->hot.waiters++;
	q->used_waiters += want_used;
	ret = __vqchar_block(q, &side, &vqchar_drv_wait_ops, &w, deadline);
	q->hot.waiters--;
	q->used_waiters -= want_used;
	if (!q->hot.waiters) {
		/* Nobody sleeps: stop asking for calls (virtqueue_disable_cb). */
		q->hot.calls_enabled = false;
		vq_drv_set_calls(&q->ring, q->features, false, q->hot.last_used);
	}
	/* Hand the poll on, or tell vqchar_queue_close() the last one left. */
	pthread_cond_broadcast(&q->ev);
	return ret;
}

struct vqchar_room_wait {
	struct vqchar_offer_waiter w;
	bool queued;
};

/* An offer may try again: it heads the FIFO and room changed, or the queue failed. */
static int vqchar_room_ready(struct vqchar_queue *q, void *arg)
{
	struct vqchar_room_wait *rw = arg;

	if (q->hot.broken)
		return q->hot.broken;
	if (q->err_seen)
		return -EIO;
	return q->ow_head == &rw->w && q->hot.room_gen != rw->w.room_gen;
}

static void vqchar_ow_enqueue(struct vqchar_queue *q, struct vqchar_room_wait *rw)
{
	struct vqchar_offer_waiter **pp = &q->ow_head;

	while (*pp)
		pp = &(*pp)->next;
	rw->w.next = NULL;
	*pp = &rw->w;
	rw->queued = true;
}

static void vqchar_ow_dequeue(struct vqchar_queue *q, struct vqchar_room_wait *rw)
{
	struct vqchar_offer_waiter **pp = &q->ow_head;

	if (!rw->queued)
		return;
	while (*pp != &rw->w)
		pp = &(*pp)->next;
	*pp = rw->w.next;
	rw->queued = false;
	/* The next in line tries at once. */
	q->hot.room_gen++;
	pthread_cond_broadcast(&q->ev);
}

/*
 * Offer @nr chains.  Blocked offers are served in call order: while any
 * is queued, a later offer queues behind it (or, without WAIT, gets
 * -ENOSPC), even if it would fit.  *@kick_err receives a failed kick.
 */
static int vqchar_offer_srcs(struct vqchar_queue *q, const struct vqchar_src *srcs,
			     unsigned int nr, unsigned int *heads, unsigned int flags,
			     int timeout_ms, int *kick_err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : __vqchar_now_ms() + timeout_ms;
	bool wait = flags & VQCHAR_OFFER_WAIT;
	/* A single issuer takes the lock only to block. */
	bool locked = !q->single || wait;
	struct vqchar_room_wait rw = { .queued = false };
	unsigned int done = 0, added = 0;
	int ret = 0, kret;

	*kick_err = 0;
	if (q->attached)
		return -EPERM;
	if ((flags & ~VQCHAR_OFFER_FLAGS) || !nr)
		return -EINVAL;
	if ((flags & VQCHAR_OFFER_INDIRECT) && (flags & VQCHAR_OFFER_NO_INDIRECT))
		return -EINVAL;
	if (vq_is_shutdown(q))
		return -ESHUTDOWN;

	if (locked)
		pthread_mutex_lock(&q->lock);
	if (q->ow_head) {
		if (!wait) {
			ret = -ENOSPC;
			goto out;
		}
		rw.w.room_gen = q->hot.room_gen;
		vqchar_ow_enqueue(q, &rw);
	}
	while (done < nr) {
		struct vqchar_shape s;

		if (q->hot.broken) {
			ret = q->hot.broken;
			break;
		}
		if (rw.queued && q->ow_head != &rw.w) {
			ret = -ENOSPC;
		} else {
			ret = vqchar_shape(q, &srcs[done], flags, &s);
			if (ret)
				break;
			ret = vqchar_add_chain(q, &srcs[done], &s, flags);
		}
		if (ret >= 0) {
			if (heads)
				heads[done] = (unsigned int)ret;
			done++;
			added++;
			continue;
		}
		if (ret != -ENOSPC || !wait)
			break;
		/* Let the device see what we added before sleeping on it. */
		if (added) {
			kret = vqchar_publish(q, flags & ~VQCHAR_OFFER_NO_KICK);
			if (kret < 0)
				*kick_err = kret;
			added = 0;
		}
		if (!rw.queued)
			vqchar_ow_enqueue(q, &rw);
		rw.w.room_gen = q->hot.room_gen;
		ret = vqchar_drv_block(q, vqchar_room_ready, &rw, false, deadline);
		if (ret < 0)
			break;
	}
	if (added) {
		kret = vqchar_publish(q, flags);
		if (kret < 0)
			*kick_err = kret;
	}
out:
	vqchar_ow_dequeue(q, &rw);
	if (locked)
		pthread_mutex_unlock(&q->lock);
	return done ? (int)done : ret;
}

int __vqchar_offer(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
		 unsigned int in_bufs, unsigned int flags)
{
	struct vqchar_src src = {
		.iov = out, .iov_cnt = out_cnt, .in_bufs = in_bufs,
	};
	unsigned int head;
	int ret, kick_err;

	ret = vqchar_offer_srcs(q, &src, 1, &head, flags, -1, &kick_err);
	if (ret < 0)
		return ret;
	return kick_err ? kick_err : (int)head;
}

int vqchar_offer_timeout(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
			 unsigned int in_bufs, unsigned int flags, int timeout_ms)
{
	struct vqchar_src src = {
		.iov = out, .iov_cnt = out_cnt, .in_bufs = in_bufs,
	};
	unsigned int head;
	int ret, kick_err;

	ret = vqchar_offer_srcs(q, &src, 1, &head, flags | VQCHAR_OFFER_WAIT, timeout_ms,
				&kick_err);
	if (ret < 0)
		return ret;
	return kick_err ? kick_err : (int)head;
}

int __vqchar_offer_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *out,
		      unsigned int out_cnt, unsigned int in_bufs, unsigned int flags)
{
	struct vqchar_src src = {
		.zc = out, .zc_cnt = out_cnt, .in_bufs = in_bufs,
	};
	unsigned int head;
	int ret, kick_err;

	ret = vqchar_offer_srcs(q, &src, 1, &head, flags, -1, &kick_err);
	if (ret < 0)
		return ret;
	return kick_err ? kick_err : (int)head;
}

/* Chains per call to vqchar_offer_srcs(): bounds the stack used. */
#define VQCHAR_BATCH_CHUNK	64

int vqchar_offer_batch(struct vqchar_queue *q, const struct vqchar_chain_req *reqs,
		       unsigned int nr, unsigned int *heads, unsigned int flags)
{
	struct vqchar_src srcs[VQCHAR_BATCH_CHUNK];
	unsigned int done = 0;

	if (!reqs || !nr)
		return -EINVAL;
	while (done < nr) {
		unsigned int n = nr - done, i;
		int ret, kick_err;

		if (n > VQCHAR_BATCH_CHUNK)
			n = VQCHAR_BATCH_CHUNK;
		for (i = 0; i < n; i++) {
			srcs[i] = (struct vqchar_src) {
				.iov = reqs[done + i].out,
				.iov_cnt = reqs[done + i].out_cnt,
				.in_bufs = reqs[done + i].in_bufs,
			};
		}
		/* Only the last chunk kicks, unless the caller said not to. */
		ret = vqchar_offer_srcs(q, srcs, n, heads ? heads + done : NULL,
					done + n < nr ? flags | VQCHAR_OFFER_NO_KICK : flags, -1,
					&kick_err);
		if (ret < 0) {
			if (done && !(flags & VQCHAR_OFFER_NO_KICK))
				vqchar_kick(q);
			return done ? (int)done : ret;
		}
		done += (unsigned int)ret;
		if ((unsigned int)ret < n) {
			if (!(flags & VQCHAR_OFFER_NO_KICK))
				vqchar_kick(q);
			break;
		}
	}
	return (int)done;
}

int __vqchar_kick(struct vqchar_queue *q)
{
	int ret;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	ret = vqchar_kick_locked(q);
	vq_drv_unlock(q);
	return ret;
}

int __vqchar_buf_get(struct vqchar_queue *q, void **data)
{
	uint32_t b;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	if (!q->hot.num_free_bufs) {
		vq_drv_unlock(q);
		return -ENOSPC;
	}
	b = vqchar_buf_pop(q);
	q->hot.buf_state[b] = VQCHAR_BUF_USER;
	vq_drv_unlock(q);
	if (data)
		*data = vqchar_buf_ptr(q, b);
	return (int)b;
}

int vqchar_buf_put(struct vqchar_queue *q, unsigned int buf)
{
	int ret = -EINVAL;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	if (buf < q->buf_count && q->hot.buf_state[buf] == VQCHAR_BUF_USER) {
		vqchar_buf_push(q, buf);
		q->hot.room_gen++;
		vqchar_drv_wake(q);
		ret = 0;
	}
	vq_drv_unlock(q);
	return ret;
}

/*
 * Take the next used entry, after checking it against the shadow: the id
 * must be a chain the device holds, and the length must fit its in
 * buffers (virtqueue_get_buf_ctx_split()'s BAD_RING checks).  Holds q->lock.
 */
static int vqchar_take_one(struct vqchar_queue *q, struct vqchar_used *u)
{
	uint16_t last = q->hot.last_used;
	uint16_t pending;
	struct vqchar_chain *ch;
	uint32_t id, len;

	if (q->hot.broken)
		return q->hot.broken;
	pending = vq_drv_used_pending(&q->ring, last);
	if (!pending)
		return -EAGAIN;
	if (pending > q->num)
		return vqchar_set_broken(q);
	vq_drv_used_read(&q->ring, last, &id, &len);
	if (id >= q->num)
		return vqchar_set_broken(q);
	ch = &q->hot.chains[id];
	if (ch->state != VQCHAR_CHAIN_AVAIL || len > ch->in_cap)
		return vqchar_set_broken(q);

	ch->state = VQCHAR_CHAIN_USED;
	ch->used_len = len;
	__vqchar_store_relaxed(&q->hot.last_used, (uint16_t)(last + 1));
	VQ_STAT_INC(&q->hot.st_taken);
	u->head = id;
	u->len = len;
	return 0;
}

/* With EVENT_IDX, ask for a call at the next entry (virtqueue_get_buf_ctx_split()). */
static void vqchar_update_used_event(struct vqchar_queue *q)
{
	if (q->hot.calls_enabled && (q->features & VQCHAR_F_EVENT_IDX))
		vq_drv_set_calls(&q->ring, q->features, true, q->hot.last_used);
}

int __vqchar_take_batch(struct vqchar_queue *q, struct vqchar_used *used, unsigned int max)
{
	unsigned int n = 0;
	int ret = 0;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	while (n < max) {
		ret = vqchar_take_one(q, &used[n]);
		if (ret)
			break;
		n++;
	}
	if (n)
		vqchar_update_used_event(q);
	vq_drv_unlock(q);
	if (n)
		return (int)n;
	return ret == -EAGAIN ? 0 : ret;
}

/* Enable calls and re-check; returns what is pending.  Holds q->lock. */
static unsigned int vqchar_enable_calls_locked(struct vqchar_queue *q)
{
	q->hot.calls_enabled = true;
	vq_drv_set_calls(&q->ring, q->features, true, q->hot.last_used);
	return vq_drv_used_pending(&q->ring, q->hot.last_used);
}

int vqchar_enable_calls(struct vqchar_queue *q)
{
	int ret;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	ret = q->hot.broken ? q->hot.broken : (int)vqchar_enable_calls_locked(q);
	vq_drv_unlock(q);
	return ret;
}

int vqchar_disable_calls(struct vqchar_queue *q)
{
	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	/* With EVENT_IDX this stops moving used_event: at most one more call. */
	q->hot.calls_enabled = false;
	vq_drv_set_calls(&q->ring, q->features, false, q->hot.last_used);
	vq_drv_unlock(q);
	return 0;
}

/* Used chains pending, or the reason the queue cannot have any more. */
static int vqchar_used_ready(struct vqchar_queue *q, void *arg)
{
	unsigned int pending = vq_drv_used_pending(&q->ring, q->hot.last_used);

	(void)arg;
	if (q->hot.broken)
		return q->hot.broken;
	/* Broken: whatever was used before still counts. */
	if (pending)
		return (int)pending;
	return q->err_seen ? -EIO : 0;
}

static int vqchar_wait_used_until(struct vqchar_queue *q, int64_t deadline)
{
	int ret;

	pthread_mutex_lock(&q->lock);
	ret = vqchar_drv_block(q, vqchar_used_ready, NULL, true, deadline);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int vqchar_wait_used(struct vqchar_queue *q, int timeout_ms)
{
	if (q->attached)
		return -EPERM;
	return vqchar_wait_used_until(q, timeout_ms < 0 ? -1 : __vqchar_now_ms() + timeout_ms);
}

int vqchar_wait(struct vqchar_queue *q, int timeout_ms, uint32_t *len)
{
	int64_t deadline = timeout_ms < 0 ? -1 : __vqchar_now_ms() + timeout_ms;

	if (q->attached)
		return -EPERM;
	for (;;) {
		int ret = vqchar_wait_used_until(q, deadline);

		if (ret < 0)
			return ret;
		ret = vqchar_take(q, len);
		/* Another thread took it between the wait and the take: wait again. */
		if (ret != -EAGAIN)
			return ret;
	}
}

/* The chain at @head if the caller owns it, else NULL.  Holds q->lock. */
static struct vqchar_chain *vqchar_chain_get(struct vqchar_queue *q, unsigned int head)
{
	if (head >= q->num || q->hot.chains[head].state == VQCHAR_CHAIN_FREE)
		return NULL;
	return &q->hot.chains[head];
}

int vqchar_chain_out(struct vqchar_queue *q, unsigned int head, struct iovec *iov,
		     unsigned int max)
{
	struct vqchar_chain *ch;
	uint32_t b, i;
	int ret;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	ch = vqchar_chain_get(q, head);
	if (!ch) {
		vq_drv_unlock(q);
		return -EINVAL;
	}
	for (i = 0, b = ch->first_buf; i < ch->nr_out && i < max; i++, b = q->hot.buf_next[b]) {
		iov[i].iov_base = vqchar_buf_ptr(q, b);
		iov[i].iov_len = q->hot.buf_len[b];
	}
	ret = (int)ch->nr_out;
	vq_drv_unlock(q);
	return ret;
}

int vqchar_chain_in(struct vqchar_queue *q, unsigned int head, struct iovec *iov,
		    unsigned int max)
{
	struct vqchar_chain *ch;
	uint64_t left;
	uint32_t b, i, n;
	int ret;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	ch = vqchar_chain_get(q, head);
	if (!ch) {
		vq_drv_unlock(q);
		return -EINVAL;
	}
	left = ch->state == VQCHAR_CHAIN_USED ? ch->used_len : ch->in_cap;
	for (i = 0, b = ch->first_buf; i < ch->nr_out; i++)
		b = q->hot.buf_next[b];
	n = ch->nsegs - ch->nr_out;
	for (i = 0; i < n && i < max; i++, b = q->hot.buf_next[b]) {
		uint64_t len = left < q->hot.buf_len[b] ? left : q->hot.buf_len[b];

		iov[i].iov_base = vqchar_buf_ptr(q, b);
		iov[i].iov_len = (size_t)len;
		left -= len;
	}
	ret = (int)n;
	vq_drv_unlock(q);
	return ret;
}

int __vqchar_free(struct vqchar_queue *q, unsigned int head)
{
	struct vqchar_chain *ch;
	uint32_t b, next, i;
	uint16_t last;

	if (q->attached)
		return -EPERM;
	vq_drv_lock(q);
	ch = vqchar_chain_get(q, head);
	if (!ch || ch->state != VQCHAR_CHAIN_USED) {
		vq_drv_unlock(q);
		return ch ? -EBUSY : -EINVAL;
	}

	/* Descriptors: the chain is linked through desc_next, as allocated. */
	last = (uint16_t)head;
	for (i = 1; i < ch->ndesc; i++)
		last = q->hot.desc_next[last];
	q->hot.desc_next[last] = q->hot.free_head;
	q->hot.free_head = (uint16_t)head;
	q->hot.num_free += ch->ndesc;

	for (i = 0, b = ch->first_buf; i < ch->nsegs; i++, b = next) {
		next = q->hot.buf_next[b];
		vqchar_buf_push(q, b);
	}
	if (ch->ind_buf != VQCHAR_NO_BUF)
		vqchar_buf_push(q, ch->ind_buf);
	memset(ch, 0, sizeof(*ch));

	q->hot.room_gen++;
	vqchar_drv_wake(q);
	vq_drv_unlock(q);
	return 0;
}
