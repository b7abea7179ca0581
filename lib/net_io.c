/* SPDX-License-Identifier: MIT */
/*
 * libvqchar net, the packet paths: transmit (copy and zero copy), receive
 * with mergeable buffers, waits and counters.
 *
 * Transmit: one chain per packet, out buffers only, the 12-byte header at
 * the start of the first buffer.  Receive: one pool buffer per chain, so
 * a packet of num_buffers buffers is num_buffers used entries in a row
 * (vhost-net publishes them with one used->idx update).
 *
 * Calls are off except between vqchar_net_arm() and the next packet call
 * of that side: a caller busy with packets does not need them, and each
 * costs vhost an eventfd signal (virtqueue_disable_cb()/enable_cb() in
 * drivers/net/virtio_net.c follow the same rhythm).
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syscall.h"
#include "net_int.h"

#define VQNET_BATCH	64

static struct vqchar_net_pair *vqnet_pair(struct vqchar_net *n, unsigned int pair)
{
	return n && pair < n->npairs ? &n->pair[pair] : NULL;
}

/* Read an eventfd counter: the number of signals since the last read. */
static uint64_t vqnet_eventfd_count(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;	/* EAGAIN: nothing signalled */
	return v;
}

/* The side was armed: stop calls now that the caller is busy with it. */
static void vqnet_disarm(struct vqchar_queue *q, bool *armed)
{
	if (*armed) {
		vqchar_disable_calls(q);
		*armed = false;
	}
}

/* ---- transmit ---- */

static int vqnet_reclaim(struct vqchar_net_pair *pp)
{
	struct vqchar_used used[VQNET_BATCH];
	int total = 0, got, i, ret;

	do {
		got = vqchar_take_batch(pp->txq, used, VQNET_BATCH);
		if (got < 0)
			return got;
		for (i = 0; i < got; i++) {
			ret = vqchar_free(pp->txq, used[i].head);
			if (ret)
				return ret;
			pp->tx_inflight--;
		}
		total += got;
	} while (got == VQNET_BATCH);
	return total;
}

int vqchar_net_tx_reclaim(struct vqchar_net *n, unsigned int pair)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);

	if (!pp)
		return -EINVAL;
	vqnet_disarm(pp->txq, &pp->tx_armed);
	return vqnet_reclaim(pp);
}

static void vqnet_put_bufs(struct vqchar_queue *q, const struct vqchar_buf_seg *segs,
			   unsigned int nr)
{
	while (nr--)
		vqchar_buf_put(q, segs[nr].buf);
}

/* Bytes of a packet's iovecs, or -EINVAL. */
static int64_t vqnet_pkt_len(const struct vqchar_net_pkt *pkt)
{
	uint64_t len = 0;
	unsigned int i;

	if (pkt->iov_cnt && !pkt->iov)
		return -EINVAL;
	for (i = 0; i < pkt->iov_cnt; i++) {
		if (pkt->iov[i].iov_len && !pkt->iov[i].iov_base)
			return -EINVAL;
		len += pkt->iov[i].iov_len;
		if (len > UINT32_MAX)
			return -EMSGSIZE;
	}
	return (int64_t)len;
}

/*
 * Copy one packet into fresh pool buffers and offer it.  Returns 0,
 * -ENOSPC when out of buffers or descriptors (nothing taken), or -errno.
 */
