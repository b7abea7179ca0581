// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown races: closing, destroying, resetting and being SIGKILLed while
 * the in-kernel device is busy or kicks are in flight.  Most of these only
 * have to finish without a crash or a hang; the runner scans the kernel log
 * (KASAN, lockdep, WARN, kmemleak) afterwards.
 */
#include <pthread.h>
#include <signal.h>

#include "vq_test.h"

#define BIG_NUM		512
#define BIG_BUF		4096

FIXTURE(td)
{
	int fd;
	struct vqchar_version ver;
};

FIXTURE_SETUP(td)
{
	self->fd = vqt_open();
	if (self->fd == -ENOENT || self->fd == -ENODEV || self->fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqt_get_version(self->fd, &self->ver));
}

FIXTURE_TEARDOWN(td)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Fill a loopback queue with BIG_NUM / 2 chains of 4 KiB in + 4 KiB out and
 * kick: several MiB of copying for the device.
 */
static int load_queue(int fd, struct vqt_queue *q)
{
	uint32_t i;
	int ret;

	ret = vqt_queue_create(fd, q, BIG_NUM, VQCHAR_DEV_LOOPBACK, VQCHAR_F_EVENT_IDX,
			       BIG_NUM, BIG_BUF);
	if (ret)
		return ret;
	for (i = 0; i < BIG_NUM; i += 2) {
		vq_drv_desc_write(&q->r, i, (uint64_t)i * BIG_BUF, BIG_BUF, VQ_DESC_F_NEXT, i + 1);
		vq_drv_desc_write(&q->r, i + 1, (uint64_t)(i + 1) * BIG_BUF, BIG_BUF,
				  VQ_DESC_F_WRITE, 0);
		vq_drv_avail_fill(&q->r, q->avail_idx++, i);
	}
	return vqt_publish_kick(q);
}

/* The device still works for a fresh open. */
static void check_alive(struct __test_metadata *_metadata)
{
	struct vqt_queue q;
	uint32_t id, len;
	int fd = vqt_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vqt_queue_create(fd, &q, 4, VQCHAR_DEV_SOURCE, 0, 1, 32));
	vq_drv_desc_write(&q.r, 0, 0, 32, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	vq_drv_used_read(&q.r, 0, &id, &len);
	EXPECT_EQ(32, len);
	vqt_queue_destroy(&q);
	close(fd);
}

/*
 * close() is not teardown while mappings hold the file (io_uring's
 * model, see the uapi header): the queue keeps working after close.
 */
TEST_F(td, close_keeps_queue_while_mapped)
{
	struct vqt_queue q;
	uint16_t old;

	ASSERT_EQ(0, load_queue(self->fd, &q));
	ASSERT_EQ(BIG_NUM / 2, vqt_wait_used(&q, BIG_NUM / 2));
	q.last_used += BIG_NUM / 2;
	close(self->fd);
	self->fd = -1;
	/* A chain made available after close is still consumed. */
	old = q.avail_idx;
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish(&q, old));
	EXPECT_EQ(1, vqt_wait_used(&q, 1));
	vqt_queue_unmap(&q);
	vqt_queue_close_fds(&q);
	check_alive(_metadata);
}

TEST_F(td, close_mid_batch_unmapped)
{
	struct vqt_queue q;

	ASSERT_EQ(0, load_queue(self->fd, &q));
	vqt_queue_unmap(&q);
	close(self->fd);
	self->fd = -1;
	vqt_queue_close_fds(&q);
	check_alive(_metadata);
}

/*
 * The last munmap after close is the teardown: chains left available and
 * kicked afterwards are never consumed (no call), and the kick eventfd
 * is unhooked.
 */
