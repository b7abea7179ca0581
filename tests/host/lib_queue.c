// SPDX-License-Identifier: MIT
/*
 * libvqchar driver side on the anonymous backend: offer, take, wait, free,
 * full queues, blocking offers, concurrency, 16-bit index wrap, zero copy.
 * The device is played in the same thread (vqchar_dev_*) or by a thread
 * from vq_test.h.
 */
#include <poll.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vq_split.h"
#include "vq_test.h"

FIXTURE(q) {
	struct vqchar_queue *q;
};

FIXTURE_VARIANT(q) {
	uint64_t features;
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(q, plain) {
	.features = 0,
};

FIXTURE_VARIANT_ADD(q, event_idx) {
	.features = VQCHAR_F_EVENT_IDX,
};

/* Single issuer: the inline calls of vqchar.h run the hot path. */
FIXTURE_VARIANT_ADD(q, single) {
	.features = 0,
	.flags = VQCHAR_PARAMS_SINGLE_ISSUER,
};

FIXTURE_VARIANT_ADD(q, single_event_idx) {
	.features = VQCHAR_F_EVENT_IDX,
	.flags = VQCHAR_PARAMS_SINGLE_ISSUER,
};

/* num 8, 32 buffers of 64 bytes. */
FIXTURE_SETUP(q)
{
	ASSERT_EQ(0, test_anon_flags(8, 32, 64, variant->features, variant->flags, &self->q));
}

/* Tests with two driver threads are not for single-issuer queues. */
#define SKIP_IF_SINGLE()							\
	do {									\
		if (variant->flags & VQCHAR_PARAMS_SINGLE_ISSUER)		\
			SKIP(return, "two driver threads on a single-issuer queue"); \
	} while (0)

FIXTURE_TEARDOWN(q)
{
	EXPECT_EQ(0, vqchar_queue_close(self->q));
}

static int fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static uint64_t fd_read(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Play the device once: pop one chain, push it with @len. */
static int dev_complete(struct vqchar_queue *q, uint32_t len)
{
	struct iovec iov[TEST_MAX_IOV];
	struct vqchar_dev_chain c;
	int ret = vqchar_dev_pop(q, &c, iov, TEST_MAX_IOV);

	if (ret != 1)
		return ret < 0 ? ret : -ENODATA;
	ret = vqchar_dev_push(q, c.head, len);
	return ret ? ret : (int)c.head;
}

TEST_F(q, offer_copies_out_data_and_adds_in_buffers)
{
	char msg[] = "hello world";
	struct iovec out = { msg, 11 }, iov[8];
	struct vqchar_dev_chain c;
	uint8_t *pool = vqchar_queue_pool(self->q);
	int head;

	head = vqchar_offer(self->q, &out, 1, 2, 0);
	ASSERT_LE(0, head);
	ASSERT_GT(8, head);
	EXPECT_EQ(1, fd_readable(vqchar_queue_kick_fd(self->q)));
	EXPECT_EQ(1, vqchar_dev_avail_pending(self->q));

	memset(&c, 0xcc, sizeof(c));
	ASSERT_EQ(1, vqchar_dev_pop(self->q, &c, iov, 8));
	EXPECT_EQ(head, c.head);
	EXPECT_EQ(1, c.nr_out);
	EXPECT_EQ(2, c.nr_in);
	EXPECT_EQ(0, c.pad);
	EXPECT_EQ(11, c.out_bytes);
	EXPECT_EQ(128, c.in_bytes);
	EXPECT_EQ(11, iov[0].iov_len);
	EXPECT_EQ(0, memcmp(iov[0].iov_base, msg, 11));
	EXPECT_NE((void *)msg, iov[0].iov_base);	/* copied into the pool */
	EXPECT_TRUE((uint8_t *)iov[0].iov_base >= pool &&
		    (uint8_t *)iov[0].iov_base < pool + 32 * 64);
	EXPECT_EQ(64, iov[1].iov_len);
	EXPECT_EQ(64, iov[2].iov_len);
	EXPECT_EQ(0, vqchar_dev_avail_pending(self->q));
}

TEST_F(q, long_out_data_split_across_buffers)
{
	uint8_t a[200], b[10];
	struct iovec out[3] = { { a, 200 }, { b, 0 }, { b, 10 } }, iov[8], got[8];
	struct vqchar_dev_chain c;
	unsigned int i;
	int head;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	memset(b, 0xee, sizeof(b));
	head = vqchar_offer(self->q, out, 3, 1, 0);
	ASSERT_LE(0, head);
	ASSERT_EQ(1, vqchar_dev_pop(self->q, &c, iov, 8));
	ASSERT_EQ(5, c.nr_out);	/* 64 + 64 + 64 + 8, then 10; the empty one skipped */
	EXPECT_EQ(1, c.nr_in);
	EXPECT_EQ(210, c.out_bytes);
	EXPECT_EQ(64, iov[0].iov_len);
	EXPECT_EQ(64, iov[1].iov_len);
	EXPECT_EQ(64, iov[2].iov_len);
	EXPECT_EQ(8, iov[3].iov_len);
	EXPECT_EQ(10, iov[4].iov_len);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, memcmp(iov[i].iov_base, a + 64 * i, iov[i].iov_len));
	EXPECT_EQ(0, memcmp(iov[4].iov_base, b, 10));

	/* The library reports the same segments from its shadow. */
	ASSERT_EQ(5, vqchar_chain_out(self->q, head, got, 8));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(iov[i].iov_base, got[i].iov_base);
		EXPECT_EQ(iov[i].iov_len, got[i].iov_len);
	}
	/* A short array gets the first entries and the full count. */
	ASSERT_EQ(5, vqchar_chain_out(self->q, head, got, 2));
}