static int vqnet_send_one(struct vqchar_net *n, struct vqchar_net_pair *pp,
			  const struct vqchar_net_pkt *pkt, uint32_t len)
{
	uint32_t bs = n->tx_buf_size, nbufs = (VQCHAR_NET_HDR_LEN + len + bs - 1) / bs;
	struct vqchar_buf_seg *segs = pp->tx_segs;
	unsigned int i = 0, k;
	size_t off = 0;
	uint32_t left = VQCHAR_NET_HDR_LEN + len;
	int ret;

	for (k = 0; k < nbufs; k++) {
		uint8_t *dst;
		uint32_t room, fill = 0;
		void *data;
		int b = vqchar_buf_get(pp->txq, &data);

		if (b < 0) {
			vqnet_put_bufs(pp->txq, segs, k);
			return b;
		}
		dst = data;
		room = left < bs ? left : bs;
		if (k == 0) {
			if (pkt->hdr)
				memcpy(dst, pkt->hdr, VQCHAR_NET_HDR_LEN);
			else
				memset(dst, 0, VQCHAR_NET_HDR_LEN);
			fill = VQCHAR_NET_HDR_LEN;
		}
		while (fill < room) {
			size_t chunk = pkt->iov[i].iov_len - off;

			if (chunk > room - fill)
				chunk = room - fill;
			memcpy(dst + fill, (const uint8_t *)pkt->iov[i].iov_base + off, chunk);
			fill += (uint32_t)chunk;
			off += chunk;
			if (off == pkt->iov[i].iov_len) {
				i++;
				off = 0;
			}
		}
		segs[k].buf = (uint32_t)b;
		segs[k].len = room;
		left -= room;
	}
	ret = vqchar_offer_bufs(pp->txq, segs, nbufs, 0, VQCHAR_OFFER_NO_KICK);
	if (ret < 0) {
		vqnet_put_bufs(pp->txq, segs, nbufs);
		return ret;
	}
	return 0;
}

static int vqnet_send_end(struct vqchar_net_pair *pp, unsigned int done, int ret,
			  unsigned int flags)
{
	if (done && !(flags & VQCHAR_NET_NO_KICK))
		vqchar_kick(pp->txq);
	if (done)
		return (int)done;
	return ret == -ENOSPC ? 0 : ret;
}

int vqchar_net_send(struct vqchar_net *n, unsigned int pair, const struct vqchar_net_pkt *pkts,
		    unsigned int nr, unsigned int flags)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	unsigned int done = 0;
	int ret;

	if (!pp || !pkts || (flags & ~VQCHAR_NET_NO_KICK))
		return -EINVAL;
	vqnet_disarm(pp->txq, &pp->tx_armed);
	ret = vqnet_reclaim(pp);
	if (ret < 0)
		return ret;
	ret = 0;
	while (done < nr) {
		int64_t len = vqnet_pkt_len(&pkts[done]);

		if (len == 0)
			len = -EINVAL;
		else if (len > vqnet_max_packet(n))
			len = -EMSGSIZE;
		if (len < 0) {
			ret = (int)len;
			break;
		}
		ret = vqnet_send_one(n, pp, &pkts[done], (uint32_t)len);
		if (ret)
			break;
		pp->tx_packets++;
		pp->tx_bytes += (uint64_t)len;
		pp->tx_inflight++;
		done++;
	}
	return vqnet_send_end(pp, done, ret, flags);
}

int vqchar_net_tx_get(struct vqchar_net *n, unsigned int pair, struct vqchar_net_txbuf *bufs,
		      unsigned int nr)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	unsigned int i;
	int ret;

	if (!pp || (nr && !bufs))
		return -EINVAL;
	ret = vqnet_reclaim(pp);
	if (ret < 0)
		return ret;
	for (i = 0; i < nr; i++) {
		void *data;
		int b = vqchar_buf_get(pp->txq, &data);

		if (b < 0)
			break;
		memset(data, 0, VQCHAR_NET_HDR_LEN);
		bufs[i].hdr = data;
		bufs[i].data = (uint8_t *)data + VQCHAR_NET_HDR_LEN;
		bufs[i].cap = n->tx_buf_size - VQCHAR_NET_HDR_LEN;
		bufs[i].len = 0;
		bufs[i].id = (uint32_t)b;
		bufs[i].pad = 0;
	}
	return (int)i;
}

int vqchar_net_tx_put(struct vqchar_net *n, unsigned int pair,
		      const struct vqchar_net_txbuf *bufs, unsigned int nr)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	unsigned int i;
	int ret;

	if (!pp || (nr && !bufs))
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		ret = vqchar_buf_put(pp->txq, bufs[i].id);
		if (ret)
			return ret;
	}
	return 0;
}

