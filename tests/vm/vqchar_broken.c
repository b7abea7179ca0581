// SPDX-License-Identifier: GPL-2.0
/*
 * Broken rings: each way a driver can corrupt the split ring makes an
 * in-kernel device mark the queue broken with the matching VQCHAR_ERR_*,
 * signal the err eventfd and stop; RESET_QUEUE brings it back.
 */
#include "vq_test.h"

#define NUM		8
#define BUF_COUNT	8
#define BUF_SIZE	256
#define NO_INDEX	0xffffffffU	/* error_index not checked */

FIXTURE(broken)
{
	int fd;
	struct vqt_queue q;
	struct vq_desc *pool_desc;	/* the pool seen as a descriptor table */
};

FIXTURE_VARIANT(broken)
{
	uint32_t device;
	uint64_t features;
};

FIXTURE_VARIANT_ADD(broken, loopback) {
	.device = VQCHAR_DEV_LOOPBACK, .features = VQCHAR_F_INDIRECT_DESC };
/*
 * The chain walk is shared by every device; two variants cover both
 * directions and both feature sets (sink goes through the same walk).
 */
FIXTURE_VARIANT_ADD(broken, source_event_idx) {
	.device = VQCHAR_DEV_SOURCE, .features = VQCHAR_F_ALL };

FIXTURE_SETUP(broken)
{
	self->fd = vqt_open();
	if (self->fd == -ENOENT || self->fd == -ENODEV || self->fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &self->q, NUM, variant->device,
				      variant->features, BUF_COUNT, BUF_SIZE));
	self->pool_desc = (struct vq_desc *)self->q.pool;
}

FIXTURE_TEARDOWN(broken)
{
	if (self->fd < 0)
		return;
	vqt_queue_destroy(&self->q);
	close(self->fd);
}

/* A chain the variant's device accepts, using descriptors @d, @d + 1. */
static uint16_t good_chain(struct vqt_queue *q, uint16_t d)
{
	switch (q->device) {
	case VQCHAR_DEV_LOOPBACK:
		vq_drv_desc_write(&q->r, d, 4 * BUF_SIZE, 16, VQ_DESC_F_NEXT, d + 1);
		vq_drv_desc_write(&q->r, d + 1, 5 * BUF_SIZE, BUF_SIZE, VQ_DESC_F_WRITE, 0);
		break;
	case VQCHAR_DEV_SINK:
		vq_drv_desc_write(&q->r, d, 4 * BUF_SIZE, 16, 0, 0);
		break;
	default:
		vq_drv_desc_write(&q->r, d, 5 * BUF_SIZE, 16, VQ_DESC_F_WRITE, 0);
		break;
	}
	return d;
}

static uint32_t good_len(struct vqt_queue *q)
{
	return q->device == VQCHAR_DEV_SINK ? 0 : 16;
}

/* Make @head available (plus what is already filled), kick. */
static void submit(struct __test_metadata *_metadata, struct vqt_queue *q, uint16_t head)
{
	vq_drv_avail_fill(&q->r, q->avail_idx++, head);
	ASSERT_EQ(0, vqt_publish_kick(q));
}

/* After a reset the ring is zero and both sides restart from index 0. */
static void check_reset(struct __test_metadata *_metadata, FIXTURE_DATA(broken) *self)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;
	uint32_t id, len, i;
	const uint8_t *ring = q->ring_map;

	ASSERT_EQ(0, vqt_reset(self->fd, q->id));
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_EQ(VQCHAR_ERR_NONE, st.error);
	EXPECT_EQ(0, st.last_avail_idx);
	EXPECT_EQ(0, st.used_idx);
	for (i = 0; i < q->cr.ring_off.ring_bytes; i++)
		ASSERT_EQ(0, ring[i]) TH_LOG("ring byte %u not zeroed by reset", i);
	q->avail_idx = 0;
	q->last_used = 0;
	/* The err eventfd is drained; a good chain now completes. */
	vqt_wait_eventfd(q->err, 0);
	submit(_metadata, q, good_chain(q, 2));
	ASSERT_EQ(1, vqt_wait_used(q, 1));
	vq_drv_used_read(&q->r, 0, &id, &len);
	EXPECT_EQ(2, id);
	EXPECT_EQ(good_len(q), len);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_EQ(1, st.used_idx);
	if (q->device == VQCHAR_DEV_SOURCE) {
		/* The chain counter restarted too. */
		EXPECT_EQ(VQCHAR_SOURCE_BYTE(0, 0), q->pool[5 * BUF_SIZE]);
		EXPECT_EQ(VQCHAR_SOURCE_BYTE(0, 15), q->pool[5 * BUF_SIZE + 15]);
	}
}