TEST_F(q, in_buffers_cover_bytes_written)
{
	struct iovec iov[8], in[8];
	struct vqchar_dev_chain c;
	uint32_t len = 0;
	int head, i;

	head = vqchar_offer(self->q, NULL, 0, 3, 0);
	ASSERT_LE(0, head);
	/* Before the device is done: capacity. */
	ASSERT_EQ(3, vqchar_chain_in(self->q, head, in, 8));
	EXPECT_EQ(64, in[2].iov_len);

	ASSERT_EQ(1, vqchar_dev_pop(self->q, &c, iov, 8));
	ASSERT_EQ(3, c.nr_in);
	memset(iov[0].iov_base, 'x', 64);
	memset(iov[1].iov_base, 'y', 36);
	ASSERT_EQ(0, vqchar_dev_push(self->q, c.head, 100));
	ASSERT_EQ(head, vqchar_take(self->q, &len));
	EXPECT_EQ(100, len);

	memset(in, 0xcc, sizeof(in));
	ASSERT_EQ(3, vqchar_chain_in(self->q, head, in, 8));
	EXPECT_EQ(64, in[0].iov_len);
	EXPECT_EQ(36, in[1].iov_len);
	EXPECT_EQ(0, in[2].iov_len);
	for (i = 0; i < 64; i++)
		EXPECT_EQ('x', ((char *)in[0].iov_base)[i]);
	for (i = 0; i < 36; i++)
		EXPECT_EQ('y', ((char *)in[1].iov_base)[i]);
	EXPECT_EQ(0, vqchar_chain_out(self->q, head, in, 8));
	EXPECT_EQ(0, vqchar_free(self->q, head));
}

TEST_F(q, empty_chain_refused)
{
	struct iovec empty = { NULL, 0 };

	EXPECT_EQ(-EINVAL, vqchar_offer(self->q, NULL, 0, 0, 0));
	EXPECT_EQ(-EINVAL, vqchar_offer(self->q, &empty, 1, 0, 0));
	EXPECT_EQ(0, vqchar_dev_avail_pending(self->q));
}

TEST_F(q, unknown_offer_flag_refused)
{
	EXPECT_EQ(-EINVAL, vqchar_offer(self->q, NULL, 0, 1, 1U << 20));
	EXPECT_EQ(-EINVAL, vqchar_offer(self->q, NULL, 0, 1,
					VQCHAR_OFFER_INDIRECT | VQCHAR_OFFER_NO_INDIRECT));
}

TEST_F(q, null_iov_base_refused)
{
	struct iovec out = { NULL, 5 };

	EXPECT_EQ(-EINVAL, vqchar_offer(self->q, &out, 1, 0, 0));
}

