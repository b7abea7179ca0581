// SPDX-License-Identifier: MIT
/*
 * libvqchar's threading model on the anonymous backend: several waiters
 * on one queue each get their wakeup, shutdown and close wake every
 * blocked call, a break fails blocked offers, blocked offers are served
 * in call order, and vqchar_wait() survives another thread's take.
 * Races are looped; no assertion depends on timing beyond generous
 * timeouts that only expire when a wakeup was lost.
 */
#include <poll.h>
#include "kselftest_harness.h"
#include "vq_split.h"
#include "vq_test.h"

#define LOST_MS	5000	/* a waiter still asleep after this lost its wakeup */

static int rounds(int n)
{
	return test_slow() ? n / 20 : n;
}

struct waiter {
	struct vqchar_queue *q;
	pthread_t tid;
	int kind;		/* 0 wait_used, 1 wait, 2 offer WAIT, 3 dev_wait */
	int timeout;
	atomic_int ret;
	atomic_int started;	/* the thread's tid, once running */
};

/* True once thread @tid sleeps (in poll or on a futex: blocked in the call). */
static int thread_sleeping(int tid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = (int)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

static void wait_blocked(atomic_int *tid)
{
	while (!atomic_load(tid))
		sched_yield();
	while (!thread_sleeping(atomic_load(tid)))
		usleep(100);
}

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct iovec out = { "x", 1 };
	int ret;

	atomic_store(&w->started, (int)gettid());
	switch (w->kind) {
	case 0:
		ret = vqchar_wait_used(w->q, w->timeout);
		break;
	case 1:
		ret = vqchar_wait(w->q, w->timeout, NULL);
		break;
	case 2:
		ret = vqchar_offer(w->q, &out, 1, 0, VQCHAR_OFFER_WAIT);
		break;
	default:
		ret = vqchar_dev_wait(w->q, w->timeout);
		break;
	}
	atomic_store(&w->ret, ret);
	return NULL;
}

static int waiter_start(struct waiter *w, struct vqchar_queue *q, int kind, int timeout)
{
	memset(w, 0, sizeof(*w));
	w->q = q;
	w->kind = kind;
	w->timeout = timeout;
	atomic_store(&w->ret, 1000);
	return -pthread_create(&w->tid, NULL, waiter_main, w);
}

/* Give a thread time to block; correctness never depends on it. */
static void settle(void)
{
	usleep(20000);
}

/* Push every available chain back, then notify once. */
static int device_round(struct vqchar_queue *q)
{
	struct vqchar_dev_chain c;
	struct iovec iov[4];
	int n = 0, ret;

	while ((ret = vqchar_dev_pop(q, &c, iov, 4)) == 1) {
		ret = vqchar_dev_push(q, c.head, 0);
		if (ret)
			return ret;
		n++;
	}
	if (ret < 0)
		return ret;
	ret = vqchar_dev_notify(q);
	return ret < 0 ? ret : n;
}

