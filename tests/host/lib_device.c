// SPDX-License-Identifier: MIT
/*
 * libvqchar device side and ring features on the anonymous backend: chains
 * from a hostile driver are refused with the right VQCHAR_ERR_*, indirect
 * descriptors, and notification suppression in both directions.
 */
#include <poll.h>

#include "kselftest_harness.h"
#include "vq_split.h"
#include "vq_test.h"

static int fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void ring_of(struct vqchar_queue *q, struct vq_ring *r)
{
	struct vqchar_ring_offsets off;

	vqchar_queue_ring_offsets(q, &off);
	vq_ring_init(r, vqchar_queue_ring_base(q), vqchar_queue_num(q), &off);
}

/* A "ring" whose descriptor table is an indirect table in the pool. */
static void table_of(struct vqchar_queue *q, uint64_t addr, struct vq_ring *t)
{
	ring_of(q, t);
	t->desc = (struct vq_desc *)((uint8_t *)vqchar_queue_pool(q) + addr);
}

/*
 * A hostile driver writes the ring by hand.  num 8, pool of 16 x 64 bytes
 * (1024), indirect descriptors negotiated.
 */
FIXTURE(hostile) {
	struct vqchar_queue *q;
	struct vq_ring r;
	struct iovec iov[16];
	struct vqchar_dev_chain c;
};

FIXTURE_VARIANT(hostile) {
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(hostile, shared) {
	.flags = 0,
};

/* Single issuer: vqchar_dev_pop() checks lone descriptors inline. */
FIXTURE_VARIANT_ADD(hostile, single) {
	.flags = VQCHAR_PARAMS_SINGLE_ISSUER,
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, test_anon_flags(8, 16, 64, VQCHAR_F_INDIRECT_DESC, variant->flags, &self->q));
	ring_of(self->q, &self->r);
	memset(&self->c, 0xcc, sizeof(self->c));
}

FIXTURE_TEARDOWN(hostile)
{
	EXPECT_EQ(0, vqchar_queue_close(self->q));
}

static void publish_head(struct vq_ring *r, uint16_t head)
{
	vq_drv_avail_fill(r, 0, head);
	vq_drv_avail_publish(r, 1);
}

/* The pop fails with @err, and the queue stays broken. */
#define EXPECT_BROKEN(err, index) do { \
	uint32_t __idx = 0xcccccccc; \
	EXPECT_EQ(-EIO, vqchar_dev_pop(self->q, &self->c, self->iov, 16)); \
	EXPECT_EQ(err, vqchar_dev_error(self->q, &__idx)); \
	EXPECT_EQ(index, __idx); \
	EXPECT_EQ(1, fd_readable(vqchar_queue_err_fd(self->q))); \
	EXPECT_EQ(-EIO, vqchar_dev_pop(self->q, &self->c, self->iov, 16)); \
	EXPECT_EQ(-EIO, vqchar_dev_push(self->q, 0, 0)); \
	EXPECT_EQ(-EIO, vqchar_dev_wait(self->q, 0)); \
	/* The driver waiting for used chains learns it too. */ \
	EXPECT_EQ(-EIO, vqchar_wait_used(self->q, 1000)); \
} while (0)

TEST_F(hostile, valid_chain_accepted)
{
	vq_drv_desc_write(&self->r, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&self->r, 1, 64, 64, VQ_DESC_F_WRITE, 0);
	publish_head(&self->r, 0);
	ASSERT_EQ(1, vqchar_dev_pop(self->q, &self->c, self->iov, 16));
	EXPECT_EQ(0, self->c.head);
	EXPECT_EQ(1, self->c.nr_out);
	EXPECT_EQ(1, self->c.nr_in);
	EXPECT_EQ((uint8_t *)vqchar_queue_pool(self->q) + 64, (uint8_t *)self->iov[1].iov_base);
	EXPECT_EQ(VQCHAR_ERR_NONE, vqchar_dev_error(self->q, NULL));
	EXPECT_EQ(0, fd_readable(vqchar_queue_err_fd(self->q)));
	EXPECT_EQ(0, vqchar_dev_pop(self->q, &self->c, self->iov, 16));
}

TEST_F(hostile, chain_loop_refused)
{
	vq_drv_desc_write(&self->r, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&self->r, 1, 8, 8, VQ_DESC_F_NEXT, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_CHAIN_LOOP, 0);
}