TEST_F(q, indirect_refused_without_feature)
{
	EXPECT_EQ(-EINVAL, vqchar_offer(self->q, NULL, 0, 2, VQCHAR_OFFER_INDIRECT));
}

TEST_F(q, full_descriptor_table_is_enospc)
{
	int i;

	for (i = 0; i < 8; i++)
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(-ENOSPC, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(8, vqchar_dev_avail_pending(self->q));
	/* Completing one makes room only once it is freed. */
	ASSERT_LE(0, dev_complete(self->q, 0));
	i = vqchar_take(self->q, NULL);
	ASSERT_LE(0, i);
	EXPECT_EQ(-ENOSPC, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(0, vqchar_free(self->q, i));
	EXPECT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
}

/* Buffers run out while descriptors are left (28 held by the caller). */
TEST_F(q, full_pool_is_enospc)
{
	int i;

	for (i = 0; i < 28; i++)
		ASSERT_LE(0, vqchar_buf_get(self->q, NULL));
	ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 2, 0));
	ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 2, 0));
	EXPECT_EQ(-ENOSPC, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(-ENOSPC, vqchar_buf_get(self->q, NULL));
	EXPECT_EQ(2, vqchar_dev_avail_pending(self->q));
}

TEST_F(q, chain_that_can_never_fit_is_e2big)
{
	uint8_t big[64 * 33];
	struct iovec out = { big, sizeof(big) };

	memset(big, 0, sizeof(big));
	EXPECT_EQ(-E2BIG, vqchar_offer(self->q, NULL, 0, 9, 0));	/* > num */
	EXPECT_EQ(-E2BIG, vqchar_offer(self->q, &out, 1, 0, VQCHAR_OFFER_WAIT));
	EXPECT_EQ(0, vqchar_dev_avail_pending(self->q));
}

TEST_F(q, free_refuses_unknown_double_and_busy)
{
	int head, i;

	EXPECT_EQ(-EINVAL, vqchar_free(self->q, 8));
	EXPECT_EQ(-EINVAL, vqchar_free(self->q, UINT32_MAX));
	EXPECT_EQ(-EINVAL, vqchar_free(self->q, 0));	/* never offered */

	head = vqchar_offer(self->q, NULL, 0, 2, 0);
	ASSERT_LE(0, head);
	EXPECT_EQ(-EBUSY, vqchar_free(self->q, head));	/* with the device */
	ASSERT_EQ(head, dev_complete(self->q, 5));
	ASSERT_EQ(head, vqchar_take(self->q, NULL));
	EXPECT_EQ(0, vqchar_free(self->q, head));
	EXPECT_EQ(-EINVAL, vqchar_free(self->q, head));	/* twice */
	EXPECT_EQ(-EINVAL, vqchar_chain_out(self->q, head, NULL, 0));

	/* Nothing was corrupted: the whole table and pool are usable. */
	for (i = 0; i < 8; i++)
		EXPECT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(-ENOSPC, vqchar_offer(self->q, NULL, 0, 1, 0));
	for (i = 0; i < 8; i++) {
		ASSERT_LE(0, dev_complete(self->q, 0));
		head = vqchar_take(self->q, NULL);
		ASSERT_LE(0, head);
		EXPECT_EQ(0, vqchar_free(self->q, head));
	}
	EXPECT_EQ(-EAGAIN, vqchar_take(self->q, NULL));
}

TEST_F(q, take_when_empty_is_eagain)
{
	struct vqchar_used u[4];

	EXPECT_EQ(-EAGAIN, vqchar_take(self->q, NULL));
	EXPECT_EQ(0, vqchar_take_batch(self->q, u, 4));
	EXPECT_EQ(0, vqchar_used_pending(self->q));
}

