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
	bool can_indirect;
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

/* The device broke the protocol: stop trusting the ring.  Holds q->lock. */
static int vqchar_set_broken(struct vqchar_queue *q)
{
	q->broken = -EIO;
	pthread_cond_broadcast(&q->room);
	return q->broken;
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
	if (nsegs > UINT32_MAX)
		return -E2BIG;
	s->nr_out = (uint32_t)out;
	s->nsegs = (uint32_t)nsegs;

	/*
	 * An indirect table lives in one pool buffer; descriptors must be
	 * 16-byte aligned for the device to read them in place.
	 */
	s->can_indirect = (q->features & VQCHAR_F_INDIRECT_DESC) &&
			  !(flags & VQCHAR_OFFER_NO_INDIRECT) &&
			  !(q->buf_size % sizeof(struct vq_desc)) &&
			  nsegs <= q->buf_size / sizeof(struct vq_desc);
	if ((flags & VQCHAR_OFFER_INDIRECT) && !s->can_indirect)
		return (q->features & VQCHAR_F_INDIRECT_DESC) ? -E2BIG : -EINVAL;

	/* Chains that could not fit even in an empty queue. */
	if (!s->can_indirect && s->nsegs > q->num)
		return -E2BIG;
	if ((uint64_t)s->copy_bufs + src->in_bufs + s->can_indirect > q->buf_count)
		return -E2BIG;
	return 0;
}

static bool vqchar_use_indirect(const struct vqchar_queue *q, const struct vqchar_shape *s,
				unsigned int flags)
{
	if (!s->can_indirect)
		return false;
	if (flags & VQCHAR_OFFER_INDIRECT)
		return true;
	return s->nsegs > 1 && (s->nsegs >= VQCHAR_INDIRECT_MIN_SEGS || s->nsegs > q->num_free);
}

static uint32_t vqchar_buf_pop(struct vqchar_queue *q)
{
	uint32_t b = q->buf_free_head;

	q->buf_free_head = q->buf_next[b];
	q->num_free_bufs--;
	q->buf_state[b] = VQCHAR_BUF_CHAIN;
	return b;
}

static void vqchar_buf_push(struct vqchar_queue *q, uint32_t b)
{
	q->buf_state[b] = VQCHAR_BUF_FREE;
	q->buf_next[b] = q->buf_free_head;
	q->buf_free_head = b;
	q->num_free_bufs++;
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

		if (q->buf_state[b] != VQCHAR_BUF_USER) {
			while (i--)
				q->buf_state[src->zc[i].buf] = VQCHAR_BUF_USER;
			return -EINVAL;
		}
		q->buf_state[b] = VQCHAR_BUF_CHAIN;
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
	bool indirect = vqchar_use_indirect(q, s, flags);
	uint32_t ndesc = indirect ? 1 : s->nsegs;
	uint32_t nbufs = s->copy_bufs + src->in_bufs + indirect;
	uint32_t prev = VQCHAR_NO_BUF, seg;
	struct vqchar_cursor cur = { 0, 0 };
	struct vq_desc *table = NULL;
	struct vqchar_chain *ch;
	uint16_t head, d;
	int ret;

	if (q->num_free < ndesc || q->num_free_bufs < nbufs)
		return -ENOSPC;
	ret = vqchar_claim_zc(q, src);
	if (ret)
		return ret;

	head = q->free_head;
	ch = &q->chains[head];
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

		q->buf_len[b] = len;
		if (prev == VQCHAR_NO_BUF)
			ch->first_buf = b;
		else
			q->buf_next[prev] = b;
		prev = b;

		if (indirect) {
			vqchar_table_write(&table[seg], vqchar_buf_addr(q, b), len, fl,
					   last ? 0 : (uint16_t)(seg + 1));
		} else {
			vq_drv_desc_write(&q->ring, d, vqchar_buf_addr(q, b), len, fl,
					  last ? 0 : q->desc_next[d]);
			if (!last)
				d = q->desc_next[d];
		}
	}
	if (indirect)
		vq_drv_desc_write(&q->ring, head, vqchar_buf_addr(q, ch->ind_buf),
				  s->nsegs * (uint32_t)sizeof(struct vq_desc),
				  VQ_DESC_F_INDIRECT, 0);

	/* d is the chain's last descriptor; the free list goes on after it. */
	q->free_head = q->desc_next[d];
	q->num_free -= ndesc;

	ch->nsegs = s->nsegs;
	ch->nr_out = s->nr_out;
	ch->in_cap = (uint64_t)src->in_bufs * q->buf_size;
	ch->used_len = 0;
	ch->ndesc = (uint16_t)ndesc;
	ch->state = VQCHAR_CHAIN_AVAIL;

	vq_drv_avail_fill(&q->ring, q->avail_idx, head);
	q->avail_idx++;
	q->st_offered++;
	return head;
}