TEST_F(hostile, self_loop_refused)
{
	vq_drv_desc_write(&self->r, 3, 0, 8, VQ_DESC_F_NEXT, 3);
	publish_head(&self->r, 3);
	EXPECT_BROKEN(VQCHAR_ERR_CHAIN_LOOP, 3);
}

TEST_F(hostile, next_outside_table_refused)
{
	vq_drv_desc_write(&self->r, 0, 0, 8, VQ_DESC_F_NEXT, 8);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_DESC_INDEX, 8);
}

TEST_F(hostile, head_outside_table_refused)
{
	publish_head(&self->r, 8);
	EXPECT_BROKEN(VQCHAR_ERR_HEAD_INDEX, 0);
}

TEST_F(hostile, avail_idx_ahead_refused)
{
	vq_drv_avail_publish(&self->r, 9);
	EXPECT_BROKEN(VQCHAR_ERR_AVAIL_IDX, 0);
}

TEST_F(hostile, buffer_outside_pool_refused)
{
	vq_drv_desc_write(&self->r, 2, 1020, 8, 0, 0);
	publish_head(&self->r, 2);
	EXPECT_BROKEN(VQCHAR_ERR_DESC_BOUNDS, 2);
}

TEST_F(hostile, buffer_address_wrapping_refused)
{
	vq_drv_desc_write(&self->r, 0, UINT64_MAX - 2, 8, 0, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_DESC_BOUNDS, 0);
}

TEST_F(hostile, readable_after_writable_refused)
{
	vq_drv_desc_write(&self->r, 0, 0, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&self->r, 1, 8, 8, 0, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_RW_ORDER, 1);
}

TEST_F(hostile, indirect_length_not_multiple_of_16_refused)
{
	vq_drv_desc_write(&self->r, 0, 512, 24, VQ_DESC_F_INDIRECT, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_INDIRECT_LEN, 0);
}

TEST_F(hostile, indirect_length_zero_refused)
{
	vq_drv_desc_write(&self->r, 0, 512, 0, VQ_DESC_F_INDIRECT, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_INDIRECT_LEN, 0);
}

TEST_F(hostile, indirect_table_outside_pool_refused)
{
	vq_drv_desc_write(&self->r, 0, 1008, 32, VQ_DESC_F_INDIRECT, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_INDIRECT_BOUNDS, 0);
}

TEST_F(hostile, nested_indirect_refused)
{
	struct vq_ring t;

	table_of(self->q, 512, &t);
	vq_drv_desc_write(&t, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&t, 1, 768, 16, VQ_DESC_F_INDIRECT, 0);
	vq_drv_desc_write(&self->r, 0, 512, 32, VQ_DESC_F_INDIRECT, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_INDIRECT_NESTED, 1);
}

TEST_F(hostile, indirect_with_next_refused)
{
	vq_drv_desc_write(&self->r, 0, 512, 32, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_INDIRECT_NEXT, 0);
}

TEST_F(hostile, loop_inside_indirect_table_refused)
{
	struct vq_ring t;

	table_of(self->q, 512, &t);
	vq_drv_desc_write(&t, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&t, 1, 8, 8, VQ_DESC_F_NEXT, 0);
	vq_drv_desc_write(&self->r, 0, 512, 32, VQ_DESC_F_INDIRECT, 0);
	publish_head(&self->r, 0);
	EXPECT_BROKEN(VQCHAR_ERR_CHAIN_LOOP, 0);
}

TEST_F(hostile, chain_longer_than_device_takes_refused)
{
	vq_drv_desc_write(&self->r, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&self->r, 1, 8, 8, VQ_DESC_F_NEXT, 2);
	vq_drv_desc_write(&self->r, 2, 16, 8, 0, 0);
	publish_head(&self->r, 0);
	EXPECT_EQ(-EIO, vqchar_dev_pop(self->q, &self->c, self->iov, 2));
	EXPECT_EQ(VQCHAR_ERR_CHAIN_TOO_LONG, vqchar_dev_error(self->q, NULL));
}