TEST_F(q, take_batch_and_used_pending)
{
	struct vqchar_used u[8];
	int heads[5], i;

	for (i = 0; i < 5; i++) {
		heads[i] = vqchar_offer(self->q, NULL, 0, 1, 0);
		ASSERT_LE(0, heads[i]);
		ASSERT_EQ(heads[i], dev_complete(self->q, (uint32_t)i));
	}
	EXPECT_EQ(5, vqchar_used_pending(self->q));
	memset(u, 0xcc, sizeof(u));
	ASSERT_EQ(3, vqchar_take_batch(self->q, u, 3));
	EXPECT_EQ(2, vqchar_used_pending(self->q));
	ASSERT_EQ(2, vqchar_take_batch(self->q, u + 3, 8));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(heads[i], u[i].head);
		EXPECT_EQ(i, u[i].len);
		EXPECT_EQ(0, vqchar_free(self->q, u[i].head));
	}
	EXPECT_EQ(0, vqchar_used_pending(self->q));
}

/* A hostile device: the used ring names a chain it was never given. */
TEST_F(q, used_entry_for_unknown_head_breaks_queue)
{
	int head = vqchar_offer(self->q, NULL, 0, 1, 0);

	ASSERT_LE(0, head);
	ASSERT_EQ(0, vqchar_dev_push(self->q, (unsigned int)(head + 1) % 8, 0));
	EXPECT_EQ(-EIO, vqchar_take(self->q, NULL));
	EXPECT_EQ(-EIO, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(-EIO, vqchar_wait_used(self->q, 0));
}

TEST_F(q, used_entry_returned_twice_breaks_queue)
{
	int head = vqchar_offer(self->q, NULL, 0, 1, 0);

	ASSERT_LE(0, head);
	ASSERT_EQ(head, dev_complete(self->q, 0));
	ASSERT_EQ(0, vqchar_dev_push(self->q, head, 0));
	EXPECT_EQ(head, vqchar_take(self->q, NULL));
	EXPECT_EQ(-EIO, vqchar_take(self->q, NULL));
	/* The chain taken before the bad entry is still the caller's. */
	EXPECT_EQ(0, vqchar_free(self->q, head));
}

TEST_F(q, used_len_beyond_in_buffers_breaks_queue)
{
	int head = vqchar_offer(self->q, NULL, 0, 2, 0);

	ASSERT_LE(0, head);
	ASSERT_EQ(head, dev_complete(self->q, 129));
	EXPECT_EQ(-EIO, vqchar_take(self->q, NULL));
}

TEST_F(q, used_idx_ahead_of_ring_breaks_queue)
{
	struct vqchar_ring_offsets off;
	uint8_t *ring = vqchar_queue_ring_base(self->q);
	uint16_t idx = htole16(9);

	ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	vqchar_queue_ring_offsets(self->q, &off);
	memcpy(ring + off.used_idx, &idx, 2);
	EXPECT_EQ(-EIO, vqchar_take(self->q, NULL));
}

TEST_F(q, wait_times_out)
{
	struct timespec a, b;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	EXPECT_EQ(-ETIMEDOUT, vqchar_wait(self->q, 100, NULL));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	EXPECT_LE(90, ms);
	EXPECT_EQ(-ETIMEDOUT, vqchar_wait_used(self->q, 0));
}

TEST_F(q, call_fd_signalled_when_calls_enabled)
{
	int call = vqchar_queue_call_fd(self->q);
	int head = vqchar_offer(self->q, NULL, 0, 1, 0);

	ASSERT_LE(0, head);
	EXPECT_EQ(0, vqchar_enable_calls(self->q));
	ASSERT_EQ(head, dev_complete(self->q, 0));
	EXPECT_EQ(1, vqchar_dev_notify(self->q));
	EXPECT_EQ(1, fd_readable(call));
	EXPECT_EQ(1, fd_read(call));
	EXPECT_EQ(1, vqchar_enable_calls(self->q));	/* one pending: don't sleep */
	EXPECT_EQ(head, vqchar_take(self->q, NULL));
}

TEST_F(q, round_trip_with_device_thread)
{
	struct test_dev d;
	char msg[100];
	struct iovec out = { msg, sizeof(msg) }, in[4];
	uint32_t len;
	int head, i;

	for (i = 0; i < 100; i++)
		msg[i] = (char)(i * 7);
	ASSERT_EQ(0, test_dev_start(&d, self->q, NULL));
	for (i = 0; i < 50; i++) {
		head = vqchar_offer(self->q, &out, 1, 2, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len));
		ASSERT_EQ(100, len);
		ASSERT_EQ(2, vqchar_chain_in(self->q, head, in, 4));
		EXPECT_EQ(0, memcmp(in[0].iov_base, msg, 64));
		EXPECT_EQ(0, memcmp(in[1].iov_base, msg + 64, 36));
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	EXPECT_EQ(50, atomic_load(&d.chains));
}

struct blocker {
	struct vqchar_queue *q;
	atomic_int done;
	int ret;
};

static void *blocked_offer(void *arg)
{
	struct blocker *b = arg;

	b->ret = vqchar_offer(b->q, NULL, 0, 1, VQCHAR_OFFER_WAIT);
	atomic_store(&b->done, 1);
	return NULL;
}

TEST_F(q, blocking_offer_woken_by_free)
{
	struct blocker b = { .q = self->q };
	pthread_t t;
	int i, head;
	SKIP_IF_SINGLE();

	for (i = 0; i < 8; i++)
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_offer, &b));
	usleep(100 * 1000);
	EXPECT_EQ(0, atomic_load(&b.done));

	head = dev_complete(self->q, 0);
	ASSERT_LE(0, head);
	ASSERT_EQ(head, vqchar_take(self->q, NULL));
	usleep(50 * 1000);
	EXPECT_EQ(0, atomic_load(&b.done));	/* taken is not freed */
	ASSERT_EQ(0, vqchar_free(self->q, head));
	pthread_join(t, NULL);
	EXPECT_EQ(1, atomic_load(&b.done));
	EXPECT_EQ(head, b.ret);	/* the only free descriptor */
	EXPECT_EQ(8, vqchar_dev_avail_pending(self->q));
}

