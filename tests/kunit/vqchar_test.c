// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for vqchar: the shared ring code (vq_split.h, vq_chain.c)
 * and the module's queues and devices.  The module's .c files are built
 * into this test module, except main.c, so static functions are in reach
 * and vqchar.ko need not export anything.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/virtio_ring.h>

#include "../../common/vq_chain.c"
#include "../../kmod/device.c"
#include "../../kmod/queue.c"
#include "../../kmod/region.c"

/* ---- vqchar_ring: layout, index arithmetic and the ring accessors ---- */

static void vqchar_ring_layout_every_size(struct kunit *test)
{
	struct vqchar_ring_offsets off;
	u32 num;

	for (num = 1; num <= VQCHAR_MAX_RING_SIZE; num *= 2) {
		vq_split_layout(num, &off);
		KUNIT_EXPECT_EQ_MSG(test, off.desc, 0, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.avail_flags, 16 * num, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.avail_flags % VQ_AVAIL_ALIGN, 0, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.avail_idx, off.avail_flags + 2, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.avail_ring, off.avail_flags + 4, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.used_event, off.avail_ring + 2 * num, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.used_flags % VQ_USED_ALIGN, 0, "num %u", num);
		KUNIT_EXPECT_GE_MSG(test, off.used_flags, off.used_event + 2, "num %u", num);
		KUNIT_EXPECT_LT_MSG(test, off.used_flags, off.used_event + 2 + VQ_USED_ALIGN,
				    "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.used_idx, off.used_flags + 2, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.used_ring, off.used_flags + 4, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.used_ring % 4, 0, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.avail_event, off.used_ring + 8 * num, "num %u", num);
		KUNIT_EXPECT_EQ_MSG(test, off.ring_bytes, off.avail_event + 2, "num %u", num);
		KUNIT_EXPECT_TRUE_MSG(test, vq_split_layout_valid(num, &off, off.ring_bytes),
				      "num %u", num);
	}
}

/* The legacy vring_size() with the spec's 4-byte used alignment agrees. */
static void vqchar_ring_layout_matches_vring_size(struct kunit *test)
{
	struct vqchar_ring_offsets off;
	u32 num;

	for (num = 1; num <= VQCHAR_MAX_RING_SIZE; num *= 2) {
		vq_split_layout(num, &off);
		KUNIT_EXPECT_EQ_MSG(test, off.ring_bytes, vring_size(num, VQ_USED_ALIGN),
				    "num %u", num);
	}
}

static void vqchar_ring_size_accepts_powers_of_two(struct kunit *test)
{
	u32 num;

	for (num = 1; num <= VQCHAR_MAX_RING_SIZE; num *= 2)
		KUNIT_EXPECT_TRUE_MSG(test, vq_ring_size_valid(num), "num %u", num);
}

static void vqchar_ring_size_rejects_others(struct kunit *test)
{
	static const u32 bad[] = { 0, 3, 5, 6, 7, 12, 100, 1000, 32767, 32769, 65536,
				   0x80000000, U32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_FALSE_MSG(test, vq_ring_size_valid(bad[i]), "num %u", bad[i]);
}

static void vqchar_ring_layout_valid_rejects_short_region(struct kunit *test)
{
	struct vqchar_ring_offsets off;

	vq_split_layout(256, &off);
	KUNIT_EXPECT_FALSE(test, vq_split_layout_valid(256, &off, off.ring_bytes - 1));
}

static void vqchar_ring_layout_valid_rejects_misaligned(struct kunit *test)
{
	struct vqchar_ring_offsets off;

	vq_split_layout(256, &off);
	off.used_flags += 2;
	KUNIT_EXPECT_FALSE(test, vq_split_layout_valid(256, &off, 1 << 20));
	vq_split_layout(256, &off);
	off.desc += 8;
	KUNIT_EXPECT_FALSE(test, vq_split_layout_valid(256, &off, 1 << 20));
}

struct vqchar_need_event_case {
	u16 event;
	u16 new_idx;
	u16 old;
	bool want;
};

/* Table driven, so the 16-bit arithmetic happens at run time. */
static void vqchar_check_need_event(struct kunit *test,
				    const struct vqchar_need_event_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, vq_need_event(c[i].event, c[i].new_idx, c[i].old),
				    c[i].want, "event %#x, %#x -> %#x", c[i].event, c[i].old,
				    c[i].new_idx);
}

static void vqchar_ring_need_event_basic(struct kunit *test)
{
	static const struct vqchar_need_event_case cases[] = {
		/* Moving 0 -> 3 crosses event indices 0, 1 and 2. */
		{ 0, 3, 0, true },
		{ 2, 3, 0, true },
		{ 3, 3, 0, false },
		{ 100, 3, 0, false },
		/* No movement never asks for an event. */
		{ 5, 5, 5, false },
	};

	vqchar_check_need_event(test, cases, ARRAY_SIZE(cases));
}

static void vqchar_ring_need_event_wraps(struct kunit *test)
{
	static const struct vqchar_need_event_case cases[] = {
		/* 0xfffe -> 0x0002 crosses 0xfffe, 0xffff, 0 and 1. */
		{ 0xfffe, 0x0002, 0xfffe, true },
		{ 0xffff, 0x0002, 0xfffe, true },
		{ 0x0001, 0x0002, 0xfffe, true },
		{ 0x0002, 0x0002, 0xfffe, false },
		{ 0xfffd, 0x0002, 0xfffe, false },
	};

	vqchar_check_need_event(test, cases, ARRAY_SIZE(cases));
}

/* A ring in kzalloc'd memory, for the accessor and chain suites. */
struct vqchar_test_ring {
	struct vqchar_ring_offsets off;
	struct vq_ring r;
	u8 *pool;
	u64 pool_size;
	struct vq_seg segs[8];
	struct vq_chain c;
};

#define VQCHAR_TEST_NUM		8
#define VQCHAR_TEST_POOL	4096

static int vqchar_test_ring_init(struct kunit *test)
{
	struct vqchar_test_ring *t;
	void *ring;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	vq_split_layout(VQCHAR_TEST_NUM, &t->off);
	ring = kunit_kzalloc(test, t->off.ring_bytes, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ring);
	t->pool = kunit_kzalloc(test, VQCHAR_TEST_POOL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->pool);
	t->pool_size = VQCHAR_TEST_POOL;
	vq_ring_init(&t->r, ring, VQCHAR_TEST_NUM, &t->off);
	t->c.segs = t->segs;
	t->c.max_segs = ARRAY_SIZE(t->segs);
	test->priv = t;
	return 0;
}

static void vqchar_ring_avail_pending_counts(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 0), 0);
	vq_drv_avail_publish(&t->r, 3);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 0), 3);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 3), 0);
}

static void vqchar_ring_avail_pending_wraps(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vq_drv_avail_publish(&t->r, 0x0002);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 0xfffe), 4);
}

static void vqchar_ring_avail_pending_rejects_more_than_num(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vq_drv_avail_publish(&t->r, VQCHAR_TEST_NUM);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 0), VQCHAR_TEST_NUM);
	vq_drv_avail_publish(&t->r, VQCHAR_TEST_NUM + 1);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 0), -VQCHAR_ERR_AVAIL_IDX);
	/* Behind the device is as bad as too far ahead. */
	vq_drv_avail_publish(&t->r, 0xffff);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_pending(&t->r, 0), -VQCHAR_ERR_AVAIL_IDX);
}

static void vqchar_ring_avail_head_rejects_out_of_range(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vq_drv_avail_fill(&t->r, 0, VQCHAR_TEST_NUM - 1);
	vq_drv_avail_fill(&t->r, 1, VQCHAR_TEST_NUM);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_head(&t->r, 0), VQCHAR_TEST_NUM - 1);
	KUNIT_EXPECT_EQ(test, vq_dev_avail_head(&t->r, 1), -VQCHAR_ERR_HEAD_INDEX);
	/* Positions wrap around the ring. */
	KUNIT_EXPECT_EQ(test, vq_dev_avail_head(&t->r, VQCHAR_TEST_NUM), VQCHAR_TEST_NUM - 1);
}