/*
 * Kick what the test wrote, then expect the queue broken with @err at
 * @index, @used entries completed before it; then reset and recover.
 */
static void expect_broken(struct __test_metadata *_metadata, FIXTURE_DATA(broken) *self,
			  uint32_t err, uint32_t index, uint16_t used)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;
	struct vqchar_queue_stats s;
	uint64_t deadline;

	ASSERT_EQ(0, vqt_publish_kick(q));
	ASSERT_LT(0, vqt_wait_eventfd(q->err, VQT_TIMEOUT_MS))
		TH_LOG("err eventfd not signalled for VQCHAR_ERR %u", err);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(VQCHAR_STATUS_BROKEN, st.status);
	EXPECT_EQ(err, st.error);
	if (index != NO_INDEX)
		EXPECT_EQ(index, st.error_index);
	EXPECT_EQ(used, st.used_idx);
	EXPECT_EQ(used, le16_to_cpu(*q->r.used_idx));
	deadline = vqt_now_ms() + 1000;
	do {
		ASSERT_EQ(0, vqt_stats(self->fd, q->id, &s));
	} while (!s.errors && vqt_now_ms() < deadline);
	EXPECT_EQ(1, s.errors);
	EXPECT_EQ(used, s.chains);

	/* Broken stays broken: more kicks do nothing, the error stays. */
	ASSERT_EQ(0, vqt_signal(q->kick));
	vqt_sleep_ms(50);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(VQCHAR_STATUS_BROKEN, st.status);
	EXPECT_EQ(err, st.error);
	EXPECT_EQ(used, st.used_idx);

	check_reset(_metadata, self);
}

TEST_F(broken, avail_idx_ahead)
{
	struct vqt_queue *q = &self->q;

	good_chain(q, 0);
	q->avail_idx = NUM + 1;
	expect_broken(_metadata, self, VQCHAR_ERR_AVAIL_IDX, NO_INDEX, 0);
}

TEST_F(broken, avail_idx_backwards)
{
	struct vqt_queue *q = &self->q;

	q->avail_idx = (uint16_t)-1;	/* 65535 chains "ahead" of 0 */
	expect_broken(_metadata, self, VQCHAR_ERR_AVAIL_IDX, NO_INDEX, 0);
}

TEST_F(broken, head_index_num)
{
	vq_drv_avail_fill(&self->q.r, self->q.avail_idx++, NUM);
	expect_broken(_metadata, self, VQCHAR_ERR_HEAD_INDEX, NO_INDEX, 0);
}

TEST_F(broken, head_index_max)
{
	vq_drv_avail_fill(&self->q.r, self->q.avail_idx++, 0xffff);
	expect_broken(_metadata, self, VQCHAR_ERR_HEAD_INDEX, NO_INDEX, 0);
}

TEST_F(broken, desc_next_out_of_table)
{
	struct vqt_queue *q = &self->q;

	vq_drv_desc_write(&q->r, 0, 0, 16, VQ_DESC_F_NEXT, NUM);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_INDEX, NUM, 0);
}

TEST_F(broken, chain_self_loop)
{
	struct vqt_queue *q = &self->q;

	vq_drv_desc_write(&q->r, 3, 0, 16, VQ_DESC_F_NEXT, 3);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 3);
	expect_broken(_metadata, self, VQCHAR_ERR_CHAIN_LOOP, NO_INDEX, 0);
}

TEST_F(broken, chain_loop)
{
	struct vqt_queue *q = &self->q;
	uint16_t i;

	/* 0 -> 1 -> ... -> 7 -> 0 */
	for (i = 0; i < NUM; i++)
		vq_drv_desc_write(&q->r, i, 0, 1, VQ_DESC_F_NEXT, (i + 1) % NUM);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_CHAIN_LOOP, NO_INDEX, 0);
}

