// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for libvqchar's driver side against a hostile device:
 * the input is a sequence of operations that offer chains, let a device
 * use them honestly, or write anything anywhere in the ring (used entries,
 * used idx, descriptors, the available ring), interleaved with takes,
 * chain_in/chain_out, frees and resets.
 *
 * Invariants (include/vqchar.h): a take returns only a chain the device
 * holds, at most once per offer, with a length within its in buffers;
 * once a used entry breaks that, the queue is broken and every take says
 * -EIO until a reset; every iovec the library hands out lies inside the
 * pool (a guarded allocation, as is the ring); every return value is one
 * the header documents for that call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_lib.h"

enum { M_FREE, M_AVAIL, M_USED };

struct model {
	uint8_t state[64];
	uint64_t in_cap[64];
	uint32_t used_len[64];
	bool broken;
	uint16_t dev_used;	/* the honest device's next used position */
	uint16_t dev_avail;	/* and its next avail position */
};

static void check_take(struct model *m, uint32_t num, uint32_t head, uint32_t len)
{
	FZ_CHECK(head < num, "head %u of %u", head, num);
	FZ_CHECK(m->state[head] == M_AVAIL, "took head %u in state %u", head, m->state[head]);
	FZ_CHECK(len <= m->in_cap[head], "len %u > in capacity %llu", len,
		 (unsigned long long)m->in_cap[head]);
	m->state[head] = M_USED;
	m->used_len[head] = len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in = { data, size, 0 };
	static uint8_t payload[1024];
	struct model m = { 0 };
	struct fz_queue f;
	struct vqchar_queue *q;
	uint32_t num, buf_count, buf_size;
	uint64_t features;
	unsigned int ops;
	uint8_t fb;

	num = 1u << (fz_take(&in, 1) % 7);
	buf_count = 1 + (uint32_t)(fz_take(&in, 1) % 64);
	buf_size = 1 + (uint32_t)fz_take(&in, 1);
	fb = (uint8_t)fz_take(&in, 1);
	if (fb & 4)
		buf_size = (buf_size + 15) & ~15u;	/* lets chains go indirect */
	fb = (uint8_t)fz_take(&in, 1);
	features = (fb & 1 ? VQCHAR_F_INDIRECT_DESC : 0) | (fb & 2 ? VQCHAR_F_EVENT_IDX : 0);
	fz_queue_open(&f, num, buf_count, buf_size, features,
		      fb & 0x80 ? VQCHAR_PARAMS_SINGLE_ISSUER : 0);
	q = f.q;

	for (ops = 0; ops < 512 && fz_left(&in); ops++) {
		uint8_t op = (uint8_t)fz_take(&in, 1);
		int ret;

		switch (op % 10) {
		case 0: { /* offer */
			struct iovec iov[3];
			unsigned int out_cnt = (unsigned int)fz_take(&in, 1) % 4, i;
			unsigned int in_bufs = (unsigned int)fz_take(&in, 1) % 5;
			unsigned int fl = VQCHAR_OFFER_NO_KICK |
				((unsigned int)fz_take(&in, 1) &
				 (VQCHAR_OFFER_NO_INDIRECT | VQCHAR_OFFER_INDIRECT));

			for (i = 0; i < out_cnt && i < 3; i++) {
				iov[i].iov_base = payload;
				iov[i].iov_len = (size_t)fz_take(&in, 2) % sizeof(payload);
			}
			ret = vqchar_offer(q, iov, out_cnt < 3 ? out_cnt : 3, in_bufs, fl);
			if (ret >= 0) {
				FZ_CHECK((uint32_t)ret < num && m.state[ret] == M_FREE,
					 "offer gave head %d in state %u", ret,
					 (uint32_t)ret < num ? m.state[ret] : 9);
				FZ_CHECK(!m.broken, "offer succeeded on a broken queue");
				m.state[ret] = M_AVAIL;
				m.in_cap[ret] = (uint64_t)in_bufs * buf_size;
			} else {
				FZ_CHECK(ret == -ENOSPC || ret == -E2BIG || ret == -EINVAL ||
					 ret == -EIO, "offer: %d", ret);
				FZ_CHECK(ret != -EIO || m.broken, "offer -EIO on a sound queue");
			}
			break;
		}
		case 1: { /* hostile used entry */
			uint16_t pos = (uint16_t)fz_take(&in, 2);

			vq_dev_used_fill(&q->ring, pos, (uint32_t)fz_take(&in, 4),
					 (uint32_t)fz_take(&in, 4));
			break;
		}
		case 2: /* hostile used idx */
			vq_dev_used_publish(&q->ring, (uint16_t)fz_take(&in, 2));
			break;
		case 3: { /* hostile bytes anywhere in the ring */
			uint32_t off = (uint32_t)fz_take(&in, 2) % q->off.ring_bytes;
			uint8_t b = (uint8_t)fz_take(&in, 1);

			((uint8_t *)q->ring_mem)[off] = b;
			break;
		}
		case 4: { /* an honest device uses the next available chain */
			int pending = vq_dev_avail_pending(&q->ring, m.dev_avail);
			int head;

			if (pending <= 0)
				break;
			head = vq_dev_avail_head(&q->ring, m.dev_avail);
			if (head < 0)
				break;
			m.dev_avail++;
			vq_dev_used_fill(&q->ring, m.dev_used, (uint32_t)head,
					 (uint32_t)(m.in_cap[head] ? fz_take(&in, 2) % (m.in_cap[head] + 1) : 0));
			vq_dev_used_publish(&q->ring, ++m.dev_used);
			break;
		}
		case 5: { /* take a batch */
			struct vqchar_used u[8];
			unsigned int max = 1 + (unsigned int)fz_take(&in, 1) % 8, i;

			ret = vqchar_take_batch(q, u, max);
			if (ret < 0) {
				FZ_CHECK(ret == -EIO, "take_batch: %d", ret);
				m.broken = true;
				break;
			}
			FZ_CHECK((unsigned int)ret <= max && !m.broken, "take_batch: %d", ret);
			for (i = 0; i < (unsigned int)ret; i++)
				check_take(&m, num, u[i].head, u[i].len);
			/*
			 * A batch cut short by a bad entry returns what it took;
			 * the queue is broken from then on (the library's own flag).
			 */
			if ((unsigned int)ret < max && q->hot.broken) {
				FZ_CHECK(q->hot.broken == -EIO, "broken with %d", q->hot.broken);
				m.broken = true;
			}
			break;
		}
		case 6: { /* take one */
			uint32_t len = 0;

			ret = vqchar_take(q, &len);
			if (ret >= 0) {
				FZ_CHECK(!m.broken, "take succeeded on a broken queue");
				check_take(&m, num, (uint32_t)ret, len);
			} else {
				FZ_CHECK(ret == -EAGAIN || ret == -EIO, "take: %d", ret);
				FZ_CHECK(ret != -EAGAIN || !m.broken, "take -EAGAIN when broken");
				if (ret == -EIO)
					m.broken = true;
			}
			break;
		}
		case 7: { /* chain_in and chain_out */
			unsigned int head = (unsigned int)fz_take(&in, 1) % (num + 1);
			struct iovec iov[8];
			uint64_t total;

			ret = vqchar_chain_in(q, head, iov, 8);
			if (head >= num || m.state[head] == M_FREE) {
				FZ_CHECK(ret == -EINVAL, "chain_in of free head %u: %d", head, ret);
				break;
			}
			FZ_CHECK(ret >= 0, "chain_in: %d", ret);
			fz_check_iov(iov, ret < 8 ? (unsigned int)ret : 8, &total);
			if (m.state[head] == M_USED)
				FZ_CHECK(ret > 8 || total == m.used_len[head],
					 "chain_in covers %llu bytes, device wrote %u",
					 (unsigned long long)total, m.used_len[head]);
			else
				FZ_CHECK(ret > 8 || total == m.in_cap[head], "chain_in capacity");
			ret = vqchar_chain_out(q, head, iov, 8);
			FZ_CHECK(ret >= 0, "chain_out: %d", ret);
			fz_check_iov(iov, ret < 8 ? (unsigned int)ret : 8, &total);
			break;
		}
		case 8: { /* free */
			unsigned int head = (unsigned int)fz_take(&in, 1) % (num + 1);

			ret = vqchar_free(q, head);
			if (head >= num || m.state[head] == M_FREE) {
				FZ_CHECK(ret == -EINVAL, "free of free head %u: %d", head, ret);
			} else if (m.state[head] == M_AVAIL) {
				FZ_CHECK(ret == -EBUSY, "free of a chain the device holds: %d", ret);
			} else {
				FZ_CHECK(ret == 0, "free: %d", ret);
				m.state[head] = M_FREE;
			}
			break;
		}
		case 9: /* reset */
			ret = vqchar_queue_reset(q);
			FZ_CHECK(ret == 0, "reset: %d", ret);
			memset(&m, 0, sizeof(m));
			break;
		}
	}
	fz_queue_close(&f);
	return 0;
}