static void vqchar_ring_used_fill_and_publish(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;
	u32 id, len;

	vq_dev_used_fill(&t->r, 9, 5, 1234);
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&t->r, 9), (u16)(0 - 9));
	vq_dev_used_publish(&t->r, 10);
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&t->r, 9), 1);
	vq_drv_used_read(&t->r, 9, &id, &len);
	KUNIT_EXPECT_EQ(test, id, 5);
	KUNIT_EXPECT_EQ(test, len, 1234);
}

static void vqchar_ring_should_call_honours_no_interrupt(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	KUNIT_EXPECT_TRUE(test, vq_dev_should_call(&t->r, 0, 0, 1));
	vq_drv_set_calls(&t->r, 0, false, 0);
	KUNIT_EXPECT_FALSE(test, vq_dev_should_call(&t->r, 0, 0, 1));
	vq_drv_set_calls(&t->r, 0, true, 0);
	KUNIT_EXPECT_TRUE(test, vq_dev_should_call(&t->r, 0, 0, 1));
}

static void vqchar_ring_should_call_honours_used_event(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;
	const u64 f = VQCHAR_F_EVENT_IDX;

	vq_drv_set_calls(&t->r, f, true, 4);
	KUNIT_EXPECT_FALSE(test, vq_dev_should_call(&t->r, f, 0, 4));
	KUNIT_EXPECT_TRUE(test, vq_dev_should_call(&t->r, f, 4, 5));
	KUNIT_EXPECT_TRUE(test, vq_dev_should_call(&t->r, f, 0, 5));
	/* NO_INTERRUPT means nothing once EVENT_IDX is on. */
	vq_drv_set_calls(&t->r, 0, false, 0);
	KUNIT_EXPECT_TRUE(test, vq_dev_should_call(&t->r, f, 4, 5));
}

static void vqchar_ring_set_kicks_drives_should_kick(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;
	const u64 f = VQCHAR_F_EVENT_IDX;

	vq_dev_set_kicks(&t->r, 0, false, 0);
	KUNIT_EXPECT_FALSE(test, vq_drv_should_kick(&t->r, 0, 0, 1));
	vq_dev_set_kicks(&t->r, 0, true, 0);
	KUNIT_EXPECT_TRUE(test, vq_drv_should_kick(&t->r, 0, 0, 1));

	vq_dev_set_kicks(&t->r, f, true, 7);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*t->r.avail_event), 7);
	KUNIT_EXPECT_FALSE(test, vq_drv_should_kick(&t->r, f, 0, 7));
	KUNIT_EXPECT_TRUE(test, vq_drv_should_kick(&t->r, f, 7, 8));
}

static struct kunit_case vqchar_ring_cases[] = {
	KUNIT_CASE(vqchar_ring_layout_every_size),
	KUNIT_CASE(vqchar_ring_layout_matches_vring_size),
	KUNIT_CASE(vqchar_ring_size_accepts_powers_of_two),
	KUNIT_CASE(vqchar_ring_size_rejects_others),
	KUNIT_CASE(vqchar_ring_layout_valid_rejects_short_region),
	KUNIT_CASE(vqchar_ring_layout_valid_rejects_misaligned),
	KUNIT_CASE(vqchar_ring_need_event_basic),
	KUNIT_CASE(vqchar_ring_need_event_wraps),
	KUNIT_CASE(vqchar_ring_avail_pending_counts),
	KUNIT_CASE(vqchar_ring_avail_pending_wraps),
	KUNIT_CASE(vqchar_ring_avail_pending_rejects_more_than_num),
	KUNIT_CASE(vqchar_ring_avail_head_rejects_out_of_range),
	KUNIT_CASE(vqchar_ring_used_fill_and_publish),
	KUNIT_CASE(vqchar_ring_should_call_honours_no_interrupt),
	KUNIT_CASE(vqchar_ring_should_call_honours_used_event),
	KUNIT_CASE(vqchar_ring_set_kicks_drives_should_kick),
	{}
};

static struct kunit_suite vqchar_ring_suite = {
	.name = "vqchar_ring",
	.init = vqchar_test_ring_init,
	.test_cases = vqchar_ring_cases,
};

/* ---- vqchar_chain: vq_chain_walk() on good and hostile chains ---- */

static void vqchar_desc(struct vqchar_test_ring *t, u16 i, u64 addr, u32 len, u16 flags,
			u16 next)
{
	vq_drv_desc_write(&t->r, i, addr, len, flags, next);
}

/* Descriptor @i of an indirect table at pool offset @table. */
static void vqchar_idesc(struct vqchar_test_ring *t, u64 table, u16 i, u64 addr, u32 len,
			 u16 flags, u16 next)
{
	struct vq_desc *d = (struct vq_desc *)(t->pool + table) + i;

	d->addr = cpu_to_le64(addr);
	d->len = cpu_to_le32(len);
	d->flags = cpu_to_le16(flags);
	d->next = cpu_to_le16(next);
}

static int vqchar_walk(struct vqchar_test_ring *t, u64 features, u16 head)
{
	struct vq_pool pool = { .base = t->pool, .size = t->pool_size };

	return vq_chain_walk(&t->r, &pool, features, head, &t->c);
}

static void vqchar_chain_single_readable(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 3, 100, 50, 0, 0);
	KUNIT_ASSERT_EQ(test, vqchar_walk(t, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, t->c.nr_segs, 1);
	KUNIT_EXPECT_EQ(test, t->c.nr_out, 1);
	KUNIT_EXPECT_EQ(test, t->c.nr_in, 0);
	KUNIT_EXPECT_EQ(test, t->c.out_bytes, 50);
	KUNIT_EXPECT_EQ(test, t->segs[0].addr, 100);
	KUNIT_EXPECT_EQ(test, t->segs[0].len, 50);
	KUNIT_EXPECT_EQ(test, t->segs[0].write, 0);
}

static void vqchar_chain_readable_then_writable(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 10, VQ_DESC_F_NEXT, 5);
	vqchar_desc(t, 5, 10, 20, VQ_DESC_F_NEXT, 2);
	vqchar_desc(t, 2, 1000, 30, VQ_DESC_F_WRITE, 0);
	KUNIT_ASSERT_EQ(test, vqchar_walk(t, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, t->c.nr_segs, 3);
	KUNIT_EXPECT_EQ(test, t->c.nr_out, 2);
	KUNIT_EXPECT_EQ(test, t->c.nr_in, 1);
	KUNIT_EXPECT_EQ(test, t->c.out_bytes, 30);
	KUNIT_EXPECT_EQ(test, t->c.in_bytes, 30);
	KUNIT_EXPECT_EQ(test, t->segs[2].addr, 1000);
	KUNIT_EXPECT_EQ(test, t->segs[2].write, 1);
}

static void vqchar_chain_desc_ending_at_pool_end_is_valid(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, VQCHAR_TEST_POOL - 16, 16, VQ_DESC_F_NEXT, 1);
	vqchar_desc(t, 1, 0, VQCHAR_TEST_POOL, VQ_DESC_F_WRITE, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), 0);
}