TEST_F(broken, desc_addr_past_pool)
{
	struct vqt_queue *q = &self->q;

	vq_drv_desc_write(&q->r, 0, q->cr.pool.length, 1,
			  q->device == VQCHAR_DEV_SOURCE ? VQ_DESC_F_WRITE : 0, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_BOUNDS, 0, 0);
}

TEST_F(broken, desc_len_past_pool)
{
	struct vqt_queue *q = &self->q;

	vq_drv_desc_write(&q->r, 0, 0, q->cr.pool.length + 1,
			  q->device == VQCHAR_DEV_SOURCE ? VQ_DESC_F_WRITE : 0, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_BOUNDS, 0, 0);
}

TEST_F(broken, desc_addr_len_overflow)
{
	struct vqt_queue *q = &self->q;

	vq_drv_desc_write(&q->r, 0, 0xffffffffffffff00ULL, 0x200,
			  q->device == VQCHAR_DEV_SOURCE ? VQ_DESC_F_WRITE : 0, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_BOUNDS, 0, 0);
}

TEST_F(broken, desc_bounds_second_segment)
{
	struct vqt_queue *q = &self->q;
	uint16_t w = q->device == VQCHAR_DEV_SOURCE ? VQ_DESC_F_WRITE : 0;

	vq_drv_desc_write(&q->r, 4, 0, 16, w | VQ_DESC_F_NEXT, 6);
	vq_drv_desc_write(&q->r, 6, q->cr.pool.length - 8, 16, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 4);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_BOUNDS, 6, 0);
}

TEST_F(broken, readable_after_writable)
{
	struct vqt_queue *q = &self->q;

	vq_drv_desc_write(&q->r, 0, 0, 16, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 5);
	vq_drv_desc_write(&q->r, 5, BUF_SIZE, 16, 0, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_RW_ORDER, 5, 0);
}

TEST_F(broken, good_chains_then_bad)
{
	struct vqt_queue *q = &self->q;

	vq_drv_avail_fill(&q->r, q->avail_idx++, good_chain(q, 0));
	vq_drv_avail_fill(&q->r, q->avail_idx++, good_chain(q, 2));
	vq_drv_desc_write(&q->r, 7, 0, 16, VQ_DESC_F_NEXT, 0x100);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 7);
	vq_drv_avail_fill(&q->r, q->avail_idx++, good_chain(q, 4));
	/* The two good chains before the bad one complete; nothing after. */
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_INDEX, 0x100, 2);
}

TEST_F(broken, bad_chain_in_second_batch)
{
	struct vqt_queue *q = &self->q;
	uint32_t id, len;

	submit(_metadata, q, good_chain(q, 0));
	ASSERT_EQ(1, vqt_wait_used(q, 1));
	vq_drv_used_read(&q->r, q->last_used++, &id, &len);
	vq_drv_avail_fill(&q->r, q->avail_idx++, NUM + 3);
	expect_broken(_metadata, self, VQCHAR_ERR_HEAD_INDEX, NO_INDEX, 1);
}

/* ---- indirect ---- */

static void indirect_head(struct vqt_queue *q, uint64_t addr, uint32_t len, uint16_t flags)
{
	vq_drv_desc_write(&q->r, 1, addr, len, VQ_DESC_F_INDIRECT | flags, 2);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 1);
}

/* Entry @i of an indirect table at the start of the pool. */
static void tbl(FIXTURE_DATA(broken) *self, uint16_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	self->pool_desc[i] = (struct vq_desc){ cpu_to_le64(addr), cpu_to_le32(len),
					       cpu_to_le16(flags), cpu_to_le16(next) };
}

TEST_F(broken, indirect_len_zero)
{
	indirect_head(&self->q, 0, 0, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_LEN, 1, 0);
}

TEST_F(broken, indirect_len_not_multiple)
{
	tbl(self, 0, BUF_SIZE, 8, VQ_DESC_F_WRITE, 0);
	indirect_head(&self->q, 0, 17, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_LEN, 1, 0);
}

TEST_F(broken, indirect_table_past_pool)
{
	indirect_head(&self->q, self->q.cr.pool.length - 16, 32, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_BOUNDS, 1, 0);
}