TEST_F(td, close_then_unmap_ends_queue)
{
	struct vqt_queue q;
	int i;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 8, VQCHAR_DEV_LOOPBACK, 0, 2, 64));
	vq_drv_desc_write(&q.r, 0, 0, 64, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 64, 64, VQ_DESC_F_WRITE, 0);
	/* Available, not kicked: only a live device would take it. */
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	vq_drv_avail_publish(&q.r, q.avail_idx);
	close(self->fd);
	self->fd = -1;
	vqt_queue_unmap(&q);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, vqt_signal(q.kick));
	EXPECT_EQ(0, vqt_wait_eventfd(q.call, 300));
	vqt_queue_close_fds(&q);
	check_alive(_metadata);
}

/* The same check while the mapping is alive shows the kick would work. */
TEST_F(td, close_with_mapping_then_kick_is_consumed)
{
	struct vqt_queue q;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 8, VQCHAR_DEV_LOOPBACK, 0, 2, 64));
	vq_drv_desc_write(&q.r, 0, 0, 64, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 64, 64, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	vq_drv_avail_publish(&q.r, q.avail_idx);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, vqt_signal(q.kick));
	EXPECT_LT(0, vqt_wait_eventfd(q.call, VQT_TIMEOUT_MS));
	vqt_queue_unmap(&q);
	vqt_queue_close_fds(&q);
}

TEST_F(td, destroy_mid_batch)
{
	struct vqt_queue q;
	int i;

	ASSERT_EQ(0, load_queue(self->fd, &q));
	ASSERT_EQ(0, vqt_destroy(self->fd, q.id));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, vqt_signal(q.kick));
	q.pool[q.pool_len - 1] = 1;
	vqt_queue_unmap(&q);
	vqt_queue_close_fds(&q);
	check_alive(_metadata);
}

