/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The virtio 1.x split ring as vqchar uses it: layout, index arithmetic,
 * and the driver- and device-side accessors.
 *
 * This header is the one source of truth for the ring format.  It is
 * compiled into the kernel module (kmod/) and into libvqchar (lib/), the
 * way tools/virtio builds virtio_ring.c for userspace: vq_compat.h maps
 * the few kernel primitives used here onto C11 atomics outside the kernel.
 *
 * All ring memory is shared with a party that may be hostile.  The
 * accessors read every field once; callers validate what they read.
 */
#ifndef VQ_SPLIT_H
#define VQ_SPLIT_H

#include "vq_compat.h"
#include <linux/vqchar.h>

#define VQ_DESC_F_NEXT		1
#define VQ_DESC_F_WRITE		2
#define VQ_DESC_F_INDIRECT	4

#define VQ_AVAIL_F_NO_INTERRUPT	1
#define VQ_USED_F_NO_NOTIFY	1

#define VQ_DESC_ALIGN		16
#define VQ_AVAIL_ALIGN		2
#define VQ_USED_ALIGN		4

struct vq_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct vq_used_elem {
	__le32 id;
	__le32 len;
};

/* Pointers into one mapped ring, resolved from struct vqchar_ring_offsets. */
struct vq_ring {
	struct vq_desc *desc;
	__le16 *avail_flags;
	__le16 *avail_idx;
	__le16 *avail_ring;
	__le16 *used_event;
	__le16 *used_flags;
	__le16 *used_idx;
	struct vq_used_elem *used_ring;
	__le16 *avail_event;
	u32 num;
};

static inline bool vq_ring_size_valid(u32 num)
{
	return num >= 1 && num <= VQCHAR_MAX_RING_SIZE && !(num & (num - 1));
}

/* The virtio 1.x split layout (spec 2.7): one contiguous, aligned block. */
static inline void vq_split_layout(u32 num, struct vqchar_ring_offsets *off)
{
	u32 used;

	off->desc = 0;
	off->avail_flags = num * (u32)sizeof(struct vq_desc);
	off->avail_idx = off->avail_flags + 2;
	off->avail_ring = off->avail_flags + 4;
	off->used_event = off->avail_ring + 2 * num;
	used = (off->used_event + 2 + VQ_USED_ALIGN - 1) & ~(u32)(VQ_USED_ALIGN - 1);
	off->used_flags = used;
	off->used_idx = used + 2;
	off->used_ring = used + 4;
	off->avail_event = off->used_ring + num * (u32)sizeof(struct vq_used_elem);
	off->ring_bytes = off->avail_event + 2;
}

/*
 * Check offsets that came from elsewhere (a second process, an older
 * kernel) before trusting them: in bounds of @len and aligned as the
 * spec requires.
 */
static inline bool vq_split_layout_valid(u32 num, const struct vqchar_ring_offsets *off,
					 u64 len)
{
	u64 num64 = num;

	return vq_ring_size_valid(num) && off->ring_bytes <= len &&
	       !(off->desc % VQ_DESC_ALIGN) && !(off->avail_flags % VQ_AVAIL_ALIGN) &&
	       !(off->used_flags % VQ_USED_ALIGN) &&
	       off->desc + num64 * 16 <= len &&
	       off->avail_idx + 2ULL <= len && off->avail_flags + 2ULL <= len &&
	       off->avail_ring + 2 * num64 <= len && off->used_event + 2ULL <= len &&
	       off->used_flags + 2ULL <= len && off->used_idx + 2ULL <= len &&
	       off->used_ring + 8 * num64 <= len && off->avail_event + 2ULL <= len &&
	       !(off->avail_idx % 2) && !(off->avail_ring % 2) && !(off->used_event % 2) &&
	       !(off->used_idx % 2) && !(off->used_ring % 4) && !(off->avail_event % 2);
}

static inline void vq_ring_init(struct vq_ring *r, void *base, u32 num,
				const struct vqchar_ring_offsets *off)
{
	u8 *p = base;

	r->desc = (struct vq_desc *)(p + off->desc);
	r->avail_flags = (__le16 *)(p + off->avail_flags);
	r->avail_idx = (__le16 *)(p + off->avail_idx);
	r->avail_ring = (__le16 *)(p + off->avail_ring);
	r->used_event = (__le16 *)(p + off->used_event);
	r->used_flags = (__le16 *)(p + off->used_flags);
	r->used_idx = (__le16 *)(p + off->used_idx);
	r->used_ring = (struct vq_used_elem *)(p + off->used_ring);
	r->avail_event = (__le16 *)(p + off->avail_event);
	r->num = num;
}