static void vqchar_chain_indirect_table(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 1, 0, 10, VQ_DESC_F_NEXT, 4);
	vqchar_desc(t, 4, 2048, 3 * 16, VQ_DESC_F_INDIRECT, 0);
	vqchar_idesc(t, 2048, 0, 100, 20, VQ_DESC_F_NEXT, 2);
	vqchar_idesc(t, 2048, 2, 200, 30, VQ_DESC_F_NEXT, 1);
	vqchar_idesc(t, 2048, 1, 300, 40, VQ_DESC_F_WRITE, 0);
	KUNIT_ASSERT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 1), 0);
	KUNIT_EXPECT_EQ(test, t->c.nr_segs, 4);
	KUNIT_EXPECT_EQ(test, t->c.out_bytes, 60);
	KUNIT_EXPECT_EQ(test, t->c.in_bytes, 40);
	KUNIT_EXPECT_EQ(test, t->segs[1].addr, 100);
	KUNIT_EXPECT_EQ(test, t->segs[3].addr, 300);
}

static void vqchar_chain_head_out_of_range(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, VQCHAR_TEST_NUM), -VQCHAR_ERR_HEAD_INDEX);
	KUNIT_EXPECT_EQ(test, t->c.error_index, VQCHAR_TEST_NUM);
}

static void vqchar_chain_next_out_of_range(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 10, VQ_DESC_F_NEXT, VQCHAR_TEST_NUM);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_DESC_INDEX);
	KUNIT_EXPECT_EQ(test, t->c.error_index, VQCHAR_TEST_NUM);
}

static void vqchar_chain_loop(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 1, VQ_DESC_F_NEXT, 1);
	vqchar_desc(t, 1, 0, 1, VQ_DESC_F_NEXT, 0);
	t->c.segs = kunit_kcalloc(test, 64, sizeof(*t->c.segs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->c.segs);
	t->c.max_segs = 64;
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_CHAIN_LOOP);
}

static void vqchar_chain_self_loop(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 6, 0, 1, VQ_DESC_F_NEXT, 6);
	t->c.segs = kunit_kcalloc(test, 64, sizeof(*t->c.segs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->c.segs);
	t->c.max_segs = 64;
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 6), -VQCHAR_ERR_CHAIN_LOOP);
	KUNIT_EXPECT_EQ(test, t->c.error_index, 6);
}

static void vqchar_chain_desc_outside_pool(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 2, VQCHAR_TEST_POOL - 16, 17, 0, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 2), -VQCHAR_ERR_DESC_BOUNDS);
	KUNIT_EXPECT_EQ(test, t->c.error_index, 2);
	vqchar_desc(t, 2, VQCHAR_TEST_POOL + 1, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 2), -VQCHAR_ERR_DESC_BOUNDS);
}

static void vqchar_chain_desc_addr_len_overflow(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, U64_MAX - 15, 32, 0, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_DESC_BOUNDS);
	vqchar_desc(t, 0, 16, U32_MAX, VQ_DESC_F_WRITE, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_DESC_BOUNDS);
}

static void vqchar_chain_readable_after_writable(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 10, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	vqchar_desc(t, 1, 100, 10, 0, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_RW_ORDER);
	KUNIT_EXPECT_EQ(test, t->c.error_index, 1);
}

static void vqchar_chain_indirect_without_feature(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 32, VQ_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_INDIRECT_FEATURE);
}

static void vqchar_chain_indirect_len_zero(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 0, VQ_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_INDIRECT_LEN);
}

static void vqchar_chain_indirect_len_not_multiple_of_16(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 0, 24, VQ_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_INDIRECT_LEN);
}

static void vqchar_chain_indirect_table_outside_pool(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, VQCHAR_TEST_POOL - 16, 32, VQ_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_INDIRECT_BOUNDS);
	vqchar_desc(t, 0, U64_MAX - 15, 32, VQ_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_INDIRECT_BOUNDS);
}

static void vqchar_chain_indirect_nested(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 1024, 32, VQ_DESC_F_INDIRECT, 0);
	vqchar_idesc(t, 1024, 0, 2048, 32, VQ_DESC_F_INDIRECT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_INDIRECT_NESTED);
	KUNIT_EXPECT_EQ(test, t->c.error_index, 0);
}

static void vqchar_chain_indirect_with_next(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 1024, 32, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_INDIRECT_NEXT);
}

static void vqchar_chain_indirect_next_out_of_table(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 1024, 32, VQ_DESC_F_INDIRECT, 0);
	vqchar_idesc(t, 1024, 0, 0, 8, VQ_DESC_F_NEXT, 2);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_DESC_INDEX);
	KUNIT_EXPECT_EQ(test, t->c.error_index, 2);
}

static void vqchar_chain_indirect_loop(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;

	vqchar_desc(t, 0, 1024, 32, VQ_DESC_F_INDIRECT, 0);
	vqchar_idesc(t, 1024, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vqchar_idesc(t, 1024, 1, 0, 8, VQ_DESC_F_NEXT, 0);
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, VQCHAR_F_INDIRECT_DESC, 0),
			-VQCHAR_ERR_CHAIN_LOOP);
}

static void vqchar_chain_too_long(struct kunit *test)
{
	struct vqchar_test_ring *t = test->priv;
	u16 i;

	for (i = 0; i < VQCHAR_TEST_NUM; i++)
		vqchar_desc(t, i, 0, 1, i + 1 < VQCHAR_TEST_NUM ? VQ_DESC_F_NEXT : 0, i + 1);
	t->c.max_segs = 4;
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), -VQCHAR_ERR_CHAIN_TOO_LONG);
	KUNIT_EXPECT_EQ(test, t->c.error_index, 4);
	t->c.max_segs = VQCHAR_TEST_NUM;
	KUNIT_EXPECT_EQ(test, vqchar_walk(t, 0, 0), 0);
}

static struct kunit_case vqchar_chain_cases[] = {
	KUNIT_CASE(vqchar_chain_single_readable),
	KUNIT_CASE(vqchar_chain_readable_then_writable),
	KUNIT_CASE(vqchar_chain_desc_ending_at_pool_end_is_valid),
	KUNIT_CASE(vqchar_chain_indirect_table),
	KUNIT_CASE(vqchar_chain_head_out_of_range),
	KUNIT_CASE(vqchar_chain_next_out_of_range),
	KUNIT_CASE(vqchar_chain_loop),
	KUNIT_CASE(vqchar_chain_self_loop),
	KUNIT_CASE(vqchar_chain_desc_outside_pool),
	KUNIT_CASE(vqchar_chain_desc_addr_len_overflow),
	KUNIT_CASE(vqchar_chain_readable_after_writable),
	KUNIT_CASE(vqchar_chain_indirect_without_feature),
	KUNIT_CASE(vqchar_chain_indirect_len_zero),
	KUNIT_CASE(vqchar_chain_indirect_len_not_multiple_of_16),
	KUNIT_CASE(vqchar_chain_indirect_table_outside_pool),
	KUNIT_CASE(vqchar_chain_indirect_nested),
	KUNIT_CASE(vqchar_chain_indirect_with_next),
	KUNIT_CASE(vqchar_chain_indirect_next_out_of_table),
	KUNIT_CASE(vqchar_chain_indirect_loop),
	KUNIT_CASE(vqchar_chain_too_long),
	{}
};

static struct kunit_suite vqchar_chain_suite = {
	.name = "vqchar_chain",
	.init = vqchar_test_ring_init,
	.test_cases = vqchar_chain_cases,
};

/* ---- helpers for in-kernel queues, the test playing the driver ---- */

#define VQCHAR_TQ_BUF	512

struct vqchar_tq {
	struct vqchar_queue *q;
	u16 avail;
};

static struct vqchar_queue *vqchar_tq_create(struct kunit *test, u32 device, u64 features,
					     u32 num)
{
	struct vqchar_queue_params p = {
		.num = num,
		.device = device,
		.features = features,
		.buf_count = 8,
		.buf_size = VQCHAR_TQ_BUF,
		.max_pool_bytes = 1 << 20,
		.max_locked_pages = ULONG_MAX,
	};
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue *q;

	q = vqchar_queue_alloc(&p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, q);
	tq->q = q;
	tq->avail = 0;
	return q;
}