TEST_F(q, blocking_offer_woken_by_buf_put)
{
	struct blocker b = { .q = self->q };
	pthread_t t;
	int bufs[32], i;
	SKIP_IF_SINGLE();

	for (i = 0; i < 32; i++)
		ASSERT_LE(0, bufs[i] = vqchar_buf_get(self->q, NULL));
	EXPECT_EQ(-ENOSPC, vqchar_buf_get(self->q, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_offer, &b));
	usleep(50 * 1000);
	EXPECT_EQ(0, atomic_load(&b.done));
	EXPECT_EQ(0, vqchar_buf_put(self->q, (unsigned int)bufs[7]));
	pthread_join(t, NULL);
	EXPECT_LE(0, b.ret);
}

TEST_F(q, zero_copy_offer_uses_buffer_in_place)
{
	struct vqchar_buf_seg seg;
	struct iovec iov[4];
	struct vqchar_dev_chain c;
	void *data;
	int buf, other, head;

	buf = vqchar_buf_get(self->q, &data);
	ASSERT_LE(0, buf);
	EXPECT_EQ((uint8_t *)vqchar_queue_pool(self->q) + 64 * buf, (uint8_t *)data);
	memcpy(data, "in place", 8);

	/* Buffers the caller does not hold are refused, and nothing leaks. */
	other = (buf + 1) % 32;
	seg = (struct vqchar_buf_seg){ .buf = (uint32_t)other, .len = 8 };
	EXPECT_EQ(-EINVAL, vqchar_offer_bufs(self->q, &seg, 1, 1, 0));
	EXPECT_EQ(-EINVAL, vqchar_buf_put(self->q, (unsigned int)other));
	seg = (struct vqchar_buf_seg){ .buf = (uint32_t)buf, .len = 65 };
	EXPECT_EQ(-EINVAL, vqchar_offer_bufs(self->q, &seg, 1, 1, 0));
	{
		struct vqchar_buf_seg twice[2] = { { (uint32_t)buf, 8 }, { (uint32_t)buf, 8 } };

		EXPECT_EQ(-EINVAL, vqchar_offer_bufs(self->q, twice, 2, 0, 0));
	}

	seg = (struct vqchar_buf_seg){ .buf = (uint32_t)buf, .len = 8 };
	head = vqchar_offer_bufs(self->q, &seg, 1, 1, 0);
	ASSERT_LE(0, head);
	EXPECT_EQ(-EINVAL, vqchar_buf_put(self->q, (unsigned int)buf));	/* the chain's now */
	ASSERT_EQ(1, vqchar_dev_pop(self->q, &c, iov, 4));
	EXPECT_EQ(data, iov[0].iov_base);
	EXPECT_EQ(8, iov[0].iov_len);
	ASSERT_EQ(0, vqchar_dev_push(self->q, c.head, 0));
	ASSERT_EQ(head, vqchar_take(self->q, NULL));
	ASSERT_EQ(0, vqchar_free(self->q, head));
	/* The buffer went back to the pool: all 32 can be taken again. */
	for (other = 0; other < 32; other++)
		ASSERT_LE(0, vqchar_buf_get(self->q, NULL));
}