int vqchar_net_send_bufs(struct vqchar_net *n, unsigned int pair,
			 const struct vqchar_net_txbuf *bufs, unsigned int nr, unsigned int flags)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	unsigned int done = 0;
	int ret = 0;

	if (!pp || !bufs || (flags & ~VQCHAR_NET_NO_KICK))
		return -EINVAL;
	vqnet_disarm(pp->txq, &pp->tx_armed);
	while (done < nr) {
		const struct vqchar_net_txbuf *b = &bufs[done];
		struct vqchar_buf_seg seg = { .buf = b->id, .len = VQCHAR_NET_HDR_LEN + b->len };

		if (!b->len || b->len > n->tx_buf_size - VQCHAR_NET_HDR_LEN) {
			ret = -EINVAL;
			break;
		}
		ret = vqchar_offer_bufs(pp->txq, &seg, 1, 0, VQCHAR_OFFER_NO_KICK);
		if (ret < 0)
			break;
		pp->tx_packets++;
		pp->tx_bytes += b->len;
		pp->tx_inflight++;
		done++;
	}
	return vqnet_send_end(pp, done, ret, flags);
}

int vqchar_net_tx_inflight(const struct vqchar_net *n, unsigned int pair)
{
	if (!n || pair >= n->npairs)
		return -EINVAL;
	return (int)n->pair[pair].tx_inflight;
}

int vqchar_net_kick(struct vqchar_net *n, unsigned int pair)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);

	return pp ? vqchar_kick(pp->txq) : -EINVAL;
}

/* ---- receive ---- */

int __vqnet_rx_refill(struct vqchar_net_pair *pp, unsigned int nr)
{
	struct vqchar_chain_req reqs[VQNET_BATCH];
	unsigned int done = 0, i;
	int ret = 0;

	for (i = 0; i < VQNET_BATCH; i++)
		reqs[i] = (struct vqchar_chain_req){ .out = NULL, .out_cnt = 0, .in_bufs = 1 };
	while (done < nr) {
		unsigned int k = nr - done < VQNET_BATCH ? nr - done : VQNET_BATCH;

		ret = vqchar_offer_batch(pp->rxq, reqs, k, NULL, VQCHAR_OFFER_NO_KICK);
		if (ret <= 0)
			break;
		done += (unsigned int)ret;
		if ((unsigned int)ret < k)
			break;
	}
	if (done)
		vqchar_kick(pp->rxq);
	if (done || ret == -ENOSPC)
		return (int)done;
	return ret;
}

/* Move used chains into the FIFO while it has room.  Returns 0 or -errno. */
static int vqnet_rx_pull(struct vqchar_net *n, struct vqchar_net_pair *pp)
{
	struct vqchar_used used[VQNET_BATCH];

	while (pp->rx_fifo_count < n->num) {
		unsigned int room = n->num - pp->rx_fifo_count, j;
		int got = vqchar_take_batch(pp->rxq, used, room < VQNET_BATCH ? room : VQNET_BATCH);

		if (got <= 0)
			return got;
		for (j = 0; j < (unsigned int)got; j++)
			pp->rx_fifo[(pp->rx_fifo_first + pp->rx_fifo_count + j) % n->num] = used[j];
		pp->rx_fifo_count += (uint32_t)got;
		if (got < VQNET_BATCH)
			break;
	}
	return 0;
}

static void vqnet_rx_pop(struct vqchar_net *n, struct vqchar_net_pair *pp, unsigned int k)
{
	pp->rx_fifo_first = (pp->rx_fifo_first + k) % n->num;
	pp->rx_fifo_count -= k;
}

/* The bytes the device wrote into FIFO entry @j, as one iovec. */
static int vqnet_rx_seg(struct vqchar_net *n, struct vqchar_net_pair *pp, unsigned int j,
			struct iovec *iov, uint32_t *head)
{
	const struct vqchar_used *u = &pp->rx_fifo[(pp->rx_fifo_first + j) % n->num];
	int ret = vqchar_chain_in(pp->rxq, u->head, iov, 1);

	*head = u->head;
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : -EPROTO;
}

/* Drop the packet start at the FIFO's front: vhost wrote nonsense there. */
static int vqnet_rx_drop(struct vqchar_net *n, struct vqchar_net_pair *pp, uint32_t head)
{
	vqnet_rx_pop(n, pp, 1);
	vqchar_free(pp->rxq, head);
	__vqnet_rx_refill(pp, 1);
	return -EPROTO;
}