static int vqchar_tq_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct vqchar_tq), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void vqchar_tq_exit(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	if (tq->q) {
		vqchar_queue_stop(tq->q);
		vqchar_queue_put(tq->q);
	}
}

static void vqchar_tq_desc(struct vqchar_tq *tq, u16 i, u64 addr, u32 len, u16 flags,
			   u16 next)
{
	vq_drv_desc_write(&tq->q->vr, i, addr, len, flags, next);
}

/* Make the chain at @head available. */
static void vqchar_tq_publish(struct vqchar_tq *tq, u16 head)
{
	vq_drv_avail_fill(&tq->q->vr, tq->avail, head);
	vq_drv_avail_publish(&tq->q->vr, ++tq->avail);
}

static enum vqchar_run vqchar_tq_run_poll(struct vqchar_tq *tq, bool poll)
{
	enum vqchar_run r;

	mutex_lock(&tq->q->lock);
	r = vqchar_queue_run(tq->q, poll);
	mutex_unlock(&tq->q->lock);
	return r;
}

/* True when the batch ended with chains left. */
static bool vqchar_tq_run(struct vqchar_tq *tq)
{
	return vqchar_tq_run_poll(tq, false) == VQCHAR_RUN_MORE;
}

static u8 *vqchar_tq_pool(struct vqchar_tq *tq)
{
	return tq->q->pool_mem.vaddr;
}

static void vqchar_tq_expect_used(struct kunit *test, struct vqchar_tq *tq, u16 pos,
				  u32 want_id, u32 want_len)
{
	u32 id, len;

	vq_drv_used_read(&tq->q->vr, pos, &id, &len);
	KUNIT_EXPECT_EQ(test, id, want_id);
	KUNIT_EXPECT_EQ(test, len, want_len);
}

static struct vqchar_queue_stats vqchar_tq_stats(struct vqchar_tq *tq)
{
	struct vqchar_queue_stats s = { 0 };

	vqchar_queue_get_stats(tq->q, &s);
	return s;
}

static struct vqchar_queue_status vqchar_tq_status(struct vqchar_tq *tq)
{
	struct vqchar_queue_status s = { 0 };

	vqchar_queue_get_status(tq->q, &s);
	return s;
}

/* ---- vqchar_dev: the in-kernel devices and their signalling ---- */

static void vqchar_dev_loopback_copies_readable_into_writable(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;
	u8 *pool;
	int i;

	vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 8);
	pool = vqchar_tq_pool(tq);
	for (i = 0; i < 100; i++)
		pool[i] = i + 1;
	vqchar_tq_desc(tq, 0, 0, 100, VQ_DESC_F_NEXT, 1);
	vqchar_tq_desc(tq, 1, VQCHAR_TQ_BUF, 200, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);

	KUNIT_EXPECT_FALSE(test, vqchar_tq_run(tq));
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&tq->q->vr, 0), 1);
	vqchar_tq_expect_used(test, tq, 0, 0, 100);
	KUNIT_EXPECT_MEMEQ(test, pool + VQCHAR_TQ_BUF, pool, 100);
	KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF + 100], 0);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.chains, 1);
	KUNIT_EXPECT_EQ(test, s.bytes_read, 100);
	KUNIT_EXPECT_EQ(test, s.bytes_written, 100);
	KUNIT_EXPECT_EQ(test, s.batches, 1);
	KUNIT_EXPECT_EQ(test, s.errors, 0);
}

static void vqchar_dev_loopback_len_is_shorter_side(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u8 *pool;

	vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 8);
	pool = vqchar_tq_pool(tq);
	memset(pool, 0xab, 100);
	vqchar_tq_desc(tq, 0, 0, 100, VQ_DESC_F_NEXT, 1);
	vqchar_tq_desc(tq, 1, VQCHAR_TQ_BUF, 40, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	vqchar_tq_expect_used(test, tq, 0, 0, 40);
	KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF + 39], 0xab);
	KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF + 40], 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).bytes_written, 40);
}

static void vqchar_dev_loopback_across_segments(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u8 *pool;
	int i;

	vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 8);
	pool = vqchar_tq_pool(tq);
	for (i = 0; i < 30; i++)
		pool[i] = i;
	for (i = 0; i < 70; i++)
		pool[VQCHAR_TQ_BUF + i] = 30 + i;
	/* 30 + 0 + 70 readable bytes into 50 + 50 writable ones. */
	vqchar_tq_desc(tq, 0, 0, 30, VQ_DESC_F_NEXT, 1);
	vqchar_tq_desc(tq, 1, 0, 0, VQ_DESC_F_NEXT, 2);
	vqchar_tq_desc(tq, 2, VQCHAR_TQ_BUF, 70, VQ_DESC_F_NEXT, 3);
	vqchar_tq_desc(tq, 3, 2 * VQCHAR_TQ_BUF, 50, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 4);
	vqchar_tq_desc(tq, 4, 3 * VQCHAR_TQ_BUF, 50, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	vqchar_tq_expect_used(test, tq, 0, 0, 100);
	for (i = 0; i < 50; i++) {
		KUNIT_EXPECT_EQ(test, pool[2 * VQCHAR_TQ_BUF + i], i);
		KUNIT_EXPECT_EQ(test, pool[3 * VQCHAR_TQ_BUF + i], 50 + i);
	}
}

static void vqchar_dev_loopback_without_writable_writes_nothing(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 100, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	vqchar_tq_expect_used(test, tq, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, 1);
}

static void vqchar_dev_sink_consumes_and_writes_nothing(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;
	u8 *pool;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	pool = vqchar_tq_pool(tq);
	vqchar_tq_desc(tq, 2, 0, 300, VQ_DESC_F_NEXT, 3);
	vqchar_tq_desc(tq, 3, VQCHAR_TQ_BUF, 64, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 2);
	vqchar_tq_run(tq);
	vqchar_tq_expect_used(test, tq, 0, 2, 0);
	KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF], 0);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.bytes_read, 300);
	KUNIT_EXPECT_EQ(test, s.bytes_written, 0);
}

static void vqchar_dev_source_fills_pattern(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u8 *pool;
	u32 i;

	vqchar_tq_create(test, VQCHAR_DEV_SOURCE, 0, 8);
	pool = vqchar_tq_pool(tq);
	vqchar_tq_desc(tq, 0, 0, 300, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	vqchar_tq_desc(tq, 1, VQCHAR_TQ_BUF, 300, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	vqchar_tq_expect_used(test, tq, 0, 0, 600);
	for (i = 0; i < 300; i++) {
		KUNIT_EXPECT_EQ(test, pool[i], VQCHAR_SOURCE_BYTE(0, i));
		KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF + i], VQCHAR_SOURCE_BYTE(0, 300 + i));
	}
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).bytes_written, 600);
}

static void vqchar_dev_source_sequence_counts_chains(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u8 *pool;
	u32 i;

	vqchar_tq_create(test, VQCHAR_DEV_SOURCE, 0, 8);
	pool = vqchar_tq_pool(tq);
	vqchar_tq_desc(tq, 0, 0, 100, VQ_DESC_F_WRITE, 0);
	vqchar_tq_desc(tq, 1, VQCHAR_TQ_BUF, 100, VQ_DESC_F_WRITE, 0);
	vqchar_tq_desc(tq, 2, 2 * VQCHAR_TQ_BUF, 100, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_publish(tq, 1);
	vqchar_tq_publish(tq, 2);
	vqchar_tq_run(tq);
	for (i = 0; i < 100; i++) {
		KUNIT_EXPECT_EQ(test, pool[i], VQCHAR_SOURCE_BYTE(0, i));
		KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF + i], VQCHAR_SOURCE_BYTE(1, i));
		KUNIT_EXPECT_EQ(test, pool[2 * VQCHAR_TQ_BUF + i], VQCHAR_SOURCE_BYTE(2, i));
	}
}