/* Defect 1: each of two waiters sees the chain; neither sleeps through it. */
FIXTURE(two_waiters) { struct vqchar_queue *q; };
FIXTURE_SETUP(two_waiters) { ASSERT_EQ(0, test_anon(8, 16, 64, 0, &self->q)); }
FIXTURE_TEARDOWN(two_waiters) { EXPECT_EQ(0, vqchar_queue_close(self->q)); }
TEST_F_TIMEOUT(two_waiters, each_waiter_woken_by_one_call, 900)
{
	int i, n = rounds(3000);

	for (i = 0; i < n; i++) {
		struct iovec out = { "a", 1 };
		struct waiter a, b;
		uint32_t len;
		int head;

		ASSERT_EQ(0, waiter_start(&a, self->q, 0, LOST_MS));
		ASSERT_EQ(0, waiter_start(&b, self->q, 0, LOST_MS));
		head = vqchar_offer(self->q, &out, 1, 0, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(1, device_round(self->q));
		pthread_join(a.tid, NULL);
		pthread_join(b.tid, NULL);
		ASSERT_EQ(1, atomic_load(&a.ret)) TH_LOG("round %d", i);
		ASSERT_EQ(1, atomic_load(&b.ret)) TH_LOG("round %d", i);
		ASSERT_EQ(head, vqchar_take(self->q, &len));
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
}

/* Defect 8: two vqchar_wait()s, two chains: each gets one, none -EAGAIN. */
TEST_F_TIMEOUT(two_waiters, wait_survives_another_threads_take, 900)
{
	int i, n = rounds(3000);

	for (i = 0; i < n; i++) {
		struct iovec out = { "a", 1 };
		struct waiter a, b;
		int h1, h2, ra, rb;

		ASSERT_EQ(0, waiter_start(&a, self->q, 1, LOST_MS));
		ASSERT_EQ(0, waiter_start(&b, self->q, 1, LOST_MS));
		h1 = vqchar_offer(self->q, &out, 1, 0, 0);
		ASSERT_LE(0, h1);
		ASSERT_EQ(1, device_round(self->q));
		h2 = vqchar_offer(self->q, &out, 1, 0, 0);
		ASSERT_LE(0, h2);
		ASSERT_EQ(1, device_round(self->q));
		pthread_join(a.tid, NULL);
		pthread_join(b.tid, NULL);
		ra = atomic_load(&a.ret);
		rb = atomic_load(&b.ret);
		ASSERT_TRUE((ra == h1 && rb == h2) || (ra == h2 && rb == h1))
			TH_LOG("round %d: %d %d for %d %d", i, ra, rb, h1, h2);
		ASSERT_EQ(0, vqchar_free(self->q, h1));
		ASSERT_EQ(0, vqchar_free(self->q, h2));
	}
}

/* Defect 2: shutdown wakes every kind of blocked call with -ESHUTDOWN. */
TEST(shutdown_wakes_every_blocked_call)
{
	struct vqchar_queue *q;
	struct iovec out = { "f", 1 };
	struct waiter w[5];
	int i;

	ASSERT_EQ(0, test_anon(1, 4, 64, 0, &q));
	ASSERT_LE(0, vqchar_offer(q, &out, 1, 0, 0));	/* now full */
	ASSERT_EQ(0, waiter_start(&w[0], q, 0, -1));
	ASSERT_EQ(0, waiter_start(&w[1], q, 0, -1));
	ASSERT_EQ(0, waiter_start(&w[2], q, 1, -1));
	ASSERT_EQ(0, waiter_start(&w[3], q, 2, -1));
	settle();
	/* The device side has the one chain; pop it so dev_wait blocks. */
	{
		struct vqchar_dev_chain c;
		struct iovec iov[2];

		ASSERT_EQ(1, vqchar_dev_pop(q, &c, iov, 2));
	}
	ASSERT_EQ(0, waiter_start(&w[4], q, 3, -1));
	settle();
	ASSERT_EQ(0, vqchar_queue_shutdown(q));
	for (i = 0; i < 5; i++) {
		pthread_join(w[i].tid, NULL);
		EXPECT_EQ(-ESHUTDOWN, atomic_load(&w[i].ret)) TH_LOG("waiter %d", i);
	}
	EXPECT_EQ(-ESHUTDOWN, vqchar_offer(q, &out, 1, 0, 0));
	EXPECT_EQ(-ESHUTDOWN, vqchar_wait_used(q, 0));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 2: close with calls blocked wakes them first, then releases. */
TEST(close_wakes_blocked_calls_before_release)
{
	int i, n = rounds(200);

	for (i = 0; i < n; i++) {
		struct vqchar_queue *q;
		struct iovec out = { "f", 1 };
		struct waiter w[3];
		int k;

		struct vqchar_dev_chain c;
		struct iovec iov[2];

		ASSERT_EQ(0, test_anon(1, 4, 64, 0, &q));
		ASSERT_LE(0, vqchar_offer(q, &out, 1, 0, 0));
		ASSERT_EQ(1, vqchar_dev_pop(q, &c, iov, 2));	/* dev_wait must block */
		ASSERT_EQ(0, waiter_start(&w[0], q, 0, -1));
		ASSERT_EQ(0, waiter_start(&w[1], q, 2, -1));
		ASSERT_EQ(0, waiter_start(&w[2], q, 3, -1));
		/* Each must be inside its call: close may not race with a call starting. */
		for (k = 0; k < 3; k++)
			wait_blocked(&w[k].started);
		ASSERT_EQ(0, vqchar_queue_close(q));
		for (k = 0; k < 3; k++) {
			pthread_join(w[k].tid, NULL);
			EXPECT_EQ(-ESHUTDOWN, atomic_load(&w[k].ret))
				TH_LOG("round %d waiter %d: %d", i, k, atomic_load(&w[k].ret));
		}
	}
}

/* Defect 3: a blocked offer fails when the device side breaks the queue. */
TEST(blocked_offer_fails_when_device_breaks)
{
	struct vqchar_queue *q;
	struct iovec out = { "f", 1 };
	struct vqchar_dev_chain c;
	struct iovec iov[2];
	struct vq_desc *desc;
	struct waiter w;

	ASSERT_EQ(0, test_anon(1, 4, 64, 0, &q));
	ASSERT_LE(0, vqchar_offer(q, &out, 1, 0, 0));
	ASSERT_EQ(0, waiter_start(&w, q, 2, -1));
	settle();
	/* The driver's descriptor turns hostile: the device breaks the queue. */
	desc = vqchar_queue_desc(q);
	desc[0].addr = htole64(1ULL << 40);
	EXPECT_EQ(-EIO, vqchar_dev_pop(q, &c, iov, 2));
	pthread_join(w.tid, NULL);
	EXPECT_EQ(-EIO, atomic_load(&w.ret));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 3: the timed form of a blocked offer. */
TEST(offer_timeout_expires)
{
	struct vqchar_queue *q;
	struct iovec out = { "f", 1 };

	ASSERT_EQ(0, test_anon(1, 4, 64, 0, &q));
	ASSERT_LE(0, vqchar_offer(q, &out, 1, 0, 0));
	EXPECT_EQ(-ETIMEDOUT, vqchar_offer_timeout(q, &out, 1, 0, 0, 50));
	EXPECT_EQ(-ETIMEDOUT, vqchar_offer_timeout(q, &out, 1, 0, 0, 0));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Defect 4: blocked offers are served in call order; later ones do not overtake. */
struct fifo_offer {
	struct vqchar_queue *q;
	pthread_t tid;
	unsigned int segs;
	atomic_int ret;
};

static void *fifo_main(void *arg)
{
	struct fifo_offer *f = arg;
	static const char data[64 * 4];
	struct iovec out = { (void *)data, f->segs * 64 };

	atomic_store(&f->ret, vqchar_offer(f->q, &out, 1, 0, VQCHAR_OFFER_WAIT));
	return NULL;
}

TEST(blocked_offers_keep_call_order)
{
	struct vqchar_queue *q;
	struct iovec out = { "f", 1 };
	struct fifo_offer big, small;
	uint32_t len;
	int first;

	/* 4 descriptors: one chain of 1 takes a slot, a chain of 4 must wait. */
	ASSERT_EQ(0, test_anon(4, 8, 64, 0, &q));
	first = vqchar_offer(q, &out, 1, 0, 0);
	ASSERT_LE(0, first);
	big = (struct fifo_offer){ .q = q, .segs = 4 };
	atomic_store(&big.ret, 1000);
	ASSERT_EQ(0, pthread_create(&big.tid, NULL, fifo_main, &big));
	settle();
	/* A later chain of 1 would fit in the 3 free slots: it must queue behind. */
	small = (struct fifo_offer){ .q = q, .segs = 1 };
	atomic_store(&small.ret, 1000);
	ASSERT_EQ(0, pthread_create(&small.tid, NULL, fifo_main, &small));
	settle();
	EXPECT_EQ(1000, atomic_load(&small.ret));
	EXPECT_EQ(-ENOSPC, vqchar_offer(q, &out, 1, 0, 0));

	ASSERT_EQ(1, device_round(q));
	ASSERT_EQ(first, vqchar_take(q, &len));
	ASSERT_EQ(0, vqchar_free(q, first));
	pthread_join(big.tid, NULL);
	EXPECT_LE(0, atomic_load(&big.ret));
	/* Now the small one fits only after the big chain is back. */
	ASSERT_EQ(1, device_round(q));
	ASSERT_EQ(atomic_load(&big.ret), vqchar_take(q, &len));
	ASSERT_EQ(0, vqchar_free(q, atomic_load(&big.ret)));
	pthread_join(small.tid, NULL);
	EXPECT_LE(0, atomic_load(&small.ret));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* A break on the driver side fails a blocked device wait too. */
TEST(driver_break_fails_blocked_dev_wait)
{
	struct vqchar_queue *q;
	struct vqchar_ring_offsets off;
	uint8_t *ring;
	struct waiter w;

	ASSERT_EQ(0, test_anon(8, 16, 64, 0, &q));
	ASSERT_EQ(0, waiter_start(&w, q, 3, -1));
	settle();
	/* A used entry for a chain never offered. */
	vqchar_queue_ring_offsets(q, &off);
	ring = vqchar_queue_ring_base(q);
	__atomic_store_n((uint16_t *)(ring + off.used_idx), htole16(1), __ATOMIC_RELEASE);
	EXPECT_EQ(-EIO, vqchar_take(q, NULL));
	pthread_join(w.tid, NULL);
	EXPECT_EQ(-EIO, atomic_load(&w.ret));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST_HARNESS_MAIN