TEST_F(td, reset_mid_batch_stops_device)
{
	struct vqt_queue q;
	struct vqchar_queue_status st;
	uint32_t i;
	const uint8_t *ring;

	ASSERT_EQ(0, load_queue(self->fd, &q));
	ASSERT_EQ(0, vqt_reset(self->fd, q.id));
	/* Stopped and zeroed when reset returns, and it stays that way. */
	vqt_sleep_ms(100);
	ring = q.ring_map;
	for (i = 0; i < q.cr.ring_off.ring_bytes; i++)
		ASSERT_EQ(0, ring[i]) TH_LOG("ring byte %u written after reset", i);
	ASSERT_EQ(0, vqt_status(self->fd, q.id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_EQ(0, st.last_avail_idx);
	EXPECT_EQ(0, st.used_idx);
	vqt_queue_destroy(&q);
}

TEST_F(td, munmap_then_destroy_then_close)
{
	struct vqt_queue q;

	ASSERT_EQ(0, load_queue(self->fd, &q));
	vqt_queue_unmap(&q);
	ASSERT_EQ(0, vqt_destroy(self->fd, q.id));
	vqt_queue_close_fds(&q);
}

TEST_F(td, close_then_munmap_busy)
{
	struct vqt_queue a, b;

	ASSERT_EQ(0, load_queue(self->fd, &a));
	ASSERT_EQ(0, load_queue(self->fd, &b));
	close(self->fd);
	self->fd = -1;
	vqt_queue_unmap(&b);
	vqt_sleep_ms(20);
	vqt_queue_unmap(&a);
	vqt_queue_close_fds(&a);
	vqt_queue_close_fds(&b);
}

TEST_F(td, user_closes_eventfds_kernel_still_signals)
{
	struct vqt_queue q;
	struct vqchar_queue_status st;
	uint64_t deadline;
	int kick;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 8, VQCHAR_DEV_SINK, 0, 1, 64));
	/* Keep only a dup of kick; the kernel holds call and err alone. */
	kick = dup(q.kick);
	ASSERT_LE(0, kick);
	vqt_queue_close_fds(&q);
	q.kick = kick;
	vq_drv_desc_write(&q.r, 0, 0, 64, 0, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	/* Break it: the err eventfd nobody else holds gets signalled. */
	vq_drv_avail_fill(&q.r, q.avail_idx++, 100);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	deadline = vqt_now_ms() + VQT_TIMEOUT_MS;
	do {
		ASSERT_EQ(0, vqt_status(self->fd, q.id, &st));
		if (st.status)
			break;
		vqt_sleep_ms(5);
	} while (vqt_now_ms() < deadline);
	EXPECT_EQ(VQCHAR_STATUS_BROKEN, st.status);
	vqt_queue_destroy(&q);
}

/*
 * A loopback chain of 60 readable and 60 writable segments, each the whole
 * pool (segments may overlap): about 4 GiB to copy, far more than a test
 * can wait for.  Stopping the queue must cut it short.
 */
static int load_huge_chain(struct __test_metadata *_metadata, int fd, uint64_t max_pool,
			   struct vqt_queue *q)
{
	const uint32_t nseg = 120;
	uint32_t bufs = (uint32_t)((max_pool < (64ULL << 20) ? max_pool : 64ULL << 20) / 4096);
	uint64_t pool_bytes = (uint64_t)bufs * 4096;
	struct vq_desc *t;
	uint32_t i;

	if (bufs < 2)
		return -ENOSPC;
	ASSERT_EQ(0, vqt_queue_create(fd, q, 2, VQCHAR_DEV_LOOPBACK, VQCHAR_F_INDIRECT_DESC,
				      bufs, 4096));
	t = (struct vq_desc *)q->pool;
	for (i = 0; i < nseg; i++)
		t[i] = (struct vq_desc){
			cpu_to_le64(0), cpu_to_le32((uint32_t)pool_bytes),
			cpu_to_le16((i + 1 < nseg ? VQ_DESC_F_NEXT : 0) |
				    (i >= nseg / 2 ? VQ_DESC_F_WRITE : 0)),
			cpu_to_le16(i + 1) };
	vq_drv_desc_write(&q->r, 0, 0, nseg * sizeof(*t), VQ_DESC_F_INDIRECT, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(q));
	/* Let the device get going. */
	vqt_sleep_ms(200);
	return 0;
}

#define STOP_WITHIN_MS	3000

TEST_F_TIMEOUT(td, destroy_cuts_huge_chain_short, 60)
{
	struct vqt_queue q;
	uint64_t t0;

	ASSERT_EQ(0, load_huge_chain(_metadata, self->fd, self->ver.max_pool_bytes, &q));
	t0 = vqt_now_ms();
	ASSERT_EQ(0, vqt_destroy(self->fd, q.id));
	EXPECT_GT(STOP_WITHIN_MS, vqt_now_ms() - t0);
	TH_LOG("destroy took %llu ms", (unsigned long long)(vqt_now_ms() - t0));
	vqt_queue_unmap(&q);
	vqt_queue_close_fds(&q);
}

TEST_F_TIMEOUT(td, reset_cuts_huge_chain_short, 60)
{
	struct vqchar_queue_status st;
	struct vqt_queue q;
	uint64_t t0;

	ASSERT_EQ(0, load_huge_chain(_metadata, self->fd, self->ver.max_pool_bytes, &q));
	t0 = vqt_now_ms();
	ASSERT_EQ(0, vqt_reset(self->fd, q.id));
	EXPECT_GT(STOP_WITHIN_MS, vqt_now_ms() - t0);
	ASSERT_EQ(0, vqt_status(self->fd, q.id, &st));
	EXPECT_EQ(0, st.used_idx);
	EXPECT_EQ(0, le16_to_cpu(*q.r.used_idx));
	vqt_queue_destroy(&q);
}

TEST_F_TIMEOUT(td, close_cuts_huge_chain_short, 60)
{
	struct vqt_queue q;
	uint64_t t0;

	ASSERT_EQ(0, load_huge_chain(_metadata, self->fd, self->ver.max_pool_bytes, &q));
	vqt_queue_unmap(&q);
	t0 = vqt_now_ms();
	close(self->fd);
	self->fd = -1;
	EXPECT_GT(STOP_WITHIN_MS, vqt_now_ms() - t0);
	vqt_queue_close_fds(&q);
}

TEST_F(td, fdinfo_while_busy)
{
	struct vqt_queue a, b;
	char path[64], buf[4096];
	ssize_t n;
	int i, f;

	ASSERT_EQ(0, load_queue(self->fd, &a));
	ASSERT_EQ(0, vqt_queue_create(self->fd, &b, 8, VQCHAR_DEV_SINK, 0, 1, 8));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
	for (i = 0; i < 20; i++) {
		f = open(path, O_RDONLY);
		ASSERT_LE(0, f);
		n = read(f, buf, sizeof(buf) - 1);
		close(f);
		ASSERT_LT(0, n);
		if (i == 10)
			ASSERT_EQ(0, vqt_destroy(self->fd, b.id));
	}
	vqt_queue_unmap(&b);
	vqt_queue_close_fds(&b);
	vqt_queue_destroy(&a);
}

/* ---- threads ---- */

struct kicker {
	int efd;
	volatile int stop;
	unsigned long n;
};

static void *kick_loop(void *arg)
{
	struct kicker *k = arg;
	uint64_t one = 1;

	while (!k->stop) {
		if (write(k->efd, &one, sizeof(one)) == sizeof(one))
			k->n++;
	}
	return NULL;
}

TEST_F_TIMEOUT(td, destroy_while_kicking, 60)
{
	struct kicker k = { .efd = vqt_eventfd() };
	pthread_t t;
	int i;

	ASSERT_LE(0, k.efd);
	ASSERT_EQ(0, pthread_create(&t, NULL, kick_loop, &k));
	for (i = 0; i < 30; i++) {
		struct vqchar_queue_create c;
		struct vqt_queue q;

		/* The shared kick eventfd is hammered by the thread throughout. */
		vqt_create_args(&c, 64, i % 3 + 1, VQCHAR_F_EVENT_IDX, 64, 256, k.efd, -1, -1);
		ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
		memset(&q, 0, sizeof(q));
		q.fd = self->fd;
		q.cr = c;
		q.id = c.queue_id;
		q.num = 64;
		q.call = q.err = q.kick = -1;
		ASSERT_EQ(0, vqt_queue_map(&q));
		/* Sink chains are valid for every device here. */
		for (uint16_t d = 0; d < 64; d++) {
			vq_drv_desc_write(&q.r, d, (uint64_t)d * 256, 256,
					  c.device == VQCHAR_DEV_SINK ? 0 : VQ_DESC_F_WRITE, 0);
			vq_drv_avail_fill(&q.r, q.avail_idx++, d);
		}
		vq_drv_avail_publish(&q.r, q.avail_idx);
		if (i & 1)
			vqt_sleep_ms(1);
		ASSERT_EQ(0, vqt_destroy(self->fd, q.id));
		vqt_queue_unmap(&q);
	}
	k.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%lu kicks", k.n);
	close(k.efd);
	check_alive(_metadata);
}

TEST_F_TIMEOUT(td, reset_while_kicking, 60)
{
	struct kicker k;
	struct vqt_queue q;
	pthread_t t;
	int i;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 64, VQCHAR_DEV_SOURCE, 0, 64, 256));
	k.efd = q.kick;
	k.stop = 0;
	k.n = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, kick_loop, &k));
	for (i = 0; i < 50; i++) {
		uint16_t d;

		for (d = 0; d < 64; d++) {
			vq_drv_desc_write(&q.r, d, (uint64_t)d * 256, 256, VQ_DESC_F_WRITE, 0);
			vq_drv_avail_fill(&q.r, d, d);
		}
		vq_drv_avail_publish(&q.r, 64);
		ASSERT_EQ(0, vqt_reset(self->fd, q.id));
	}
	k.stop = 1;
	pthread_join(t, NULL);
	vqt_queue_destroy(&q);
}