TEST_F(q, batch_offer_kicks_once)
{
	char x = 'x';
	struct iovec out = { &x, 1 };
	struct vqchar_chain_req reqs[6];
	unsigned int heads[6];
	struct vqchar_stats st;
	int i;

	for (i = 0; i < 6; i++)
		reqs[i] = (struct vqchar_chain_req){ &out, 1, 0 };
	ASSERT_EQ(6, vqchar_offer_batch(self->q, reqs, 6, heads, 0));
	EXPECT_EQ(1, fd_read(vqchar_queue_kick_fd(self->q)));
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	EXPECT_EQ(6, st.offered);
	EXPECT_EQ(1, st.kicks);
	/* 4 descriptors left: two more fit, then it stops short. */
	ASSERT_EQ(2, vqchar_offer_batch(self->q, reqs, 6, heads, 0));
	EXPECT_EQ(-ENOSPC, vqchar_offer_batch(self->q, reqs, 6, heads, 0));
	for (i = 0; i < 8; i++)
		ASSERT_LE(0, dev_complete(self->q, 0));
}

TEST_F(q, no_kick_then_kick)
{
	struct vqchar_stats st;

	ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, VQCHAR_OFFER_NO_KICK));
	ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, VQCHAR_OFFER_NO_KICK));
	EXPECT_EQ(0, fd_readable(vqchar_queue_kick_fd(self->q)));
	EXPECT_EQ(2, vqchar_dev_avail_pending(self->q));	/* published anyway */
	EXPECT_EQ(1, vqchar_kick(self->q));
	EXPECT_EQ(0, vqchar_kick(self->q));	/* nothing new */
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	EXPECT_EQ(1, st.kicks);
}