TEST_F(hostile, bad_device_call_args_refused)
{
	EXPECT_EQ(-EINVAL, vqchar_dev_pop(self->q, &self->c, self->iov, 0));
	EXPECT_EQ(-EINVAL, vqchar_dev_pop(self->q, NULL, self->iov, 16));
	EXPECT_EQ(-EINVAL, vqchar_dev_push(self->q, 8, 0));
	EXPECT_EQ(0, vqchar_dev_pop(self->q, &self->c, self->iov, 16));
	EXPECT_EQ(0, vqchar_dev_notify(self->q));	/* nothing pushed */
	EXPECT_EQ(VQCHAR_ERR_NONE, vqchar_dev_error(self->q, NULL));
}

TEST(indirect_without_feature_refused)
{
	struct vqchar_dev_chain c;
	struct iovec iov[4];
	struct vqchar_queue *q;
	struct vq_ring r;
	uint32_t idx;

	ASSERT_EQ(0, test_anon(8, 16, 64, 0, &q));
	ring_of(q, &r);
	vq_drv_desc_write(&r, 5, 512, 32, VQ_DESC_F_INDIRECT, 0);
	publish_head(&r, 5);
	EXPECT_EQ(-EIO, vqchar_dev_pop(q, &c, iov, 4));
	EXPECT_EQ(VQCHAR_ERR_INDIRECT_FEATURE, vqchar_dev_error(q, &idx));
	EXPECT_EQ(5, idx);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* ---- indirect descriptors offered by the library ---- */

/* num 4, 64 buffers of 256 bytes: an indirect table holds 16 entries. */
FIXTURE(ind) {
	struct vqchar_queue *q;
	struct vq_ring r;
};

FIXTURE_SETUP(ind)
{
	ASSERT_EQ(0, test_anon(4, 64, 256, VQCHAR_F_INDIRECT_DESC, &self->q));
	ring_of(self->q, &self->r);
}

FIXTURE_TEARDOWN(ind)
{
	EXPECT_EQ(0, vqchar_queue_close(self->q));
}

static uint16_t desc_flags(const struct vq_ring *r, unsigned int i)
{
	return le16toh(r->desc[i].flags);
}

TEST_F(ind, long_chain_goes_indirect)
{
	uint8_t data[10][10];
	struct iovec out[10], iov[32], got[16];
	struct vqchar_dev_chain c;
	uint32_t len;
	int heads[4], i, j;

	for (i = 0; i < 10; i++) {
		memset(data[i], 'a' + i, 10);
		out[i] = (struct iovec){ data[i], 10 };
	}
	/* 15 segments, one ring descriptor each: four fit in a 4-entry ring. */
	for (i = 0; i < 4; i++) {
		heads[i] = vqchar_offer(self->q, out, 10, 5, 0);
		ASSERT_LE(0, heads[i]);
		EXPECT_EQ(VQ_DESC_F_INDIRECT, desc_flags(&self->r, heads[i]));
		EXPECT_EQ(15 * 16, le32toh(self->r.desc[heads[i]].len));
	}
	EXPECT_EQ(-ENOSPC, vqchar_offer(self->q, out, 10, 5, 0));

	ASSERT_EQ(1, vqchar_dev_pop(self->q, &c, iov, 32));
	EXPECT_EQ(heads[0], c.head);
	ASSERT_EQ(10, c.nr_out);
	ASSERT_EQ(5, c.nr_in);
	EXPECT_EQ(100, c.out_bytes);
	EXPECT_EQ(5 * 256, c.in_bytes);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(10, iov[i].iov_len);
		for (j = 0; j < 10; j++)
			EXPECT_EQ('a' + i, ((uint8_t *)iov[i].iov_base)[j]);
	}
	len = test_loopback(&c, iov);
	EXPECT_EQ(100, len);
	ASSERT_EQ(0, vqchar_dev_push(self->q, c.head, len));
	ASSERT_EQ(heads[0], vqchar_take(self->q, &len));
	EXPECT_EQ(100, len);
	ASSERT_EQ(5, vqchar_chain_in(self->q, heads[0], got, 16));
	EXPECT_EQ(100, got[0].iov_len);
	EXPECT_EQ(0, got[1].iov_len);
	EXPECT_EQ(0, memcmp(got[0].iov_base, data, 100));
	ASSERT_EQ(10, vqchar_chain_out(self->q, heads[0], got, 16));
	EXPECT_EQ(0, vqchar_free(self->q, heads[0]));
	EXPECT_LE(0, vqchar_offer(self->q, out, 10, 5, 0));
}