static void vqchar_dev_source_skips_readable_segments(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u8 *pool;
	u32 i;

	vqchar_tq_create(test, VQCHAR_DEV_SOURCE, 0, 8);
	pool = vqchar_tq_pool(tq);
	vqchar_tq_desc(tq, 0, 0, 50, VQ_DESC_F_NEXT, 1);
	vqchar_tq_desc(tq, 1, VQCHAR_TQ_BUF, 20, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	vqchar_tq_expect_used(test, tq, 0, 0, 20);
	KUNIT_EXPECT_EQ(test, pool[0], 0);
	for (i = 0; i < 20; i++)
		KUNIT_EXPECT_EQ(test, pool[VQCHAR_TQ_BUF + i], VQCHAR_SOURCE_BYTE(0, i));
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).bytes_read, 0);
}

static void vqchar_dev_external_consumes_nothing(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_EXTERNAL, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 100, 0, 0);
	vqchar_tq_publish(tq, 0);
	KUNIT_EXPECT_FALSE(test, vqchar_tq_run(tq));
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&tq->q->vr, 0), 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_status(tq).last_avail_idx, 0);
}

static void vqchar_dev_spurious_run_does_nothing(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	KUNIT_EXPECT_FALSE(test, vqchar_tq_run(tq));
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.batches, 0);
	KUNIT_EXPECT_EQ(test, s.calls, 0);
	KUNIT_EXPECT_EQ(test, s.calls_suppressed, 0);
}

static void vqchar_dev_calls_by_default(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.calls, 1);
	KUNIT_EXPECT_EQ(test, s.calls_suppressed, 0);
}

static void vqchar_dev_no_interrupt_suppresses_call(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vq_drv_set_calls(&tq->q->vr, 0, false, 0);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.calls, 0);
	KUNIT_EXPECT_EQ(test, s.calls_suppressed, 1);
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&tq->q->vr, 0), 1);
}

static void vqchar_dev_used_event_suppresses_call(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, VQCHAR_F_EVENT_IDX, 8);
	/* Call me once the used index moves past 1. */
	vq_drv_set_calls(&tq->q->vr, VQCHAR_F_EVENT_IDX, true, 1);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.calls, 0);
	KUNIT_EXPECT_EQ(test, s.calls_suppressed, 1);

	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.calls, 1);
	KUNIT_EXPECT_EQ(test, s.calls_suppressed, 1);
}

static void vqchar_dev_reenables_kicks_when_idle(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*tq->q->vr.used_flags), 0);
	KUNIT_EXPECT_TRUE(test, vq_drv_should_kick(&tq->q->vr, 0, 1, 2));
}

static void vqchar_dev_event_idx_asks_for_next_kick(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, VQCHAR_F_EVENT_IDX, 8);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*tq->q->vr.avail_event), 2);
	KUNIT_EXPECT_TRUE(test, vq_drv_should_kick(&tq->q->vr, VQCHAR_F_EVENT_IDX, 2, 3));
}

static void vqchar_dev_batch_limit_requeues(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	int i;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 128);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	for (i = 0; i < 100; i++)
		vqchar_tq_publish(tq, 0);
	KUNIT_EXPECT_TRUE(test, vqchar_tq_run(tq));
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, VQCHAR_BATCH);
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&tq->q->vr, 0), VQCHAR_BATCH);
	KUNIT_EXPECT_FALSE(test, vqchar_tq_run(tq));
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, 100);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).batches, 2);
}

static void vqchar_dev_kick_counts_and_runs_worker(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;
	int i;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 10, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_kick_wake(&tq->q->kick_wait, 0, 0, poll_to_key(EPOLLIN));
	/* The worker is a thread of its own: give it up to 10 s. */
	for (i = 0; i < 500 && !vqchar_tq_stats(tq).chains; i++)
		msleep(20);
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.kicks, 1);
	KUNIT_EXPECT_EQ(test, s.chains, 1);
}

static void vqchar_dev_kick_ignores_other_events(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_kick_wake(&tq->q->kick_wait, 0, 0, poll_to_key(EPOLLOUT));
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).kicks, 0);
	KUNIT_EXPECT_FALSE(test, test_bit(VQCHAR_WORKER_PENDING, &tq->q->worker_flags));
}

static void vqchar_dev_kick_on_external_only_counts(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_EXTERNAL, 0, 8);
	vqchar_kick_wake(&tq->q->kick_wait, 0, 0, poll_to_key(EPOLLIN));
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).kicks, 1);
	KUNIT_EXPECT_NULL(test, tq->q->worker);
}

/*
 * A chain over a fresh 2 * @len byte pool: @len writable bytes, or @len
 * readable then @len writable ones.  The caller vfree()s the pool.
 */
static u8 *vqchar_big_chain(struct vq_chain *c, struct vq_seg *segs, u32 len, bool write)
{
	u8 *pool = vzalloc(2 * len);

	if (!pool)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->segs = segs;
	c->max_segs = 2;
	segs[0] = (struct vq_seg){ .addr = 0, .len = len, .write = write };
	c->nr_segs = 1;
	if (write) {
		c->nr_in = 1;
		c->in_bytes = len;
	} else {
		segs[1] = (struct vq_seg){ .addr = len, .len = len, .write = 1 };
		c->nr_segs = 2;
		c->nr_out = 1;
		c->nr_in = 1;
		c->out_bytes = len;
		c->in_bytes = len;
	}
	return pool;
}

static void vqchar_dev_source_stops_early_when_cancelled(struct kunit *test)
{
	const u32 len = 3 * VQCHAR_CHUNK;
	struct vq_seg segs[2];
	struct vqchar_io io;
	struct vq_chain c;
	atomic_t cancel = ATOMIC_INIT(0);
	u8 *pool;

	pool = vqchar_big_chain(&c, segs, len, true);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	vqchar_device_process(VQCHAR_DEV_SOURCE, pool, 7, &c, &cancel, &io);
	KUNIT_EXPECT_EQ(test, io.written, len);
	KUNIT_EXPECT_EQ(test, pool[len - 1], VQCHAR_SOURCE_BYTE(7, len - 1));

	atomic_set(&cancel, 1);
	vqchar_device_process(VQCHAR_DEV_SOURCE, pool, 7, &c, &cancel, &io);
	KUNIT_EXPECT_EQ(test, io.written, VQCHAR_CHUNK);
	vfree(pool);
}

static void vqchar_dev_loopback_stops_early_when_cancelled(struct kunit *test)
{
	const u32 len = 3 * VQCHAR_CHUNK;
	struct vq_seg segs[2];
	struct vqchar_io io;
	struct vq_chain c;
	atomic_t cancel = ATOMIC_INIT(0);
	u8 *pool;

	pool = vqchar_big_chain(&c, segs, len, false);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	memset(pool, 0x5a, len);
	vqchar_device_process(VQCHAR_DEV_LOOPBACK, pool, 0, &c, &cancel, &io);
	KUNIT_EXPECT_EQ(test, io.written, len);
	KUNIT_EXPECT_EQ(test, pool[2 * len - 1], 0x5a);

	atomic_set(&cancel, 1);
	vqchar_device_process(VQCHAR_DEV_LOOPBACK, pool, 0, &c, &cancel, &io);
	KUNIT_EXPECT_EQ(test, io.written, 0);
	KUNIT_EXPECT_EQ(test, io.read, 0);
	vfree(pool);
}