/*
 * True when an event index asks to be notified for the step old -> new_idx
 * (vring_need_event() in include/uapi/linux/virtio_ring.h), 16-bit wrap
 * included.
 */
static inline bool vq_need_event(u16 event_idx, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event_idx - 1) < (u16)(new_idx - old);
}

/* ---- device side: consumes the available ring, produces used entries ---- */

/*
 * Number of chains the driver made available since @last_avail, or
 * -VQCHAR_ERR_AVAIL_IDX when the driver's idx ran more than a ring ahead.
 * The acquire pairs with the driver's release of avail->idx: ring entries
 * and descriptors written before it are visible after it.
 */
static inline int vq_dev_avail_pending(const struct vq_ring *r, u16 last_avail)
{
	/* Pairs with the driver's release in vq_drv_avail_publish(). */
	u16 idx = le16_to_cpu(smp_load_acquire(r->avail_idx));
	u16 pending = idx - last_avail;

	if (pending > r->num)
		return -VQCHAR_ERR_AVAIL_IDX;
	return pending;
}

/* Head of the chain at avail position @pos, or -VQCHAR_ERR_HEAD_INDEX. */
static inline int vq_dev_avail_head(const struct vq_ring *r, u16 pos)
{
	u16 head = le16_to_cpu(READ_ONCE(r->avail_ring[pos & (r->num - 1)]));

	if (head >= r->num)
		return -VQCHAR_ERR_HEAD_INDEX;
	/* The head indexes the descriptor table: no speculation past num. */
	return array_index_nospec(head, r->num);
}

/* Fill used entry @used_idx; made visible by vq_dev_used_publish(). */
static inline void vq_dev_used_fill(const struct vq_ring *r, u16 used_idx, u32 id, u32 len)
{
	struct vq_used_elem *e = &r->used_ring[used_idx & (r->num - 1)];

	WRITE_ONCE(e->id, cpu_to_le32(id));
	WRITE_ONCE(e->len, cpu_to_le32(len));
}

/* Release: the entries filled before are visible once the idx is. */
static inline void vq_dev_used_publish(const struct vq_ring *r, u16 used_idx)
{
	/* Pairs with the driver's acquire in vq_drv_used_pending(). */
	smp_store_release(r->used_idx, cpu_to_le16(used_idx));
}

/*
 * Should the device signal the driver after moving used idx old -> new_idx?
 * The full barrier orders the used idx store before the read of the
 * driver's suppression state (spec 2.7.10, virtqueue_kick_prepare).
 */
static inline bool vq_dev_should_call(const struct vq_ring *r, u64 features, u16 old,
				      u16 new_idx)
{
	/* Order the used idx store before reading used_event / avail flags. */
	smp_mb();
	if (features & VQCHAR_F_EVENT_IDX)
		return vq_need_event(le16_to_cpu(READ_ONCE(*r->used_event)), new_idx, old);
	return !(le16_to_cpu(READ_ONCE(*r->avail_flags)) & VQ_AVAIL_F_NO_INTERRUPT);
}

/*
 * Tell the driver whether kicks are wanted.  With EVENT_IDX, enabling asks
 * for a kick once the driver publishes past @last_avail.  Callers re-check
 * the available ring after enabling, as the driver may have published
 * before it saw the change.
 */
static inline void vq_dev_set_kicks(const struct vq_ring *r, u64 features, bool enable,
				    u16 last_avail)
{
	if (features & VQCHAR_F_EVENT_IDX) {
		if (enable)
			WRITE_ONCE(*r->avail_event, cpu_to_le16(last_avail));
	} else {
		WRITE_ONCE(*r->used_flags, cpu_to_le16(enable ? 0 : VQ_USED_F_NO_NOTIFY));
	}
	/* Order the avail_event / used flags store before re-reading avail idx. */
	smp_mb();
}

/* ---- driver side: produces available chains, consumes used entries ---- */

static inline void vq_drv_desc_write(const struct vq_ring *r, u16 i, u64 addr, u32 len,
				     u16 flags, u16 next)
{
	struct vq_desc *d = &r->desc[i];

	WRITE_ONCE(d->addr, cpu_to_le64(addr));
	WRITE_ONCE(d->len, cpu_to_le32(len));
	WRITE_ONCE(d->flags, cpu_to_le16(flags));
	WRITE_ONCE(d->next, cpu_to_le16(next));
}