TEST_F(q, reset_drops_chains_and_restarts_indices)
{
	int i, held;

	held = vqchar_buf_get(self->q, NULL);
	ASSERT_LE(0, held);
	for (i = 0; i < 8; i++)
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	ASSERT_LE(0, dev_complete(self->q, 0));
	ASSERT_EQ(0, vqchar_queue_reset(self->q));
	EXPECT_EQ(0, vqchar_dev_avail_pending(self->q));
	EXPECT_EQ(0, vqchar_used_pending(self->q));
	EXPECT_EQ(0, fd_readable(vqchar_queue_kick_fd(self->q)));
	for (i = 0; i < 8; i++)
		ASSERT_LE(0, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(-ENOSPC, vqchar_offer(self->q, NULL, 0, 1, 0));
	EXPECT_EQ(8, vqchar_dev_avail_pending(self->q));
	/* 32 buffers: 8 in chains, 1 still held across the reset, 23 free. */
	for (i = 0; i < 23; i++)
		ASSERT_LE(0, vqchar_buf_get(self->q, NULL));
	EXPECT_EQ(-ENOSPC, vqchar_buf_get(self->q, NULL));
	EXPECT_EQ(0, vqchar_buf_put(self->q, (unsigned int)held));
}

/* Run past 65535 on both indices: >70000 chains through an 8-entry ring. */
TEST_F_TIMEOUT(q, index_wrap_past_65535, 600)
{
	const unsigned int total = 70000;
	struct vqchar_used used[8];
	struct test_dev d;
	unsigned int sent = 0, recvd = 0;
	int ret;

	ASSERT_EQ(0, test_dev_start(&d, self->q, NULL));
	while (recvd < total) {
		while (sent < total) {
			uint32_t v = sent;
			struct iovec out = { &v, sizeof(v) };

			ret = vqchar_offer(self->q, &out, 1, 1, 0);
			if (ret == -ENOSPC)
				break;
			ASSERT_LE(0, ret) TH_LOG("offer %u: %d", sent, ret);
			sent++;
		}
		ret = vqchar_wait_used(self->q, 5000);
		ASSERT_LT(0, ret) TH_LOG("wait after %u: %d", recvd, ret);
		ret = vqchar_take_batch(self->q, used, 8);
		ASSERT_LT(0, ret);
		for (int i = 0; i < ret; i++) {
			struct iovec in;
			uint32_t v;

			ASSERT_EQ(4, used[i].len);
			ASSERT_EQ(1, vqchar_chain_in(self->q, used[i].head, &in, 1));
			memcpy(&v, in.iov_base, 4);
			ASSERT_EQ(recvd, v);	/* in order, none lost */
			ASSERT_EQ(0, vqchar_free(self->q, used[i].head));
			recvd++;
		}
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	EXPECT_EQ(total, atomic_load(&d.chains));
	/* The 16-bit indices wrapped: 70000 mod 65536. */
	EXPECT_EQ(total & 0xffff, le16toh(*(uint16_t *)((uint8_t *)vqchar_queue_avail(self->q) + 2)));
	EXPECT_EQ(total & 0xffff, le16toh(*(uint16_t *)((uint8_t *)vqchar_queue_used(self->q) + 2)));
}

#define ORDER_THREADS	4

struct order_state {
	struct vqchar_queue *q;
	unsigned int per_thread;
	uint32_t next[ORDER_THREADS];	/* device side: next seq expected */
	atomic_int bad;
};

struct order_thread {
	struct order_state *st;
	uint32_t id;
	int err;
};

static void *order_offer(void *arg)
{
	struct order_thread *t = arg;
	uint32_t seq;

	for (seq = 0; seq < t->st->per_thread; seq++) {
		uint32_t msg[2] = { t->id, seq };
		struct iovec out = { msg, sizeof(msg) };
		int ret = vqchar_offer(t->st->q, &out, 1, 0, VQCHAR_OFFER_WAIT);

		if (ret < 0) {
			t->err = ret;
			break;
		}
	}
	return NULL;
}

static uint32_t order_check(struct test_dev *d, const struct vqchar_dev_chain *c,
			    const struct iovec *iov)
{
	struct order_state *st = d->priv;
	uint32_t msg[2];

	if (c->nr_out != 1 || iov[0].iov_len != sizeof(msg)) {
		atomic_fetch_add(&st->bad, 1);
		return 0;
	}
	memcpy(msg, iov[0].iov_base, sizeof(msg));
	if (msg[0] >= ORDER_THREADS || msg[1] != st->next[msg[0]])
		atomic_fetch_add(&st->bad, 1);
	else
		st->next[msg[0]]++;
	return 0;
}

TEST_F_TIMEOUT(q, four_threads_keep_per_thread_order, 600)
{
	struct order_state st = { .q = self->q, .per_thread = test_slow() ? 2000 : 10000 };
	struct order_thread th[ORDER_THREADS];
	pthread_t tid[ORDER_THREADS];
	unsigned int total = ORDER_THREADS * st.per_thread, done = 0;
	struct vqchar_used used[8];
	struct test_dev d;
	int i, ret;
	SKIP_IF_SINGLE();

	ASSERT_EQ(0, test_dev_start(&d, self->q, order_check));
	d.priv = &st;
	for (i = 0; i < ORDER_THREADS; i++) {
		th[i] = (struct order_thread){ .st = &st, .id = (uint32_t)i };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, order_offer, &th[i]));
	}
	while (done < total) {
		ret = vqchar_wait_used(self->q, 5000);
		ASSERT_LT(0, ret) TH_LOG("after %u: %d", done, ret);
		ret = vqchar_take_batch(self->q, used, 8);
		ASSERT_LT(0, ret);
		for (i = 0; i < ret; i++)
			ASSERT_EQ(0, vqchar_free(self->q, used[i].head));
		done += (unsigned int)ret;
	}
	for (i = 0; i < ORDER_THREADS; i++) {
		pthread_join(tid[i], NULL);
		EXPECT_EQ(0, th[i].err);
		EXPECT_EQ(st.per_thread, st.next[i]);
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	EXPECT_EQ(0, atomic_load(&st.bad));
	EXPECT_EQ(total, atomic_load(&d.chains));
}

TEST_HARNESS_MAIN