struct querier {
	int fd;
	volatile int stop;
	unsigned long ok;
};

static void *query_loop(void *arg)
{
	struct querier *qr = arg;
	uint32_t id = 0;

	while (!qr->stop) {
		struct vqchar_queue_stats s;
		struct vqchar_queue_status st;
		struct vqchar_queue_info in;

		id = (id + 1) % 8;
		qr->ok += !vqt_stats(qr->fd, id, &s);
		qr->ok += !vqt_status(qr->fd, id, &st);
		qr->ok += !vqt_info(qr->fd, id, &in);
		vqt_reset(qr->fd, id);
	}
	return NULL;
}

TEST_F_TIMEOUT(td, queries_race_create_destroy, 60)
{
	struct querier qr = { .fd = self->fd };
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, query_loop, &qr));
	for (i = 0; i < 200; i++) {
		struct vqt_queue q;

		ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 8, VQCHAR_DEV_SINK, 0, 8, 64));
		vqt_queue_destroy(&q);
	}
	qr.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%lu queries found a queue", qr.ok);
}

struct mapper {
	int fd;
	uint64_t off;
	size_t len;
	volatile int stop;
	unsigned long maps;
};

static void *map_loop(void *arg)
{
	struct mapper *m = arg;

	while (!m->stop) {
		uint8_t *p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd,
				  (off_t)m->off);

		if (p != MAP_FAILED) {
			p[0]++;
			munmap(p, m->len);
			m->maps++;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(td, mmap_races_destroy, 60)
{
	int i;

	for (i = 0; i < 30; i++) {
		struct mapper m = { .fd = self->fd };
		struct vqt_queue q;
		pthread_t t;

		ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 8, VQCHAR_DEV_SINK, 0, 4, 4096));
		m.off = q.cr.pool.offset;
		m.len = q.cr.pool.length;
		ASSERT_EQ(0, pthread_create(&t, NULL, map_loop, &m));
		vqt_sleep_ms(2);
		ASSERT_EQ(0, vqt_destroy(self->fd, q.id));
		vqt_sleep_ms(2);
		m.stop = 1;
		pthread_join(t, NULL);
		vqt_queue_unmap(&q);
		vqt_queue_close_fds(&q);
	}
}

