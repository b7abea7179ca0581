// SPDX-License-Identifier: MIT
/*
 * Regression tests for libvqchar defects found by using it: indirect
 * choice, the device's event index after a long silence, failed kicks,
 * segment-count overflow, the err eventfd on a driver-side break,
 * misaligned indirect tables, calls armed only before sleeping, and the
 * single-issuer mode.
 */
#include <poll.h>
#include "kselftest_harness.h"
#include "vq_split.h"
#include "vq_test.h"

static int pop_push_notify(struct vqchar_queue *q)
{
	struct vqchar_dev_chain c;
	struct iovec iov[8];
	int ret = vqchar_dev_pop(q, &c, iov, 8);

	if (ret != 1)
		return ret < 0 ? ret : -ENOENT;
	ret = vqchar_dev_push(q, c.head, 0);
	if (ret)
		return ret;
	return vqchar_dev_notify(q);
}

/* Defect 5: a chain that fits direct is not E2BIG because indirect would not. */
TEST(direct_fit_not_e2big_with_indirect_feature)
{
	struct vqchar_queue *q;
	int head;

	ASSERT_EQ(0, test_anon(8, 2, 64, VQCHAR_F_INDIRECT_DESC, &q));
	head = vqchar_offer(q, NULL, 0, 2, 0);
	EXPECT_LE(0, head);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 6: a long chain goes direct when no buffer is left for the table. */
TEST(long_chain_goes_direct_without_buffer_for_table)
{
	struct vqchar_queue *q;
	struct vq_desc *desc;
	int head;

	ASSERT_EQ(0, test_anon(8, 4, 64, VQCHAR_F_INDIRECT_DESC, &q));
	head = vqchar_offer(q, NULL, 0, 4, 0);
	ASSERT_LE(0, head);
	desc = vqchar_queue_desc(q);
	EXPECT_EQ(0, le16toh(desc[head].flags) & VQ_DESC_F_INDIRECT);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST(long_chain_still_indirect_when_table_fits)
{
	struct vqchar_queue *q;
	struct vq_desc *desc;
	int head;

	ASSERT_EQ(0, test_anon(8, 5, 64, VQCHAR_F_INDIRECT_DESC, &q));
	head = vqchar_offer(q, NULL, 0, 4, 0);
	ASSERT_LE(0, head);
	desc = vqchar_queue_desc(q);
	EXPECT_EQ(VQ_DESC_F_INDIRECT, le16toh(desc[head].flags) & VQ_DESC_F_INDIRECT);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 7: after 65536 pushes without a notify, notify must still call. */
TEST(device_notifies_after_index_wraps_unsignalled)
{
	static const unsigned int counts[] = { 65534, 65535, 65536, 65537, 131072 };
	unsigned int k, i;

	for (k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		struct vqchar_queue *q;
		struct vqchar_ring_offsets off;
		uint8_t *ring;

		ASSERT_EQ(0, test_anon(8, 16, 64, VQCHAR_F_EVENT_IDX, &q));
		vqchar_queue_ring_offsets(q, &off);
		ring = vqchar_queue_ring_base(q);
		for (i = 0; i < counts[k]; i++)
			ASSERT_EQ(0, vqchar_dev_push(q, 0, 0));
		/* The driver waits for the entry just before the device's idx. */
		*(uint16_t *)(ring + off.used_event) = htole16((uint16_t)(counts[k] - 1));
		EXPECT_EQ(1, vqchar_dev_notify(q)) TH_LOG("after %u pushes", counts[k]);
		EXPECT_EQ(0, vqchar_queue_close(q));
	}
}

/* Defect 9: a kick that cannot be written is an error, not a counted kick. */
TEST(failed_kick_reported_and_not_counted)
{
	struct vqchar_queue *q;
	struct vqchar_stats st;
	struct iovec out = { "k", 1 };
	int kfd, ro;

	ASSERT_EQ(0, test_anon(8, 16, 64, 0, &q));
	kfd = vqchar_queue_kick_fd(q);
	ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	/* The kick eventfd's number now names a file that refuses writes. */
	ASSERT_EQ(kfd, dup2(ro, kfd));
	EXPECT_EQ(-EBADF, vqchar_offer(q, &out, 1, 0, 0));
	ASSERT_EQ(0, vqchar_get_stats(q, &st));
	EXPECT_EQ(1, st.offered);
	EXPECT_EQ(0, st.kicks);
	EXPECT_EQ(-EBADF, vqchar_kick(q));
	close(ro);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 10: an out iovec too long for the table is refused, never zero segments. */
TEST(huge_out_iovec_refused)
{
	struct vqchar_queue *q;
	struct iovec out[2] = { { "a", SIZE_MAX }, { "b", SIZE_MAX } };

	ASSERT_EQ(0, test_anon(8, 16, 1, 0, &q));
	EXPECT_EQ(-E2BIG, vqchar_offer(q, out, 1, 0, 0));
	EXPECT_EQ(-E2BIG, vqchar_offer(q, out, 2, 0, 0));
	EXPECT_EQ(-E2BIG, vqchar_offer(q, out, 1, 1, 0));
	EXPECT_EQ(0, vqchar_queue_close(q));
	ASSERT_EQ(0, test_anon(8, 16, 3, 0, &q));
	out[0].iov_len = SIZE_MAX - 1;
	EXPECT_EQ(-E2BIG, vqchar_offer(q, out, 1, 0, 0));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 11: a used entry the driver rejects signals the err eventfd. */
TEST(driver_side_break_signals_err_fd)
{
	struct vqchar_queue *q;
	struct vqchar_ring_offsets off;
	struct pollfd pfd;
	uint8_t *ring;

	ASSERT_EQ(0, test_anon(8, 16, 64, 0, &q));
	vqchar_queue_ring_offsets(q, &off);
	ring = vqchar_queue_ring_base(q);
	__atomic_store_n((uint16_t *)(ring + off.used_idx), htole16(1), __ATOMIC_RELEASE);
	EXPECT_EQ(-EIO, vqchar_take(q, NULL));
	pfd = (struct pollfd){ .fd = vqchar_queue_err_fd(q), .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 12: an indirect table at an odd address is read by copy (UBSan checks). */
TEST(misaligned_indirect_table_accepted)
{
	struct vqchar_queue *q;
	struct vqchar_ring_offsets off;
	struct vqchar_dev_chain c;
	struct iovec iov[4];
	uint8_t *ring, *pool;
	struct vq_desc t[2], *desc;

	ASSERT_EQ(0, test_anon(8, 16, 64, VQCHAR_F_INDIRECT_DESC, &q));
	pool = vqchar_queue_pool(q);
	t[0] = (struct vq_desc){ htole64(128), htole32(10), htole16(VQ_DESC_F_NEXT), htole16(1) };
	t[1] = (struct vq_desc){ htole64(256), htole32(20), htole16(VQ_DESC_F_WRITE), 0 };
	memcpy(pool + 3, t, sizeof(t));
	desc = vqchar_queue_desc(q);
	desc[0] = (struct vq_desc){ htole64(3), htole32(sizeof(t)), htole16(VQ_DESC_F_INDIRECT), 0 };
	vqchar_queue_ring_offsets(q, &off);
	ring = vqchar_queue_ring_base(q);
	*(uint16_t *)(ring + off.avail_ring) = 0;
	__atomic_store_n((uint16_t *)(ring + off.avail_idx), htole16(1), __ATOMIC_RELEASE);
	ASSERT_EQ(1, vqchar_dev_pop(q, &c, iov, 4));
	EXPECT_EQ(1, c.nr_out);
	EXPECT_EQ(1, c.nr_in);
	EXPECT_EQ(pool + 128, (uint8_t *)iov[0].iov_base);
	EXPECT_EQ(20, iov[1].iov_len);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/*
 * Defect 15: a driver that never sleeps gets (almost) no calls.  Each
 * round the chain is already used when vqchar_wait() looks, so calls
 * are never armed and the device's notify is suppressed.
 */
FIXTURE(calls) { struct vqchar_queue *q; };
FIXTURE_VARIANT(calls) { uint64_t features; };
FIXTURE_VARIANT_ADD(calls, flags) { .features = 0 };
FIXTURE_VARIANT_ADD(calls, event_idx) { .features = VQCHAR_F_EVENT_IDX };
FIXTURE_SETUP(calls) { ASSERT_EQ(0, test_anon(8, 16, 64, variant->features, &self->q)); }
FIXTURE_TEARDOWN(calls) { EXPECT_EQ(0, vqchar_queue_close(self->q)); }

TEST_F(calls, busy_driver_is_not_called_per_chain)
{
	struct iovec out = { "c", 1 };
	struct vqchar_stats st;
	int i, head;

	for (i = 0; i < 1000; i++) {
		head = vqchar_offer(self->q, &out, 1, 0, 0);
		ASSERT_LE(0, head);
		ASSERT_LE(0, pop_push_notify(self->q));
		ASSERT_EQ(head, vqchar_wait(self->q, 1000, NULL));
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	/* Calls are armed at creation: the first chain may be signalled. */
	EXPECT_GE(1, st.dev_calls) TH_LOG("%llu calls", (unsigned long long)st.dev_calls);
}

/* ...and one that sleeps is called: arming before sleep loses nothing. */
TEST_F(calls, sleeping_driver_is_called)
{
	struct iovec out = { "c", 1 };
	struct test_dev d;
	struct vqchar_stats st;
	int i, head;

	ASSERT_EQ(0, test_dev_start(&d, self->q, NULL));
	for (i = 0; i < 300; i++) {
		head = vqchar_offer(self->q, &out, 1, 1, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(self->q, 10000, NULL)) TH_LOG("chain %d", i);
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	EXPECT_EQ(300, st.taken);
}

/* Single issuer: one driver thread, one device thread, no locks; data intact. */
TEST_F_TIMEOUT(calls, single_issuer_round_trips, 600)
{
	struct vqchar_params p;
	struct vqchar_queue *q;
	struct test_dev d;
	unsigned int i, n = test_slow() ? 2000 : 20000;

	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_ANON;
	p.num = 64;
	p.buf_count = 128;
	p.buf_size = 64;
	p.features = variant->features;
	p.flags = VQCHAR_PARAMS_SINGLE_ISSUER;
	ASSERT_EQ(0, vqchar_queue_create(&p, &q));
	ASSERT_EQ(0, test_dev_start(&d, q, NULL));
	for (i = 0; i < n; i++) {
		uint32_t v = i * 2654435761u, len;
		struct iovec out = { &v, sizeof(v) }, in;
		int head = vqchar_offer(q, &out, 1, 1, 0);

		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(q, 10000, &len)) TH_LOG("chain %u", i);
		ASSERT_EQ(sizeof(v), len);
		ASSERT_EQ(1, vqchar_chain_in(q, head, &in, 1));
		ASSERT_EQ(0, memcmp(in.iov_base, &v, sizeof(v)));
		ASSERT_EQ(0, vqchar_free(q, head));
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST(version_call_matches_header)
{
	EXPECT_EQ(LIBVQCHAR_VERSION, vqchar_version());
	EXPECT_EQ(1, LIBVQCHAR_VERSION_MAJOR);
}

TEST_HARNESS_MAIN