TEST_F(ind, short_chain_stays_direct)
{
	int head = vqchar_offer(self->q, NULL, 0, 2, 0);

	ASSERT_LE(0, head);
	EXPECT_EQ(VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, desc_flags(&self->r, head));
}

TEST_F(ind, forced_indirect_for_one_segment)
{
	struct vqchar_dev_chain c;
	struct iovec iov[4];
	int head = vqchar_offer(self->q, NULL, 0, 1, VQCHAR_OFFER_INDIRECT);

	ASSERT_LE(0, head);
	EXPECT_EQ(VQ_DESC_F_INDIRECT, desc_flags(&self->r, head));
	ASSERT_EQ(1, vqchar_dev_pop(self->q, &c, iov, 4));
	EXPECT_EQ(1, c.nr_in);
}

TEST_F(ind, short_of_descriptors_goes_indirect)
{
	int head;

	ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 2, 0));	/* 2 of 4 left */
	head = vqchar_offer(self->q, NULL, 0, 3, 0);
	ASSERT_LE(0, head);
	EXPECT_EQ(VQ_DESC_F_INDIRECT, desc_flags(&self->r, head));
}

TEST_F(ind, no_indirect_flag_keeps_long_chain_out)
{
	EXPECT_EQ(-E2BIG, vqchar_offer(self->q, NULL, 0, 5, VQCHAR_OFFER_NO_INDIRECT));
}

TEST_F(ind, chain_longer_than_one_table_is_e2big)
{
	EXPECT_EQ(-E2BIG, vqchar_offer(self->q, NULL, 0, 17, 0));
	EXPECT_EQ(-E2BIG, vqchar_offer(self->q, NULL, 0, 17, VQCHAR_OFFER_INDIRECT));
}

/* ---- notification suppression ---- */

FIXTURE(notify) {
	struct vqchar_queue *q;
	int call, kick;
};