int vqchar_net_recv(struct vqchar_net *n, unsigned int pair, struct vqchar_net_rxpkt *pkts,
		    unsigned int max, struct iovec *iov, unsigned int iov_max)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	unsigned int npk = 0, niov = 0;
	int err = 0, ret;

	if (!pp || (max && (!pkts || !iov)))
		return -EINVAL;
	vqnet_disarm(pp->rxq, &pp->rx_armed);
	while (npk < max) {
		struct vqchar_net_rxpkt *pkt = &pkts[npk];
		struct iovec first;
		uint32_t head, nb, j;
		uint64_t len = 0;

		if (!pp->rx_fifo_count) {
			ret = vqnet_rx_pull(n, pp);
			if (ret < 0)
				return npk ? (int)npk : ret;
			if (!pp->rx_fifo_count)
				break;
		}
		ret = vqnet_rx_seg(n, pp, 0, &first, &head);
		if (ret < 0)
			return npk ? (int)npk : ret;
		if (first.iov_len < VQCHAR_NET_HDR_LEN) {
			err = vqnet_rx_drop(n, pp, head);
			continue;
		}
		memcpy(&pkt->hdr, first.iov_base, VQCHAR_NET_HDR_LEN);
		nb = le16toh(pkt->hdr.num_buffers);
		if (nb > pp->rx_fifo_count)
			vqnet_rx_pull(n, pp);
		if (!nb || nb > pp->rx_fifo_count) {
			err = vqnet_rx_drop(n, pp, head);
			continue;
		}
		if (niov + nb > iov_max) {
			if (!npk)
				return -ENOBUFS;
			break;
		}
		pkt->iov = &iov[niov];
		pkt->nr_iov = nb;
		for (j = 0; j < nb; j++) {
			struct iovec *v = &iov[niov + j];

			if (j) {
				ret = vqnet_rx_seg(n, pp, j, v, &head);
				if (ret < 0)
					return npk ? (int)npk : ret;
			} else {
				v->iov_base = (uint8_t *)first.iov_base + VQCHAR_NET_HDR_LEN;
				v->iov_len = first.iov_len - VQCHAR_NET_HDR_LEN;
			}
			pp->rx_head_of_buf[((uint8_t *)v->iov_base - pp->rx_pool) / n->rx_buf_size] =
				head;
			len += v->iov_len;
		}
		vqnet_rx_pop(n, pp, nb);
		pkt->len = (uint32_t)len;
		pp->rx_packets++;
		pp->rx_bytes += len;
		pp->rx_buffers += nb;
		niov += nb;
		npk++;
	}
	return npk ? (int)npk : err;
}

int vqchar_net_recv_done(struct vqchar_net *n, unsigned int pair,
			 const struct vqchar_net_rxpkt *pkts, unsigned int nr)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	uint64_t pool_bytes;
	unsigned int i, j, freed = 0;
	int ret = 0;

	if (!pp || (nr && !pkts))
		return -EINVAL;
	pool_bytes = (uint64_t)n->num * n->rx_buf_size;
	for (i = 0; i < nr && !ret; i++) {
		for (j = 0; j < pkts[i].nr_iov; j++) {
			const uint8_t *base = pkts[i].iov[j].iov_base;
			uint32_t b, head;

			if (base < pp->rx_pool || (uint64_t)(base - pp->rx_pool) >= pool_bytes) {
				ret = -EINVAL;
				break;
			}
			b = (uint32_t)((uint64_t)(base - pp->rx_pool) / n->rx_buf_size);
			head = pp->rx_head_of_buf[b];
			if (head == VQNET_NO_HEAD) {
				ret = -EINVAL;
				break;
			}
			pp->rx_head_of_buf[b] = VQNET_NO_HEAD;
			vqchar_free(pp->rxq, head);
			freed++;
		}
	}
	if (freed) {
		int r = __vqnet_rx_refill(pp, freed);

		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

/* ---- waiting ---- */

int vqchar_net_fd(const struct vqchar_net *n, unsigned int pair, unsigned int which)
{
	if (!n || pair >= n->npairs)
		return -EINVAL;
	if (which == VQCHAR_NET_RX)
		return vqchar_queue_call_fd(n->pair[pair].rxq);
	if (which == VQCHAR_NET_TX)
		return vqchar_queue_call_fd(n->pair[pair].txq);
	return -EINVAL;
}

int vqchar_net_arm(struct vqchar_net *n, unsigned int pair, unsigned int events)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	unsigned int ready = 0;
	int ret;

	if (!pp || !events || (events & ~(VQCHAR_NET_RX | VQCHAR_NET_TX)))
		return -EINVAL;
	/* Reset the counter first: a signal after the enable must stay. */
	if (events & VQCHAR_NET_RX) {
		pp->rx_calls += vqnet_eventfd_count(vqchar_queue_call_fd(pp->rxq));
		ret = vqchar_enable_calls(pp->rxq);
		if (ret < 0)
			return ret;
		pp->rx_armed = true;
		if (ret > 0 || pp->rx_fifo_count)
			ready |= VQCHAR_NET_RX;
	}
	if (events & VQCHAR_NET_TX) {
		pp->tx_calls += vqnet_eventfd_count(vqchar_queue_call_fd(pp->txq));
		ret = vqchar_enable_calls(pp->txq);
		if (ret < 0)
			return ret;
		pp->tx_armed = true;
		if (ret > 0)
			ready |= VQCHAR_NET_TX;
	}
	return (int)ready;
}