static struct kunit_case vqchar_dev_cases[] = {
	KUNIT_CASE(vqchar_dev_loopback_copies_readable_into_writable),
	KUNIT_CASE(vqchar_dev_loopback_len_is_shorter_side),
	KUNIT_CASE(vqchar_dev_loopback_across_segments),
	KUNIT_CASE(vqchar_dev_loopback_without_writable_writes_nothing),
	KUNIT_CASE(vqchar_dev_sink_consumes_and_writes_nothing),
	KUNIT_CASE(vqchar_dev_source_fills_pattern),
	KUNIT_CASE(vqchar_dev_source_sequence_counts_chains),
	KUNIT_CASE(vqchar_dev_source_skips_readable_segments),
	KUNIT_CASE(vqchar_dev_external_consumes_nothing),
	KUNIT_CASE(vqchar_dev_spurious_run_does_nothing),
	KUNIT_CASE(vqchar_dev_calls_by_default),
	KUNIT_CASE(vqchar_dev_no_interrupt_suppresses_call),
	KUNIT_CASE(vqchar_dev_used_event_suppresses_call),
	KUNIT_CASE(vqchar_dev_reenables_kicks_when_idle),
	KUNIT_CASE(vqchar_dev_event_idx_asks_for_next_kick),
	KUNIT_CASE(vqchar_dev_batch_limit_requeues),
	KUNIT_CASE(vqchar_dev_kick_counts_and_runs_worker),
	KUNIT_CASE(vqchar_dev_kick_ignores_other_events),
	KUNIT_CASE(vqchar_dev_kick_on_external_only_counts),
	KUNIT_CASE(vqchar_dev_source_stops_early_when_cancelled),
	KUNIT_CASE(vqchar_dev_loopback_stops_early_when_cancelled),
	{}
};

static struct kunit_suite vqchar_dev_suite = {
	.name = "vqchar_dev",
	.init = vqchar_tq_init,
	.exit = vqchar_tq_exit,
	.test_cases = vqchar_dev_cases,
};

/* ---- vqchar_queue: lifecycle, broken state, memory regions ---- */

static int vqchar_alloc_error(u32 num, u32 device, u64 features, u32 buf_count,
			      u32 buf_size, u64 max_pool)
{
	struct vqchar_queue_params p = {
		.num = num,
		.device = device,
		.features = features,
		.buf_count = buf_count,
		.buf_size = buf_size,
		.max_pool_bytes = max_pool,
		.max_locked_pages = ULONG_MAX,
	};
	struct vqchar_queue *q = vqchar_queue_alloc(&p);

	if (IS_ERR(q))
		return PTR_ERR(q);
	vqchar_queue_put(q);
	return 0;
}

static void vqchar_queue_create_rejects_non_power_of_two(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(0, VQCHAR_DEV_SINK, 0, 1, 1, 4096), -EINVAL);
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(6, VQCHAR_DEV_SINK, 0, 1, 1, 4096), -EINVAL);
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(65536, VQCHAR_DEV_SINK, 0, 1, 1, 4096),
			-EINVAL);
}

static void vqchar_queue_create_rejects_unknown_device(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_MAX + 1, 0, 1, 1, 4096),
			-EINVAL);
}

static void vqchar_queue_create_rejects_unknown_features(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, BIT_ULL(0), 1, 1, 4096),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, BIT_ULL(32), 1, 1, 4096),
			-EINVAL);
}

static void vqchar_queue_create_rejects_empty_pool(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, 0, 0, 1, 4096), -EINVAL);
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, 0, 1, 0, 4096), -EINVAL);
}

static void vqchar_queue_create_rejects_pool_over_limit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, 0, 2, 2049, 4096),
			-EINVAL);
	/* buf_count * buf_size is computed without overflow. */
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, 0, U32_MAX, U32_MAX,
						 U64_MAX), -EINVAL);
}

static void vqchar_queue_create_accepts_pool_at_limit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(8, VQCHAR_DEV_SINK, 0, 2, 2048, 4096), 0);
	KUNIT_EXPECT_EQ(test, vqchar_alloc_error(VQCHAR_MAX_RING_SIZE, VQCHAR_DEV_LOOPBACK,
						 VQCHAR_F_ALL, 1, 1, 4096), 0);
}

static void vqchar_queue_regions_are_page_aligned_and_zero(struct kunit *test)
{
	struct vqchar_queue *q;

	q = vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 256);
	KUNIT_EXPECT_EQ(test, q->ring_mem.size, PAGE_ALIGN(q->off.ring_bytes));
	KUNIT_EXPECT_EQ(test, q->pool_mem.size, PAGE_ALIGN(8 * VQCHAR_TQ_BUF));
	KUNIT_EXPECT_EQ(test, q->ring_mem.nr_pages << PAGE_SHIFT, q->ring_mem.size);
	KUNIT_EXPECT_TRUE(test, mem_is_zero(q->ring_mem.vaddr, q->ring_mem.size));
	KUNIT_EXPECT_TRUE(test, mem_is_zero(q->pool_mem.vaddr, q->pool_mem.size));
}

static void vqchar_queue_info_describes_queue(struct kunit *test)
{
	struct vqchar_queue_info info;
	struct vqchar_queue *q;

	q = vqchar_tq_create(test, VQCHAR_DEV_SOURCE, VQCHAR_F_EVENT_IDX, 64);
	q->id = 5;
	memset(&info, 0xcc, sizeof(info));
	vqchar_queue_get_info(q, &info);
	KUNIT_EXPECT_EQ(test, info.num, 64);
	KUNIT_EXPECT_EQ(test, info.device, VQCHAR_DEV_SOURCE);
	KUNIT_EXPECT_EQ(test, info.features, VQCHAR_F_EVENT_IDX);
	KUNIT_EXPECT_EQ(test, info.buf_count, 8);
	KUNIT_EXPECT_EQ(test, info.buf_size, VQCHAR_TQ_BUF);
	KUNIT_EXPECT_EQ(test, info.reserved0, 0);
	KUNIT_EXPECT_EQ(test, info.ring_off.ring_bytes, q->off.ring_bytes);
	KUNIT_EXPECT_EQ(test, info.ring.offset, vqchar_mmap_offset(5, VQCHAR_REGION_RING));
	KUNIT_EXPECT_EQ(test, info.pool.offset, vqchar_mmap_offset(5, VQCHAR_REGION_POOL));
	KUNIT_EXPECT_EQ(test, info.ring.length, q->ring_mem.size);
	KUNIT_EXPECT_EQ(test, info.pool.length, q->pool_mem.size);
}

static void vqchar_queue_bad_avail_idx_breaks_queue(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_status st;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vq_drv_avail_publish(&tq->q->vr, 9);
	vqchar_tq_run(tq);
	st = vqchar_tq_status(tq);
	KUNIT_EXPECT_EQ(test, st.status, VQCHAR_STATUS_BROKEN);
	KUNIT_EXPECT_EQ(test, st.error, VQCHAR_ERR_AVAIL_IDX);
	KUNIT_EXPECT_EQ(test, st.error_index, 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).errors, 1);
}

static void vqchar_queue_bad_head_breaks_queue(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_status st;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_publish(tq, 8);
	vqchar_tq_run(tq);
	st = vqchar_tq_status(tq);
	KUNIT_EXPECT_EQ(test, st.status, VQCHAR_STATUS_BROKEN);
	KUNIT_EXPECT_EQ(test, st.error, VQCHAR_ERR_HEAD_INDEX);
	KUNIT_EXPECT_EQ(test, st.error_index, 1);
	/* The good chain before it was completed and published. */
	KUNIT_EXPECT_EQ(test, st.last_avail_idx, 1);
	KUNIT_EXPECT_EQ(test, st.used_idx, 1);
	KUNIT_EXPECT_EQ(test, vq_drv_used_pending(&tq->q->vr, 0), 1);
}