static inline void vq_drv_avail_fill(const struct vq_ring *r, u16 avail_idx, u16 head)
{
	WRITE_ONCE(r->avail_ring[avail_idx & (r->num - 1)], cpu_to_le16(head));
}

/* Release: descriptors and ring entries written before are visible. */
static inline void vq_drv_avail_publish(const struct vq_ring *r, u16 avail_idx)
{
	/* Pairs with the device's acquire in vq_dev_avail_pending(). */
	smp_store_release(r->avail_idx, cpu_to_le16(avail_idx));
}

/* Should the driver kick after moving avail idx old -> new_idx? */
static inline bool vq_drv_should_kick(const struct vq_ring *r, u64 features, u16 old,
				      u16 new_idx)
{
	/* Order the avail idx store before reading avail_event / used flags. */
	smp_mb();
	if (features & VQCHAR_F_EVENT_IDX)
		return vq_need_event(le16_to_cpu(READ_ONCE(*r->avail_event)), new_idx, old);
	return !(le16_to_cpu(READ_ONCE(*r->used_flags)) & VQ_USED_F_NO_NOTIFY);
}

/* Used entries the device published since @last_used (acquire). */
static inline u16 vq_drv_used_pending(const struct vq_ring *r, u16 last_used)
{
	/* Pairs with the device's release in vq_dev_used_publish(). */
	return (u16)(le16_to_cpu(smp_load_acquire(r->used_idx)) - last_used);
}

static inline void vq_drv_used_read(const struct vq_ring *r, u16 pos, u32 *id, u32 *len)
{
	const struct vq_used_elem *e = &r->used_ring[pos & (r->num - 1)];

	*id = le32_to_cpu(READ_ONCE(e->id));
	*len = le32_to_cpu(READ_ONCE(e->len));
}

/*
 * Ask (or stop asking) for calls.  With EVENT_IDX, enabling asks for a call
 * once the device publishes past @last_used.  Callers re-check the used
 * ring after enabling.
 */
static inline void vq_drv_set_calls(const struct vq_ring *r, u64 features, bool enable,
				    u16 last_used)
{
	if (features & VQCHAR_F_EVENT_IDX) {
		if (enable)
			WRITE_ONCE(*r->used_event, cpu_to_le16(last_used));
	} else {
		WRITE_ONCE(*r->avail_flags,
			   cpu_to_le16(enable ? 0 : VQ_AVAIL_F_NO_INTERRUPT));
	}
	/* Order the used_event / avail flags store before re-reading used idx. */
	smp_mb();
}

/* ---- chain validation, shared by every device (vq_chain.c) ---- */

/* One segment of a validated chain: pool offset (not I/O address), length, direction. */
struct vq_seg {
	u64 addr;
	u32 len;
	u32 write;
};

/**
 * struct vq_chain - a chain walked and validated by vq_chain_walk()
 * @segs: caller's array of @max_segs segments, filled in order
 * @max_segs: capacity of @segs; longer chains are VQCHAR_ERR_CHAIN_TOO_LONG
 * @nr_segs: segments filled
 * @nr_out: device-readable segments (they come first)
 * @nr_in: device-writable segments
 * @out_bytes: bytes in readable segments
 * @in_bytes: bytes in writable segments
 * @error_index: the descriptor index involved when the walk fails
 * @error_flags: VQCHAR_ERROR_F_INDIRECT when @error_index is an entry of
 *	the indirect table rather than of the ring's descriptor table
 */
struct vq_chain {
	struct vq_seg *segs;
	u32 max_segs;
	u32 nr_segs;
	u32 nr_out;
	u32 nr_in;
	u64 out_bytes;
	u64 in_bytes;
	u32 error_index;
	u32 error_flags;
};

/**
 * struct vq_pool - the I/O address space descriptors point into
 * @base: the pool as this side maps it
 * @size: bytes of @base descriptors may name
 * @io_base: the I/O address of @base[0]; descriptor addresses are
 *	@io_base + offset
 */
struct vq_pool {
	const void *base;
	u64 size;
	u64 io_base;
};

int vq_chain_walk(const struct vq_ring *r, const struct vq_pool *pool, u64 features,
		  u16 head, struct vq_chain *c);

#endif /* VQ_SPLIT_H */