FIXTURE_VARIANT(notify) {
	uint64_t features;
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(notify, flags) {
	.features = 0,
};

FIXTURE_VARIANT_ADD(notify, event_idx) {
	.features = VQCHAR_F_EVENT_IDX,
};

/* Single issuer: kick and notify decide inline. */
FIXTURE_VARIANT_ADD(notify, single_flags) {
	.features = 0,
	.flags = VQCHAR_PARAMS_SINGLE_ISSUER,
};

FIXTURE_VARIANT_ADD(notify, single_event_idx) {
	.features = VQCHAR_F_EVENT_IDX,
	.flags = VQCHAR_PARAMS_SINGLE_ISSUER,
};

FIXTURE_SETUP(notify)
{
	ASSERT_EQ(0, test_anon_flags(64, 128, 64, variant->features, variant->flags, &self->q));
	self->call = vqchar_queue_call_fd(self->q);
	self->kick = vqchar_queue_kick_fd(self->q);
}

FIXTURE_TEARDOWN(notify)
{
	EXPECT_EQ(0, vqchar_queue_close(self->q));
}

static uint64_t drain(int fd)
{
	uint64_t v = 0;

	if (fd_readable(fd) && read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Device: pop and push @n chains, then notify. */
static int complete_n(struct vqchar_queue *q, int n)
{
	struct iovec iov[8];
	struct vqchar_dev_chain c;
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = vqchar_dev_pop(q, &c, iov, 8);
		if (ret != 1)
			return ret < 0 ? ret : -ENODATA;
		ret = vqchar_dev_push(q, c.head, 0);
		if (ret)
			return ret;
	}
	return vqchar_dev_notify(q);
}

static int take_free_all(struct vqchar_queue *q)
{
	struct vqchar_used u[64];
	int n = vqchar_take_batch(q, u, 64), i;

	for (i = 0; i < n; i++)
		if (vqchar_free(q, u[i].head))
			return -EINVAL;
	return n;
}

TEST_F(notify, calls_follow_driver_suppression)
{
	int i;

	for (i = 0; i < 8; i++)
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	if (!(variant->features & VQCHAR_F_EVENT_IDX)) {
		/* VQ_AVAIL_F_NO_INTERRUPT while disabled. */
		EXPECT_EQ(0, vqchar_disable_calls(self->q));
		EXPECT_EQ(0, complete_n(self->q, 1));
		EXPECT_EQ(0, drain(self->call));
		EXPECT_EQ(1, vqchar_enable_calls(self->q));	/* one already there */
		EXPECT_EQ(1, complete_n(self->q, 1));
		EXPECT_EQ(1, drain(self->call));
		return;
	}
	/* used_event: a call when the device passes the driver's last_used. */
	EXPECT_EQ(0, vqchar_enable_calls(self->q));
	EXPECT_EQ(1, complete_n(self->q, 1));
	EXPECT_EQ(1, drain(self->call));
	EXPECT_EQ(1, take_free_all(self->q));	/* used_event -> 1 */
	EXPECT_EQ(0, vqchar_disable_calls(self->q));
	EXPECT_EQ(1, complete_n(self->q, 2));	/* crosses 1: the one more call */
	EXPECT_EQ(2, take_free_all(self->q));	/* disabled: used_event stays 1 */
	EXPECT_EQ(0, complete_n(self->q, 1));
	EXPECT_EQ(0, drain(self->call) > 1);
	EXPECT_EQ(1, vqchar_enable_calls(self->q));	/* used_event -> 3, 1 pending */
	EXPECT_EQ(1, take_free_all(self->q));
	EXPECT_EQ(1, complete_n(self->q, 3));
}

TEST_F(notify, kicks_follow_device_suppression)
{
	struct vqchar_stats st;

	if (!(variant->features & VQCHAR_F_EVENT_IDX)) {
		/* VQ_USED_F_NO_NOTIFY while the device is busy. */
		EXPECT_EQ(0, vqchar_dev_disable_kicks(self->q));
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
		EXPECT_EQ(0, drain(self->kick));
		EXPECT_EQ(1, vqchar_dev_enable_kicks(self->q));
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
		EXPECT_EQ(1, drain(self->kick));
	} else {
		/* avail_event 0: a kick for entry 0, none after until moved. */
		EXPECT_EQ(0, vqchar_dev_enable_kicks(self->q));
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
		EXPECT_EQ(1, drain(self->kick));
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
		EXPECT_EQ(0, drain(self->kick));
		EXPECT_EQ(0, complete_n(self->q, 2) < 0);
		EXPECT_EQ(0, vqchar_dev_enable_kicks(self->q));	/* avail_event -> 2 */
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
		EXPECT_EQ(1, drain(self->kick));
	}
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	EXPECT_EQ(1, st.kicks_suppressed);
}

/*
 * A busy queue: batches of 32 chains, one kick decision per batch, one
 * notify per device drain.  Far fewer kicks and calls than chains.
 */
TEST_F_TIMEOUT(notify, busy_queue_needs_few_kicks_and_calls, 600)
{
	const unsigned int total = test_slow() ? 4096 : 32768, batch = 32;
	struct vqchar_chain_req reqs[32];
	unsigned int heads[32], sent = 0, done = 0;
	char payload[16] = "payload";
	struct iovec out = { payload, sizeof(payload) };
	struct vqchar_stats st;
	struct test_dev d;
	unsigned int i;
	int ret;

	for (i = 0; i < batch; i++)
		reqs[i] = (struct vqchar_chain_req){ &out, 1, 1 };
	ASSERT_EQ(0, test_dev_start(&d, self->q, NULL));
	while (done < total) {
		if (sent < total) {
			ret = vqchar_offer_batch(self->q, reqs, batch, heads, VQCHAR_OFFER_WAIT);
			ASSERT_EQ(batch, ret);
			sent += batch;
		}
		while (done < sent) {
			ret = vqchar_wait_used(self->q, 5000);
			ASSERT_LT(0, ret) TH_LOG("done %u: %d", done, ret);
			ret = take_free_all(self->q);
			ASSERT_LE(0, ret);
			done += (unsigned int)ret;
		}
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	TH_LOG("%s: %u chains, %llu kicks (%llu suppressed), %llu calls (%llu suppressed), %lu device batches",
	       variant->features ? "event_idx" : "flags", total,
	       (unsigned long long)st.kicks, (unsigned long long)st.kicks_suppressed,
	       (unsigned long long)st.dev_calls, (unsigned long long)st.dev_calls_suppressed,
	       atomic_load(&d.batches));
	EXPECT_EQ(total, st.offered);
	EXPECT_EQ(total, st.taken);
	EXPECT_EQ(total, st.dev_popped);
	EXPECT_GE(total / batch, st.kicks);
	EXPECT_GT(total / 8, st.dev_calls);
}

TEST_HARNESS_MAIN