static void vqchar_queue_bad_chain_breaks_queue(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_status st;

	vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 8);
	vqchar_tq_desc(tq, 3, 8 * VQCHAR_TQ_BUF - 1, 2, 0, 0);
	vqchar_tq_publish(tq, 3);
	vqchar_tq_run(tq);
	st = vqchar_tq_status(tq);
	KUNIT_EXPECT_EQ(test, st.error, VQCHAR_ERR_DESC_BOUNDS);
	KUNIT_EXPECT_EQ(test, st.error_index, 3);
	KUNIT_EXPECT_EQ(test, st.used_idx, 0);
}

static void vqchar_queue_broken_queue_stays_stopped(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 1, VQ_DESC_F_NEXT, 9);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, vqchar_tq_status(tq).error, VQCHAR_ERR_DESC_INDEX);
	/* Fixing the ring is not enough: only a reset restarts the device. */
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).errors, 1);
}

static void vqchar_queue_reset_recovers_broken_queue(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_status st;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vq_drv_avail_publish(&tq->q->vr, 100);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, vqchar_tq_status(tq).status, VQCHAR_STATUS_BROKEN);

	vqchar_queue_reset(tq->q);
	st = vqchar_tq_status(tq);
	KUNIT_EXPECT_EQ(test, st.status, 0);
	KUNIT_EXPECT_EQ(test, st.error, VQCHAR_ERR_NONE);
	KUNIT_EXPECT_EQ(test, st.error_index, 0);

	tq->avail = 0;
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, 1);
	KUNIT_EXPECT_EQ(test, vqchar_tq_status(tq).used_idx, 1);
}

static void vqchar_queue_reset_zeroes_ring_and_indices(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_stats s;
	struct vqchar_queue_status st;
	u8 *pool;

	vqchar_tq_create(test, VQCHAR_DEV_SOURCE, 0, 8);
	pool = vqchar_tq_pool(tq);
	vqchar_tq_desc(tq, 0, 0, 16, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, pool[0], VQCHAR_SOURCE_BYTE(1, 0));

	vqchar_queue_reset(tq->q);
	KUNIT_EXPECT_TRUE(test, mem_is_zero(tq->q->ring_mem.vaddr, tq->q->ring_mem.size));
	st = vqchar_tq_status(tq);
	KUNIT_EXPECT_EQ(test, st.last_avail_idx, 0);
	KUNIT_EXPECT_EQ(test, st.used_idx, 0);
	/* Statistics survive a reset; the source sequence starts again. */
	s = vqchar_tq_stats(tq);
	KUNIT_EXPECT_EQ(test, s.chains, 2);

	tq->avail = 0;
	vqchar_tq_desc(tq, 0, 0, 16, VQ_DESC_F_WRITE, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	KUNIT_EXPECT_EQ(test, pool[0], VQCHAR_SOURCE_BYTE(0, 0));
}

static void vqchar_queue_stop_waits_for_queued_work(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u64 chains;
	int i;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 256);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	for (i = 0; i < 256; i++)
		vqchar_tq_publish(tq, 0);
	vqchar_kick_wake(&tq->q->kick_wait, 0, 0, poll_to_key(EPOLLIN));
	vqchar_queue_stop(tq->q);
	KUNIT_EXPECT_NULL(test, tq->q->worker);
	/* The worker has exited: nothing moves the ring any more. */
	chains = vqchar_tq_stats(tq).chains;
	msleep(50);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, chains);
	/* Freed by the exit handler while nothing can run. */
}

/* The worker joins the creator's cgroups, so it is a task of its own. */
static void vqchar_queue_in_kernel_device_has_worker_task(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_LOOPBACK, 0, 8);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, tq->q->worker);
	KUNIT_EXPECT_TRUE(test, tq->q->worker->flags & PF_KTHREAD);
}

/* An external queue's pool is never touched by the kernel (issue item 10). */
static void vqchar_queue_external_has_no_kernel_map_or_worker(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_EXTERNAL, 0, 256);
	KUNIT_EXPECT_NULL(test, tq->q->pool_mem.vaddr);
	KUNIT_EXPECT_NULL(test, tq->q->segs);
	KUNIT_EXPECT_NULL(test, tq->q->worker);
	KUNIT_EXPECT_NOT_NULL(test, tq->q->pool_mem.pages);
}

static struct vqchar_queue *vqchar_limit_alloc(unsigned long max_locked_pages)
{
	struct vqchar_queue_params p = {
		.num = 8,
		.device = VQCHAR_DEV_EXTERNAL,
		.buf_count = 4,
		.buf_size = PAGE_SIZE,
		.max_pool_bytes = 1 << 20,
		.max_locked_pages = max_locked_pages,
	};

	return vqchar_queue_alloc(&p);
}

/* One page of ring and four of pool: the module-wide limit counts both. */
static void vqchar_queue_module_limit_refuses_with_edquot(struct kunit *test)
{
	unsigned long limit = atomic_long_read(&vqchar_locked_pages) + 5;
	struct vqchar_queue *a, *b;

	a = vqchar_limit_alloc(limit);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	b = vqchar_limit_alloc(limit);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(b), -EDQUOT);
	if (!IS_ERR(b))
		vqchar_queue_put(b);
	vqchar_queue_put(a);
	/* Freeing gave the pages back. */
	b = vqchar_limit_alloc(limit);
	KUNIT_EXPECT_FALSE(test, IS_ERR(b));
	if (!IS_ERR(b))
		vqchar_queue_put(b);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vqchar_locked_pages), limit - 5);
}

/* A polling worker finds the ring dry and leaves kicks off for its poll. */
static void vqchar_dev_poll_keeps_kicks_off_when_dry(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	KUNIT_EXPECT_EQ(test, vqchar_tq_run_poll(tq, true), VQCHAR_RUN_DRY);
	KUNIT_EXPECT_EQ(test, vqchar_tq_stats(tq).chains, 1);
	KUNIT_EXPECT_FALSE(test, vq_drv_should_kick(&tq->q->vr, 0, 1, 2));
	/* Without polling the same dry ring turns kicks back on. */
	KUNIT_EXPECT_EQ(test, vqchar_tq_run_poll(tq, false), VQCHAR_RUN_IDLE);
	KUNIT_EXPECT_TRUE(test, vq_drv_should_kick(&tq->q->vr, 0, 1, 2));
}

/* A chain published before the poll is found on its first spin. */
static void vqchar_dev_poll_finds_published_chain(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	tq->q->poll_usecs = VQCHAR_POLL_USECS_LIMIT;
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	KUNIT_EXPECT_TRUE(test, vqchar_queue_poll(tq->q));
}

/* A dry ring is polled for the whole budget, then given up. */
static void vqchar_dev_poll_spends_its_budget(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u64 t0;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	tq->q->poll_usecs = 2000;
	t0 = local_clock();
	KUNIT_EXPECT_FALSE(test, vqchar_queue_poll(tq->q));
	KUNIT_EXPECT_GE(test, local_clock() - t0, 2000 * NSEC_PER_USEC);
}

/*
 * Stop and reset raise cancel: a polling worker gives up its budget at
 * once instead of spinning on.  The budget here (30 s) is far past what
 * any queue may have and the bound far below it, so a loop that missed
 * cancel fails the test instead of timing out the guest.
 */
static void vqchar_dev_poll_ends_at_cancel(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	u64 t0;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	tq->q->poll_usecs = 30 * USEC_PER_SEC;
	atomic_inc(&tq->q->cancel);
	t0 = local_clock();
	KUNIT_EXPECT_FALSE(test, vqchar_queue_poll(tq->q));
	KUNIT_EXPECT_LT(test, local_clock() - t0, 10 * NSEC_PER_SEC);
	atomic_dec(&tq->q->cancel);
}