/* Kick decision for everything published since the last one.  Holds q->lock. */
static int vqchar_kick_locked(struct vqchar_queue *q)
{
	uint16_t old = q->kick_old, new_idx = q->avail_idx;
	int ret;

	if (old == new_idx)
		return 0;
	q->kick_old = new_idx;
	if (!vq_drv_should_kick(&q->ring, q->features, old, new_idx)) {
		q->st_kicks_suppressed++;
		return 0;
	}
	q->st_kicks++;
	if (q->kick_fd < 0)
		return 0;
	ret = __sys_eventfd_signal(q->kick_fd);
	return ret ? ret : 1;
}

/* Publish what was added; kick unless told not to.  Holds q->lock. */
static int vqchar_publish(struct vqchar_queue *q, unsigned int flags)
{
	vq_drv_avail_publish(&q->ring, q->avail_idx);
	/*
	 * vq_need_event() only sees 16 bits: decide before the distance
	 * since the last decision could wrap (virtqueue_add_split() does
	 * the same at 65535).
	 */
	if (!(flags & VQCHAR_OFFER_NO_KICK) || (uint16_t)(q->avail_idx - q->kick_old) >= 0x8000)
		return vqchar_kick_locked(q);
	return 0;
}

static int vqchar_offer_srcs(struct vqchar_queue *q, const struct vqchar_src *srcs,
			     unsigned int nr, unsigned int *heads, unsigned int flags)
{
	unsigned int done = 0, added = 0;
	int ret = 0;

	if (q->attached)
		return -EPERM;
	if ((flags & ~VQCHAR_OFFER_FLAGS) || !nr)
		return -EINVAL;
	if ((flags & VQCHAR_OFFER_INDIRECT) && (flags & VQCHAR_OFFER_NO_INDIRECT))
		return -EINVAL;

	pthread_mutex_lock(&q->lock);
	while (done < nr) {
		struct vqchar_shape s;

		if (q->broken) {
			ret = q->broken;
			break;
		}
		ret = vqchar_shape(q, &srcs[done], flags, &s);
		if (ret)
			break;
		ret = vqchar_add_chain(q, &srcs[done], &s, flags);
		if (ret >= 0) {
			if (heads)
				heads[done] = (unsigned int)ret;
			done++;
			added++;
			continue;
		}
		if (ret != -ENOSPC || !(flags & VQCHAR_OFFER_WAIT))
			break;
		/* Let the device see what we added before sleeping on it. */
		if (added) {
			vqchar_publish(q, flags & ~VQCHAR_OFFER_NO_KICK);
			added = 0;
		}
		pthread_cond_wait(&q->room, &q->lock);
	}
	if (added)
		vqchar_publish(q, flags);
	pthread_mutex_unlock(&q->lock);
	return done ? (int)done : ret;
}

int vqchar_offer(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
		 unsigned int in_bufs, unsigned int flags)
{
	struct vqchar_src src = {
		.iov = out, .iov_cnt = out_cnt, .in_bufs = in_bufs,
	};
	unsigned int head;
	int ret;

	ret = vqchar_offer_srcs(q, &src, 1, &head, flags);
	return ret < 0 ? ret : (int)head;
}

int vqchar_offer_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *out,
		      unsigned int out_cnt, unsigned int in_bufs, unsigned int flags)
{
	struct vqchar_src src = {
		.zc = out, .zc_cnt = out_cnt, .in_bufs = in_bufs,
	};
	unsigned int head;
	int ret;

	ret = vqchar_offer_srcs(q, &src, 1, &head, flags);
	return ret < 0 ? ret : (int)head;
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
		int ret;

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
					done + n < nr ? flags | VQCHAR_OFFER_NO_KICK : flags);
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