static int64_t vqnet_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vqchar_net_wait(struct vqchar_net *n, unsigned int pair, unsigned int events,
		    int timeout_ms)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	int64_t deadline = timeout_ms > 0 ? vqnet_now_ms() + timeout_ms : 0;

	if (!pp)
		return -EINVAL;
	for (;;) {
		struct pollfd pfd[4];
		struct vqchar_queue *qs[2];
		unsigned int nq = 0, i, ready = 0;
		int ret, wait = timeout_ms;

		ret = vqchar_net_arm(n, pair, events);
		if (ret)
			return ret;
		if (events & VQCHAR_NET_RX)
			qs[nq++] = pp->rxq;
		if (events & VQCHAR_NET_TX)
			qs[nq++] = pp->txq;
		for (i = 0; i < nq; i++) {
			pfd[2 * i] = (struct pollfd){ .fd = vqchar_queue_call_fd(qs[i]), .events = POLLIN };
			pfd[2 * i + 1] = (struct pollfd){ .fd = vqchar_queue_err_fd(qs[i]),
							  .events = POLLIN };
		}
		if (timeout_ms > 0) {
			int64_t left = deadline - vqnet_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			wait = (int)left;
		}
		ret = __sys_poll(pfd, 2 * nq, wait);
		if (ret < 0)
			return ret;
		if (!ret)
			return -ETIMEDOUT;
		for (i = 0; i < nq; i++) {
			bool rx = qs[i] == pp->rxq;

			if (pfd[2 * i + 1].revents & POLLIN)
				return -EIO;
			if (pfd[2 * i].revents & POLLIN) {
				uint64_t c = vqnet_eventfd_count(pfd[2 * i].fd);

				if (rx)
					pp->rx_calls += c;
				else
					pp->tx_calls += c;
			}
			if (vqchar_used_pending(qs[i]))
				ready |= rx ? VQCHAR_NET_RX : VQCHAR_NET_TX;
		}
		if (ready)
			return (int)ready;
		/* A call for chains already taken: sleep again. */
	}
}

/* ---- counters ---- */

int vqchar_net_get_stats(struct vqchar_net *n, unsigned int pair, struct vqchar_net_stats *st)
{
	struct vqchar_net_pair *pp = vqnet_pair(n, pair);
	struct vqchar_stats qs;

	if (!pp || !st)
		return -EINVAL;
	pp->rx_calls += vqnet_eventfd_count(vqchar_queue_call_fd(pp->rxq));
	pp->tx_calls += vqnet_eventfd_count(vqchar_queue_call_fd(pp->txq));
	memset(st, 0, sizeof(*st));
	st->tx_packets = pp->tx_packets;
	st->tx_bytes = pp->tx_bytes;
	st->tx_calls = pp->tx_calls;
	st->rx_packets = pp->rx_packets;
	st->rx_bytes = pp->rx_bytes;
	st->rx_buffers = pp->rx_buffers;
	st->rx_calls = pp->rx_calls;
	if (!vqchar_get_stats(pp->txq, &qs))
		st->tx_kicks = qs.kicks;
	if (!vqchar_get_stats(pp->rxq, &qs))
		st->rx_kicks = qs.kicks;
	return 0;
}