TEST_F(broken, indirect_table_addr_overflow)
{
	indirect_head(&self->q, 0xfffffffffffffff0ULL, 32, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_BOUNDS, 1, 0);
}

TEST_F(broken, indirect_nested)
{
	tbl(self, 0, 64, 16, VQ_DESC_F_INDIRECT, 0);
	indirect_head(&self->q, 0, 32, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_NESTED, 0, 0);
}

TEST_F(broken, indirect_with_next)
{
	tbl(self, 0, BUF_SIZE, 8, VQ_DESC_F_WRITE, 0);
	indirect_head(&self->q, 0, 16, VQ_DESC_F_NEXT);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_NEXT, 1, 0);
}

TEST_F(broken, indirect_entry_loop)
{
	tbl(self, 0, BUF_SIZE, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	tbl(self, 1, BUF_SIZE, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 0);
	indirect_head(&self->q, 0, 32, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_CHAIN_LOOP, NO_INDEX, 0);
}

TEST_F(broken, indirect_next_out_of_table)
{
	tbl(self, 0, BUF_SIZE, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 2);
	tbl(self, 1, BUF_SIZE, 8, VQ_DESC_F_WRITE, 0);
	indirect_head(&self->q, 0, 32, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_INDEX, 2, 0);
}

TEST_F(broken, indirect_entry_past_pool)
{
	tbl(self, 0, self->q.cr.pool.length, 8, VQ_DESC_F_WRITE, 0);
	indirect_head(&self->q, 0, 16, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_DESC_BOUNDS, 0, 0);
}

TEST_F(broken, indirect_readable_after_writable)
{
	tbl(self, 0, BUF_SIZE, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	tbl(self, 1, BUF_SIZE, 8, 0, 0);
	indirect_head(&self->q, 0, 32, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_RW_ORDER, 1, 0);
}

TEST_F(broken, indirect_not_negotiated)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;

	/* A second queue without VQCHAR_F_INDIRECT_DESC. */
	vqt_queue_unmap(q);
	vqt_queue_close_fds(q);
	ASSERT_EQ(0, vqt_destroy(self->fd, q->id));
	ASSERT_EQ(0, vqt_queue_create(self->fd, q, NUM, variant->device,
				      variant->features & ~VQCHAR_F_INDIRECT_DESC,
				      BUF_COUNT, BUF_SIZE));
	self->pool_desc = (struct vq_desc *)q->pool;
	tbl(self, 0, BUF_SIZE, 8, VQ_DESC_F_WRITE, 0);
	indirect_head(q, 0, 16, 0);
	expect_broken(_metadata, self, VQCHAR_ERR_INDIRECT_FEATURE, 1, 0);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
}

TEST_F(broken, chain_too_long)
{
	struct vqt_queue *q = &self->q;
	const uint32_t entries = 4096;	/* far more than any device takes */
	uint32_t i;

	/* Needs a 64 KiB table plus a little data: a bigger pool. */
	vqt_queue_unmap(q);
	vqt_queue_close_fds(q);
	ASSERT_EQ(0, vqt_destroy(self->fd, q->id));
	ASSERT_EQ(0, vqt_queue_create(self->fd, q, NUM, variant->device, variant->features,
				      24, 4096));
	self->pool_desc = (struct vq_desc *)q->pool;
	for (i = 0; i < entries; i++)
		tbl(self, i, 80 * 1024, 1,
		    (q->device == VQCHAR_DEV_SINK ? 0 : VQ_DESC_F_WRITE) |
		    (i + 1 < entries ? VQ_DESC_F_NEXT : 0), i + 1);
	if (q->device == VQCHAR_DEV_LOOPBACK)
		tbl(self, 0, 80 * 1024, 1, VQ_DESC_F_NEXT, 1);
	indirect_head(q, 0, entries * sizeof(struct vq_desc), 0);
	expect_broken(_metadata, self, VQCHAR_ERR_CHAIN_TOO_LONG, NO_INDEX, 0);
}

/* ---- around the error ---- */

TEST_F(broken, err_fd_none)
{
	struct vqt_queue q2;
	struct vqchar_queue_create c;
	struct vqchar_queue_status st;
	uint64_t deadline;
	int kick = vqt_eventfd();

	ASSERT_LE(0, kick);
	vqt_create_args(&c, 4, variant->device, variant->features, 1, 64, kick, -1, -1);
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	memset(&q2, 0, sizeof(q2));
	q2.fd = self->fd;
	q2.cr = c;
	q2.id = c.queue_id;
	q2.num = 4;
	q2.kick = kick;
	q2.call = q2.err = -1;
	ASSERT_EQ(0, vqt_queue_map(&q2));
	vq_drv_avail_fill(&q2.r, q2.avail_idx++, 4);
	ASSERT_EQ(0, vqt_publish_kick(&q2));
	deadline = vqt_now_ms() + VQT_TIMEOUT_MS;
	do {
		ASSERT_EQ(0, vqt_status(self->fd, q2.id, &st));
		if (st.status)
			break;
		vqt_sleep_ms(5);
	} while (vqt_now_ms() < deadline);
	EXPECT_EQ(VQCHAR_STATUS_BROKEN, st.status);
	EXPECT_EQ(VQCHAR_ERR_HEAD_INDEX, st.error);
	vqt_queue_destroy(&q2);
}

TEST_F(broken, other_queue_unaffected)
{
	struct vqt_queue *q = &self->q;
	struct vqt_queue q2;
	struct vqchar_queue_status st;
	uint32_t id, len;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q2, NUM, variant->device, variant->features,
				      BUF_COUNT, BUF_SIZE));
	vq_drv_avail_fill(&q->r, q->avail_idx++, NUM);
	ASSERT_EQ(0, vqt_publish_kick(q));
	ASSERT_LT(0, vqt_wait_eventfd(q->err, VQT_TIMEOUT_MS));
	submit(_metadata, &q2, good_chain(&q2, 0));
	ASSERT_EQ(1, vqt_wait_used(&q2, 1));
	vq_drv_used_read(&q2.r, 0, &id, &len);
	EXPECT_EQ(0, id);
	EXPECT_EQ(good_len(&q2), len);
	ASSERT_EQ(0, vqt_status(self->fd, q2.id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_FALSE(vqt_readable(q2.err, 0));
	vqt_queue_destroy(&q2);
}

TEST_F(broken, reset_mid_stream)
{
	struct vqt_queue *q = &self->q;
	uint32_t id, len;
	int i;

	/* A healthy queue with history resets to index 0 as well. */
	for (i = 0; i < 20; i++) {
		submit(_metadata, q, good_chain(q, 0));
		ASSERT_EQ(1, vqt_wait_used(q, 1));
		vq_drv_used_read(&q->r, q->last_used++, &id, &len);
	}
	check_reset(_metadata, self);
}

TEST_F(broken, destroy_broken_queue)
{
	struct vqt_queue *q = &self->q;

	vq_drv_avail_fill(&q->r, q->avail_idx++, NUM);
	ASSERT_EQ(0, vqt_publish_kick(q));
	ASSERT_LT(0, vqt_wait_eventfd(q->err, VQT_TIMEOUT_MS));
	/* Teardown destroys it. */
}

TEST_F(broken, rewrite_ring_after_kick)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;
	int i;

	/*
	 * The driver scribbles over the descriptor while the device may be
	 * reading it: either outcome (done, or broken) is fine, a crash or a
	 * hang is not.
	 */
	for (i = 0; i < 200; i++) {
		uint64_t deadline = vqt_now_ms() + VQT_TIMEOUT_MS;

		/* Never more than the ring holds outstanding. */
		while ((uint16_t)(q->avail_idx - le16_to_cpu(READ_ONCE(*q->r.used_idx))) >= NUM &&
		       !vqt_readable(q->err, 0) && vqt_now_ms() < deadline)
			vqt_sleep_ms(1);
		if (vqt_readable(q->err, 0))
			break;
		submit(_metadata, q, good_chain(q, 0));
		vq_drv_desc_write(&q->r, 0, 0xffffffff00ULL, 0xffffffff,
				  VQ_DESC_F_NEXT | VQ_DESC_F_INDIRECT, 0xffff);
	}
	vqt_sleep_ms(100);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	TH_LOG("status %u error %u used %u", st.status, st.error, st.used_idx);
	check_reset(_metadata, self);
}

TEST_HARNESS_MAIN
