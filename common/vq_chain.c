// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Chain validation shared by the in-kernel devices and libvqchar's device
 * API.  The descriptor table lives in memory the driver can rewrite at any
 * moment, so each descriptor is copied once and only the copy is checked
 * and used (as drivers/vhost/vringh.c does).
 */
#include "vq_split.h"

/*
 * Translate the I/O range [addr, addr + len) to a pool offset in *@off.
 * Written so that no sum can overflow.
 */
static bool vq_range_ok(const struct vq_pool *pool, u64 addr, u64 len, u64 *off)
{
	if (addr < pool->io_base)
		return false;
	addr -= pool->io_base;
	if (addr > pool->size || len > pool->size - addr)
		return false;
	*off = addr;
	return true;
}

/*
 * An indirect table may sit at any byte of the pool: the spec asks for no
 * alignment.  Copy the 16 bytes instead of reading through __le64 fields,
 * and keep the compiler from reading the shared bytes again later.
 */
static void vq_desc_read(struct vq_desc *dst, const struct vq_desc *src)
{
	memcpy(dst, src, sizeof(*dst));
	barrier();
}

static int vq_chain_fail(struct vq_chain *c, u32 index, bool indirect, int err)
{
	c->error_index = index;
	c->error_flags = indirect ? VQCHAR_ERROR_F_INDIRECT : 0;
	return -err;
}

/**
 * vq_chain_walk() - walk and validate the chain starting at @head
 * @r: the ring
 * @pool: the buffer pool and the I/O address of its first byte
 * @features: the ring's VQCHAR_F_* features
 * @head: the chain's first descriptor, already checked to be < r->num
 * @c: the result; @c->segs and @c->max_segs set by the caller.  Segment
 *	addresses are pool offsets.
 *
 * Return: 0, or -VQCHAR_ERR_* with @c->error_index naming the descriptor
 * and @c->error_flags saying which table it is in.
 */
int vq_chain_walk(const struct vq_ring *r, const struct vq_pool *pool, u64 features,
		  u16 head, struct vq_chain *c)
{
	const struct vq_desc *table = r->desc;
	u32 table_num = r->num;
	bool indirect = false;
	bool seen_write = false;
	u32 count = 0;
	u32 i = head;

	c->nr_segs = 0;
	c->nr_out = 0;
	c->nr_in = 0;
	c->out_bytes = 0;
	c->in_bytes = 0;
	c->error_index = 0;
	c->error_flags = 0;

	if (i >= table_num)
		return vq_chain_fail(c, i, false, VQCHAR_ERR_HEAD_INDEX);

	for (;;) {
		struct vq_desc d;
		struct vq_seg *seg;
		u16 flags;
		u64 addr, off;
		u32 len;

		/* A chain can visit each entry of its table at most once. */
		if (++count > table_num)
			return vq_chain_fail(c, i, indirect, VQCHAR_ERR_CHAIN_LOOP);

		vq_desc_read(&d, &table[array_index_nospec(i, table_num)]);
		flags = le16_to_cpu(d.flags);
		addr = le64_to_cpu(d.addr);
		len = le32_to_cpu(d.len);

		if (flags & VQ_DESC_F_INDIRECT) {
			if (!(features & VQCHAR_F_INDIRECT_DESC))
				return vq_chain_fail(c, i, indirect, VQCHAR_ERR_INDIRECT_FEATURE);
			if (indirect)
				return vq_chain_fail(c, i, indirect, VQCHAR_ERR_INDIRECT_NESTED);
			if (flags & VQ_DESC_F_NEXT)
				return vq_chain_fail(c, i, indirect, VQCHAR_ERR_INDIRECT_NEXT);
			if (!len || len % sizeof(struct vq_desc))
				return vq_chain_fail(c, i, indirect, VQCHAR_ERR_INDIRECT_LEN);
			if (!vq_range_ok(pool, addr, len, &off))
				return vq_chain_fail(c, i, indirect, VQCHAR_ERR_INDIRECT_BOUNDS);
			table = (const struct vq_desc *)((const u8 *)pool->base + off);
			table_num = len / sizeof(struct vq_desc);
			indirect = true;
			count = 0;
			i = 0;
			continue;
		}

		if (!vq_range_ok(pool, addr, len, &off))
			return vq_chain_fail(c, i, indirect, VQCHAR_ERR_DESC_BOUNDS);

		if (flags & VQ_DESC_F_WRITE) {
			seen_write = true;
			c->nr_in++;
			c->in_bytes += len;
		} else {
			if (seen_write)
				return vq_chain_fail(c, i, indirect, VQCHAR_ERR_RW_ORDER);
			c->nr_out++;
			c->out_bytes += len;
		}

		if (c->nr_segs >= c->max_segs)
			return vq_chain_fail(c, i, indirect, VQCHAR_ERR_CHAIN_TOO_LONG);
		seg = &c->segs[c->nr_segs++];
		seg->addr = off;
		seg->len = len;
		seg->write = !!(flags & VQ_DESC_F_WRITE);

		if (!(flags & VQ_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(d.next);
		if (i >= table_num)
			return vq_chain_fail(c, i, indirect, VQCHAR_ERR_DESC_INDEX);
	}
}
