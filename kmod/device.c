// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel devices: what happens to one validated chain.  Segments
 * were checked against the pool by vq_chain_walk(); the bytes in them are
 * still shared with the driver and may change under us, which costs the
 * driver its own data and nothing else.
 */
#include <linux/compiler.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "queue.h"

/* Bytes moved between checks for rescheduling and cancellation. */
#define VQCHAR_CHUNK	SZ_1M

/*
 * Copy the readable bytes, in order, into the writable segments; stop at
 * whichever side ends first.  Segments may overlap, hence memmove().
 */
static void vqchar_loopback(u8 *pool, const struct vq_chain *c, const atomic_t *cancel,
			    struct vqchar_io *io)
{
	const struct vq_seg *out = c->segs;
	const struct vq_seg *in = c->segs + c->nr_out;
	u64 total = min3(c->out_bytes, c->in_bytes, (u64)U32_MAX);
	u32 oi = 0, ii = 0, ooff = 0, ioff = 0;
	u64 done = 0;

	while (done < total && !atomic_read(cancel)) {
		u32 n;

		if (ooff == out[oi].len) {
			oi++;
			ooff = 0;
			continue;
		}
		if (ioff == in[ii].len) {
			ii++;
			ioff = 0;
			continue;
		}
		n = min3(out[oi].len - ooff, in[ii].len - ioff, (u32)(total - done));
		n = min_t(u32, n, VQCHAR_CHUNK);
		memmove(pool + in[ii].addr + ioff, pool + out[oi].addr + ooff, n);
		ooff += n;
		ioff += n;
		done += n;
		cond_resched();
	}
	io->read = done;
	io->written = done;
}

/* Fill every writable byte with VQCHAR_SOURCE_BYTE(seq, position). */
static void vqchar_source(u8 *pool, u32 seq, const struct vq_chain *c, const atomic_t *cancel,
			  struct vqchar_io *io)
{
	u64 total = min_t(u64, c->in_bytes, U32_MAX);
	u8 pattern[256];
	u64 pos = 0;
	u32 i;

	/* The pattern repeats every 256 bytes: copy it instead of computing. */
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = VQCHAR_SOURCE_BYTE(seq, i);

	for (i = c->nr_out; i < c->nr_segs && pos < total; i++) {
		u8 *dst = pool + c->segs[i].addr;
		u64 left = min_t(u64, c->segs[i].len, total - pos);

		while (left) {
			u32 at = pos % sizeof(pattern);
			u32 n = min_t(u64, left, sizeof(pattern) - at);

			memcpy(dst, pattern + at, n);
			dst += n;
			pos += n;
			left -= n;
			if (!(pos % VQCHAR_CHUNK)) {
				if (atomic_read(cancel))
					goto out;
				cond_resched();
			}
		}
	}
out:
	io->read = 0;
	io->written = pos;
}

/**
 * vqchar_device_process() - let a device consume one chain
 * @device: VQCHAR_DEV_LOOPBACK, _SINK or _SOURCE
 * @pool: the queue's pool, mapped in the kernel
 * @seq: the chain's number since the queue was created or reset
 * @c: the chain, validated against the pool
 * @cancel: not zero while the queue is being stopped or reset: finish early
 * @io: what the device read and wrote
 *
 * A chain moves at most U32_MAX bytes each way, the most a used entry can
 * report.
 */
void vqchar_device_process(u32 device, u8 *pool, u32 seq, const struct vq_chain *c,
			   const atomic_t *cancel, struct vqchar_io *io)
{
	switch (device) {
	case VQCHAR_DEV_LOOPBACK:
		vqchar_loopback(pool, c, cancel, io);
		break;
	case VQCHAR_DEV_SOURCE:
		vqchar_source(pool, seq, c, cancel, io);
		break;
	case VQCHAR_DEV_SINK:
	default:
		io->read = c->out_bytes;
		io->written = 0;
		break;
	}
}
