// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for libvqchar's device side against a hostile driver:
 * the input writes the descriptor table, the available ring and its idx,
 * and the pool (where indirect tables live), between vqchar_dev_pop() and
 * vqchar_dev_push() calls with varying segment limits.
 *
 * Invariants (include/vqchar.h): a pop returns 1 with a chain whose every
 * iovec lies inside the pool (a guarded allocation, as is the ring), whose
 * segment and byte counts add up and fit max_iov, 0 when nothing is
 * available, or -EIO once broken, and then vqchar_dev_error() names a
 * VQCHAR_ERR_* and every later pop says -EIO until a reset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_lib.h"

#define MAX_IOV	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in = { data, size, 0 };
	struct iovec iov[MAX_IOV];
	struct fz_queue f;
	struct vqchar_queue *q;
	uint32_t num, buf_count, buf_size;
	uint64_t features = 0;
	unsigned int ops;
	bool broken = false;
	uint8_t fb;

	num = 1u << (fz_take(&in, 1) % 7);
	buf_count = 1 + (uint32_t)(fz_take(&in, 1) % 64);
	buf_size = 1 + (uint32_t)fz_take(&in, 1);
	fb = (uint8_t)fz_take(&in, 1);
	if (fb & 1)
		features |= VQCHAR_F_INDIRECT_DESC;
	if (fb & 2)
		features |= VQCHAR_F_EVENT_IDX;
	fz_queue_open(&f, num, buf_count, buf_size, features,
		      fb & 0x80 ? VQCHAR_PARAMS_SINGLE_ISSUER : 0);
	q = f.q;

	for (ops = 0; ops < 512 && fz_left(&in); ops++) {
		uint8_t op = (uint8_t)fz_take(&in, 1);
		int ret;

		switch (op % 8) {
		case 0: { /* a descriptor */
			uint16_t i = (uint16_t)(fz_take(&in, 1) % num);
			uint64_t addr = fz_take(&in, 2);
			uint32_t len = (uint32_t)fz_take(&in, 2);
			uint16_t flags = (uint16_t)fz_take(&in, 1);

			vq_drv_desc_write(&q->ring, i, addr, len, flags, (uint16_t)fz_take(&in, 1));
			break;
		}
		case 1: { /* the same with full-width fields */
			uint16_t i = (uint16_t)(fz_take(&in, 1) % num);
			uint64_t addr = fz_take(&in, 8);
			uint32_t len = (uint32_t)fz_take(&in, 4);
			uint16_t flags = (uint16_t)fz_take(&in, 2);

			vq_drv_desc_write(&q->ring, i, addr, len, flags, (uint16_t)fz_take(&in, 2));
			break;
		}
		case 2: { /* an available entry, and publish */
			uint16_t pos = (uint16_t)fz_take(&in, 2);

			vq_drv_avail_fill(&q->ring, pos, (uint16_t)fz_take(&in, 2));
			vq_drv_avail_publish(&q->ring, (uint16_t)(pos + 1));
			break;
		}
		case 3: /* avail idx alone */
			vq_drv_avail_publish(&q->ring, (uint16_t)fz_take(&in, 2));
			break;
		case 4: { /* bytes in the pool: indirect tables */
			uint32_t off = (uint32_t)(fz_take(&in, 2) % q->pool_size);
			uint8_t chunk[16];
			uint32_t n = (uint32_t)(q->pool_size - off < 16 ? q->pool_size - off : 16);

			fz_take_bytes(&in, chunk, sizeof(chunk));
			memcpy(q->pool + off, chunk, n);
			break;
		}
		case 5: { /* pop */
			unsigned int max_iov = 1 + (unsigned int)fz_take(&in, 1) % MAX_IOV;
			struct vqchar_dev_chain c;
			uint64_t total;
			uint32_t index;
			unsigned int err;

			memset(&c, 0xa5, sizeof(c));
			ret = vqchar_dev_pop(q, &c, iov, max_iov);
			err = vqchar_dev_error(q, &index);
			if (ret == 1) {
				FZ_CHECK(!broken && err == VQCHAR_ERR_NONE, "pop on a broken queue");
				FZ_CHECK(c.head < num, "head %u", c.head);
				FZ_CHECK(c.nr_out + c.nr_in >= 1 && c.nr_out + c.nr_in <= max_iov,
					 "%u + %u segments, max %u", c.nr_out, c.nr_in, max_iov);
				fz_check_iov(iov, c.nr_out, &total);
				FZ_CHECK(total == c.out_bytes, "out bytes");
				fz_check_iov(iov + c.nr_out, c.nr_in, &total);
				FZ_CHECK(total == c.in_bytes, "in bytes");
			} else if (ret == 0) {
				FZ_CHECK(!broken && err == VQCHAR_ERR_NONE, "0 from a broken queue");
			} else {
				FZ_CHECK(ret == -EIO, "pop: %d", ret);
				FZ_CHECK(err >= 1 && err <= VQCHAR_ERR_MAX, "dev_error %u", err);
				broken = true;
			}
			break;
		}
		case 6: { /* push */
			unsigned int head = (unsigned int)fz_take(&in, 1) % (num + 1);

			ret = vqchar_dev_push(q, head, (uint32_t)fz_take(&in, 2));
			if (head >= num)
				FZ_CHECK(ret == -EINVAL, "push of head %u: %d", head, ret);
			else
				FZ_CHECK(ret == (broken ? -EIO : 0), "push: %d", ret);
			break;
		}
		case 7: /* reset */
			FZ_CHECK(vqchar_queue_reset(q) == 0, "reset");
			broken = false;
			break;
		}
	}
	fz_queue_close(&f);
	return 0;
}