int vqchar_kick(struct vqchar_queue *q)
{
	int ret;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	ret = vqchar_kick_locked(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int vqchar_buf_get(struct vqchar_queue *q, void **data)
{
	uint32_t b;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	if (!q->num_free_bufs) {
		pthread_mutex_unlock(&q->lock);
		return -ENOSPC;
	}
	b = vqchar_buf_pop(q);
	q->buf_state[b] = VQCHAR_BUF_USER;
	pthread_mutex_unlock(&q->lock);
	if (data)
		*data = vqchar_buf_ptr(q, b);
	return (int)b;
}

int vqchar_buf_put(struct vqchar_queue *q, unsigned int buf)
{
	int ret = -EINVAL;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	if (buf < q->buf_count && q->buf_state[buf] == VQCHAR_BUF_USER) {
		vqchar_buf_push(q, buf);
		pthread_cond_broadcast(&q->room);
		ret = 0;
	}
	pthread_mutex_unlock(&q->lock);
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

	if (q->broken)
		return q->broken;
	pending = vq_drv_used_pending(&q->ring, last);
	if (!pending)
		return -EAGAIN;
	if (pending > q->num)
		return vqchar_set_broken(q);
	vq_drv_used_read(&q->ring, last, &id, &len);
	if (id >= q->num)
		return vqchar_set_broken(q);
	ch = &q->chains[id];
	if (ch->state != VQCHAR_CHAIN_AVAIL || len > ch->in_cap)
		return vqchar_set_broken(q);

	ch->state = VQCHAR_CHAIN_USED;
	ch->used_len = len;
	__vqchar_store_relaxed(&q->hot.last_used, (uint16_t)(last + 1));
	q->st_taken++;
	u->head = id;
	u->len = len;
	return 0;
}

/* With EVENT_IDX, ask for a call at the next entry (virtqueue_get_buf_ctx_split()). */
static void vqchar_update_used_event(struct vqchar_queue *q)
{
	if (q->calls_enabled && (q->features & VQCHAR_F_EVENT_IDX))
		vq_drv_set_calls(&q->ring, q->features, true, q->hot.last_used);
}

int vqchar_take_batch(struct vqchar_queue *q, struct vqchar_used *used, unsigned int max)
{
	unsigned int n = 0;
	int ret = 0;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	while (n < max) {
		ret = vqchar_take_one(q, &used[n]);
		if (ret)
			break;
		n++;
	}
	if (n)
		vqchar_update_used_event(q);
	pthread_mutex_unlock(&q->lock);
	if (n)
		return (int)n;
	return ret == -EAGAIN ? 0 : ret;
}

int vqchar_take(struct vqchar_queue *q, uint32_t *len)
{
	struct vqchar_used u;
	int ret;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	ret = vqchar_take_one(q, &u);
	if (!ret)
		vqchar_update_used_event(q);
	pthread_mutex_unlock(&q->lock);
	if (ret)
		return ret;
	if (len)
		*len = u.len;
	return (int)u.head;
}

/* Enable calls and re-check; returns what is pending.  Holds q->lock. */
static unsigned int vqchar_enable_calls_locked(struct vqchar_queue *q)
{
	q->calls_enabled = true;
	vq_drv_set_calls(&q->ring, q->features, true, q->hot.last_used);
	return vq_drv_used_pending(&q->ring, q->hot.last_used);
}

int vqchar_enable_calls(struct vqchar_queue *q)
{
	int ret;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	ret = q->broken ? q->broken : (int)vqchar_enable_calls_locked(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int vqchar_disable_calls(struct vqchar_queue *q)
{
	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	/* With EVENT_IDX this stops moving used_event: at most one more call. */
	q->calls_enabled = false;
	vq_drv_set_calls(&q->ring, q->features, false, q->hot.last_used);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int64_t vqchar_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vqchar_wait_used(struct vqchar_queue *q, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? vqchar_now_ms() + timeout_ms : 0;

	if (q->attached)
		return -EPERM;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = q->call_fd, .events = POLLIN },
			{ .fd = q->err_fd, .events = POLLIN },
		};
		unsigned int pending;
		int wait = timeout_ms, ret;

		pthread_mutex_lock(&q->lock);
		ret = q->broken;
		pending = vq_drv_used_pending(&q->ring, q->hot.last_used);
		if (!ret && !pending)
			pending = vqchar_enable_calls_locked(q);
		pthread_mutex_unlock(&q->lock);
		if (ret)
			return ret;
		if (pending)
			return (int)pending;

		if (timeout_ms > 0) {
			int64_t left = deadline - vqchar_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			wait = (int)left;
		}
		ret = __sys_poll(pfd, 2, wait);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		if (!ret)
			return -ETIMEDOUT;
		if (pfd[0].revents & POLLIN) {
			__sys_eventfd_drain(q->call_fd);
			__atomic_fetch_add(&q->st_call_wakeups, 1, __ATOMIC_RELAXED);
		}
		/* Broken: whatever was used before still counts. */
		if ((pfd[1].revents & POLLIN) && !vqchar_used_pending(q))
			return -EIO;
	}
}

int vqchar_wait(struct vqchar_queue *q, int timeout_ms, uint32_t *len)
{
	int ret = vqchar_wait_used(q, timeout_ms);

	if (ret < 0)
		return ret;
	return vqchar_take(q, len);
}

/* The chain at @head if the caller owns it, else NULL.  Holds q->lock. */
static struct vqchar_chain *vqchar_chain_get(struct vqchar_queue *q, unsigned int head)
{
	if (head >= q->num || q->chains[head].state == VQCHAR_CHAIN_FREE)
		return NULL;
	return &q->chains[head];
}

int vqchar_chain_out(struct vqchar_queue *q, unsigned int head, struct iovec *iov,
		     unsigned int max)
{
	struct vqchar_chain *ch;
	uint32_t b, i;
	int ret;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	ch = vqchar_chain_get(q, head);
	if (!ch) {
		pthread_mutex_unlock(&q->lock);
		return -EINVAL;
	}
	for (i = 0, b = ch->first_buf; i < ch->nr_out && i < max; i++, b = q->buf_next[b]) {
		iov[i].iov_base = vqchar_buf_ptr(q, b);
		iov[i].iov_len = q->buf_len[b];
	}
	ret = (int)ch->nr_out;
	pthread_mutex_unlock(&q->lock);
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
	pthread_mutex_lock(&q->lock);
	ch = vqchar_chain_get(q, head);
	if (!ch) {
		pthread_mutex_unlock(&q->lock);
		return -EINVAL;
	}
	left = ch->state == VQCHAR_CHAIN_USED ? ch->used_len : ch->in_cap;
	for (i = 0, b = ch->first_buf; i < ch->nr_out; i++)
		b = q->buf_next[b];
	n = ch->nsegs - ch->nr_out;
	for (i = 0; i < n && i < max; i++, b = q->buf_next[b]) {
		uint64_t len = left < q->buf_len[b] ? left : q->buf_len[b];

		iov[i].iov_base = vqchar_buf_ptr(q, b);
		iov[i].iov_len = (size_t)len;
		left -= len;
	}
	ret = (int)n;
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int vqchar_free(struct vqchar_queue *q, unsigned int head)
{
	struct vqchar_chain *ch;
	uint32_t b, next, i;
	uint16_t last;

	if (q->attached)
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	ch = vqchar_chain_get(q, head);
	if (!ch || ch->state != VQCHAR_CHAIN_USED) {
		pthread_mutex_unlock(&q->lock);
		return ch ? -EBUSY : -EINVAL;
	}

	/* Descriptors: the chain is linked through desc_next, as allocated. */
	last = (uint16_t)head;
	for (i = 1; i < ch->ndesc; i++)
		last = q->desc_next[last];
	q->desc_next[last] = q->free_head;
	q->free_head = (uint16_t)head;
	q->num_free += ch->ndesc;

	for (i = 0, b = ch->first_buf; i < ch->nsegs; i++, b = next) {
		next = q->buf_next[b];
		vqchar_buf_push(q, b);
	}
	if (ch->ind_buf != VQCHAR_NO_BUF)
		vqchar_buf_push(q, ch->ind_buf);
	memset(ch, 0, sizeof(*ch));

	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->lock);
	return 0;
}