/* ---- processes ---- */

TEST_F_TIMEOUT(td, sigkill_holding_busy_queues, 60)
{
	uint32_t nq = self->ver.max_queues < 8 ? self->ver.max_queues : 8;
	int round;

	for (round = 0; round < 3; round++) {
		int p[2], st;
		pid_t pid;
		char c;

		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct vqt_queue q[8];
			int fd = vqt_open();
			uint32_t i;

			close(p[0]);
			if (fd < 0)
				_exit(1);
			for (i = 0; i < nq; i++)
				if (load_queue(fd, &q[i]))
					_exit(2);
			if (write(p[1], "r", 1) != 1)
				_exit(3);
			/* Keep the devices busy until killed. */
			for (;;)
				for (i = 0; i < nq; i++)
					vqt_signal(q[i].kick);
		}
		close(p[1]);
		ASSERT_EQ(1, read(p[0], &c, 1));
		close(p[0]);
		vqt_sleep_ms(round * 10);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFSIGNALED(st));
	}
	check_alive(_metadata);
}

TEST_F_TIMEOUT(td, sigkill_child_sharing_fd, 60)
{
	struct vqt_queue q;
	int p[2], st;
	pid_t pid;
	char c;

	/* The child uses our open file; killing it leaves our file working. */
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		if (load_queue(self->fd, &q))
			_exit(2);
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			vqt_signal(q.kick);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_SINK, 0, 1, 16));
	vqt_queue_destroy(&q);
	/* The child's queue is still in our file; closing it cleans up. */
}

TEST_F_TIMEOUT(td, open_close_many, 60)
{
	int i;

	for (i = 0; i < 100; i++) {
		struct vqt_queue q;
		int fd = vqt_open();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, vqt_queue_create(fd, &q, 16, i % 3 + 1, VQCHAR_F_ALL, 2, 100));
		if (i & 1)
			vqt_queue_unmap(&q);
		close(fd);
		vqt_queue_unmap(&q);
		vqt_queue_close_fds(&q);
	}
}

TEST_HARNESS_MAIN