/* STATUS follows the batches without the queue's lock. */
static void vqchar_queue_status_needs_no_queue_lock(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;
	struct vqchar_queue_status st;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_tq_desc(tq, 0, 0, 1, 0, 0);
	vqchar_tq_publish(tq, 0);
	vqchar_tq_run(tq);
	mutex_lock(&tq->q->lock);
	vqchar_queue_get_status(tq->q, &st);
	mutex_unlock(&tq->q->lock);
	KUNIT_EXPECT_EQ(test, st.last_avail_idx, 1);
	KUNIT_EXPECT_EQ(test, st.used_idx, 1);
}

/*
 * Destroy stops a queue while a reset through another reference may run:
 * the reset must not end the stop's cancel, or the worker would go on
 * with whole batches while destroy waits for it.
 */
static void vqchar_queue_reset_keeps_stop_cancel(struct kunit *test)
{
	struct vqchar_tq *tq = test->priv;

	vqchar_tq_create(test, VQCHAR_DEV_SINK, 0, 8);
	vqchar_queue_reset(tq->q);
	KUNIT_EXPECT_EQ(test, atomic_read(&tq->q->cancel), 0);
	vqchar_queue_stop(tq->q);
	vqchar_queue_reset(tq->q);
	KUNIT_EXPECT_NE(test, atomic_read(&tq->q->cancel), 0);
}

static void vqchar_queue_mmap_offset_round_trips(struct kunit *test)
{
	unsigned long first_page;
	u32 id, region;
	u64 off;

	off = vqchar_mmap_offset(VQCHAR_MAX_QUEUES - 1, VQCHAR_REGION_POOL) + 3 * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, vqchar_mmap_decode(off >> PAGE_SHIFT, &id, &region, &first_page),
			0);
	KUNIT_EXPECT_EQ(test, id, VQCHAR_MAX_QUEUES - 1);
	KUNIT_EXPECT_EQ(test, region, VQCHAR_REGION_POOL);
	KUNIT_EXPECT_EQ(test, first_page, 3);

	off = vqchar_mmap_offset(0, VQCHAR_REGION_RING);
	KUNIT_EXPECT_EQ(test, off, 0);
	KUNIT_ASSERT_EQ(test, vqchar_mmap_decode(0, &id, &region, &first_page), 0);
	KUNIT_EXPECT_EQ(test, id, 0);
	KUNIT_EXPECT_EQ(test, region, VQCHAR_REGION_RING);
	KUNIT_EXPECT_EQ(test, first_page, 0);
}

static void vqchar_queue_mmap_offset_fits_32bit_mmap2(struct kunit *test)
{
	u64 off = vqchar_mmap_offset(VQCHAR_MAX_QUEUES - 1, VQCHAR_REGION_POOL);

	/* The last page of the largest region of the last queue. */
	off += VQCHAR_MAX_REGION_BYTES - PAGE_SIZE;
	KUNIT_EXPECT_LE(test, off >> PAGE_SHIFT, (u64)U32_MAX);
}

static void vqchar_queue_mmap_decode_rejects_unknown_queue(struct kunit *test)
{
	unsigned long first_page;
	u32 id, region;
	u64 off = vqchar_mmap_offset(0, 0) + ((u64)VQCHAR_MAX_QUEUES << VQCHAR_MMAP_QUEUE_SHIFT);

	KUNIT_EXPECT_EQ(test, vqchar_mmap_decode(off >> PAGE_SHIFT, &id, &region, &first_page),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vqchar_mmap_decode(ULONG_MAX, &id, &region, &first_page),
			-EINVAL);
}

static void vqchar_queue_mem_alloc_rejects_bad_sizes(struct kunit *test)
{
	struct vqchar_mem m;

	KUNIT_EXPECT_EQ(test, vqchar_mem_alloc(&m, 0, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, vqchar_mem_alloc(&m, VQCHAR_MAX_REGION_BYTES + 1, true), -EINVAL);
	KUNIT_ASSERT_EQ(test, vqchar_mem_alloc(&m, PAGE_SIZE + 1, true), 0);
	KUNIT_EXPECT_EQ(test, m.nr_pages, 2);
	KUNIT_EXPECT_EQ(test, m.size, 2 * PAGE_SIZE);
	vqchar_mem_free(&m);
	KUNIT_EXPECT_NULL(test, m.pages);
}

/* A dying caller stops allocating and gets everything freed. */
static void vqchar_queue_mem_alloc_stops_on_fatal_signal(struct kunit *test)
{
	struct vqchar_mem m;
	int ret;

	/* KUnit runs each case in a kernel thread of its own. */
	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	KUNIT_ASSERT_TRUE(test, fatal_signal_pending(current));
	ret = vqchar_mem_alloc(&m, 16 * PAGE_SIZE, true);
	flush_signals(current);
	disallow_signal(SIGKILL);
	KUNIT_EXPECT_EQ(test, ret, -EINTR);
	KUNIT_EXPECT_NULL(test, m.pages);
	KUNIT_EXPECT_EQ(test, m.nr_pages, 0);
	if (!ret)
		vqchar_mem_free(&m);
}

static struct kunit_case vqchar_queue_cases[] = {
	KUNIT_CASE(vqchar_queue_create_rejects_non_power_of_two),
	KUNIT_CASE(vqchar_queue_create_rejects_unknown_device),
	KUNIT_CASE(vqchar_queue_create_rejects_unknown_features),
	KUNIT_CASE(vqchar_queue_create_rejects_empty_pool),
	KUNIT_CASE(vqchar_queue_create_rejects_pool_over_limit),
	KUNIT_CASE(vqchar_queue_create_accepts_pool_at_limit),
	KUNIT_CASE(vqchar_queue_regions_are_page_aligned_and_zero),
	KUNIT_CASE(vqchar_queue_info_describes_queue),
	KUNIT_CASE(vqchar_queue_bad_avail_idx_breaks_queue),
	KUNIT_CASE(vqchar_queue_bad_head_breaks_queue),
	KUNIT_CASE(vqchar_queue_bad_chain_breaks_queue),
	KUNIT_CASE(vqchar_queue_broken_queue_stays_stopped),
	KUNIT_CASE(vqchar_queue_reset_recovers_broken_queue),
	KUNIT_CASE(vqchar_queue_reset_zeroes_ring_and_indices),
	KUNIT_CASE(vqchar_queue_stop_waits_for_queued_work),
	KUNIT_CASE(vqchar_queue_in_kernel_device_has_worker_task),
	KUNIT_CASE(vqchar_queue_external_has_no_kernel_map_or_worker),
	KUNIT_CASE(vqchar_queue_module_limit_refuses_with_edquot),
	KUNIT_CASE(vqchar_queue_status_needs_no_queue_lock),
	KUNIT_CASE(vqchar_dev_poll_keeps_kicks_off_when_dry),
	KUNIT_CASE(vqchar_dev_poll_finds_published_chain),
	KUNIT_CASE(vqchar_dev_poll_spends_its_budget),
	KUNIT_CASE(vqchar_dev_poll_ends_at_cancel),
	KUNIT_CASE(vqchar_queue_reset_keeps_stop_cancel),
	KUNIT_CASE(vqchar_queue_mmap_offset_round_trips),
	KUNIT_CASE(vqchar_queue_mmap_offset_fits_32bit_mmap2),
	KUNIT_CASE(vqchar_queue_mmap_decode_rejects_unknown_queue),
	KUNIT_CASE(vqchar_queue_mem_alloc_rejects_bad_sizes),
	KUNIT_CASE(vqchar_queue_mem_alloc_stops_on_fatal_signal),
	{}
};

static struct kunit_suite vqchar_queue_suite = {
	.name = "vqchar_queue",
	.init = vqchar_tq_init,
	.exit = vqchar_tq_exit,
	.test_cases = vqchar_queue_cases,
};

kunit_test_suites(&vqchar_ring_suite, &vqchar_chain_suite, &vqchar_dev_suite,
		  &vqchar_queue_suite);

MODULE_DESCRIPTION("KUnit tests for vqchar");
MODULE_LICENSE("GPL");
