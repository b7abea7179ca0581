// SPDX-License-Identifier: GPL-2.0
/*
 * What a queue costs its owner and nobody else: the device's CPU time is
 * the creator's cgroup's (and obeys its cpu.max), ring and pool pages
 * count against RLIMIT_MEMLOCK, a polling device needs no kicks, and a
 * worker busy with a huge chain stalls neither STATS, fdinfo nor mmap.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "vq_test.h"

#define CG_ROOT		"/sys/fs/cgroup"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

/* The value of @key in a flat-keyed cgroup file, or -errno. */
static long long read_key(const char *path, const char *key)
{
	char line[128];
	long long v = -ENOENT;
	size_t kl = strlen(key);
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			v = atoll(line + kl + 1);
	fclose(f);
	return v;
}

static uint64_t self_cpu_usec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* ---- CPU: the worker is charged to, and limited by, the owner's cgroup ---- */

#define CPU_QUOTA_US	20000
#define CPU_PERIOD_US	100000
#define CPU_RUN_MS	4000
#define COPY_BYTES	(1u << 20)

FIXTURE(cpu_cgroup) {
	int fd;
	char dir[128];
};

FIXTURE_SETUP(cpu_cgroup)
{
	char path[192], val[64];

	self->dir[0] = '\0';
	self->fd = vqt_open();
	if (self->fd < 0)
		SKIP(return, "/dev/vqchar not present");
	snprintf(path, sizeof(path), "%s/cgroup.controllers", CG_ROOT);
	if (access(path, F_OK) && mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		SKIP(return, "cannot mount cgroup2 at %s (errno %d)", CG_ROOT, errno);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", CG_ROOT);
	if (write_str(path, "+cpu"))
		SKIP(return, "the cpu controller is not available");
	snprintf(self->dir, sizeof(self->dir), "%s/vqchar-cpu-%d", CG_ROOT, getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	snprintf(path, sizeof(path), "%s/cpu.max", self->dir);
	snprintf(val, sizeof(val), "%d %d", CPU_QUOTA_US, CPU_PERIOD_US);
	ASSERT_EQ(0, write_str(path, val));
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->dir);
	ASSERT_EQ(0, write_str(path, "0"));
}

FIXTURE_TEARDOWN(cpu_cgroup)
{
	char path[192];

	if (self->fd >= 0)
		close(self->fd);
	if (self->dir[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", CG_ROOT);
		write_str(path, "0");
		/* The queue's worker leaves with the queue: wait for that. */
		for (int i = 0; i < 100 && rmdir(self->dir); i++)
			vqt_sleep_ms(50);
	}
}

/*
 * The driver keeps a loopback queue busy copying COPY_BYTES per chain and
 * sleeps on the call eventfd in between, so nearly all the CPU time is the
 * device's.  A worker outside the cgroup (a shared kworker) would leave
 * usage_usec at the driver's own time and ignore cpu.max.
 */
TEST_F_TIMEOUT(cpu_cgroup, busy_device_is_charged_and_limited, 120)
{
	long long usage0, usage, throttled;
	uint64_t own0, own, t0, wall_ms;
	char stat[192];
	struct vqt_queue q;
	unsigned int chains = 0;

	snprintf(stat, sizeof(stat), "%s/cpu.stat", self->dir);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 2, VQCHAR_DEV_LOOPBACK, 0, 2, COPY_BYTES));
	usage0 = read_key(stat, "usage_usec");
	ASSERT_LE(0, usage0);
	own0 = self_cpu_usec();
	t0 = vqt_now_ms();
	while (vqt_now_ms() - t0 < CPU_RUN_MS) {
		uint16_t old = q.avail_idx;

		vq_drv_desc_write(&q.r, 0, 0, COPY_BYTES, VQ_DESC_F_NEXT, 1);
		vq_drv_desc_write(&q.r, 1, COPY_BYTES, COPY_BYTES, VQ_DESC_F_WRITE, 0);
		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		ASSERT_EQ(0, vqt_publish(&q, old));
		/*
		 * Throttled at 20% in a guest that may get little of a
		 * loaded host, a chain may take a while: wait long.
		 */
		while (vq_drv_used_pending(&q.r, q.last_used) < 1 &&
		       vqt_now_ms() - t0 < CPU_RUN_MS + 60000)
			vqt_wait_eventfd(q.call, 100);
		ASSERT_EQ(1, vq_drv_used_pending(&q.r, q.last_used));
		q.last_used++;
		chains++;
	}
	wall_ms = vqt_now_ms() - t0;
	own = self_cpu_usec() - own0;
	usage = read_key(stat, "usage_usec") - usage0;
	throttled = read_key(stat, "nr_throttled");
	TH_LOG("%u chains in %llu ms: cgroup %lld us, driver %llu us, throttled %lld",
	       chains, (unsigned long long)wall_ms, usage, (unsigned long long)own, throttled);
	/* The device's copies are the cgroup's: far more than the driver's own. */
	EXPECT_LT(2 * own + 200000, (uint64_t)usage);
	/* ...and within its quota, with a generous allowance for emulation. */
	EXPECT_GT(wall_ms * 1000 * CPU_QUOTA_US / CPU_PERIOD_US * 2 + 300000, (uint64_t)usage);
	EXPECT_LT(0, throttled);
	vqt_queue_destroy(&q);
}

/* ---- memory: RLIMIT_MEMLOCK of the creator's user ---- */

/* An external queue: one ring page, @pool_pages pool pages, no eventfds. */
static int create_external(int fd, uint32_t pool_pages, uint32_t *id)
{
	struct vqchar_queue_create c;
	int ret;

	vqt_create_args(&c, 8, VQCHAR_DEV_EXTERNAL, 0, pool_pages, (uint32_t)vqt_page_size(),
			-1, -1, -1);
	ret = vqt_ioctl(fd, VQCHAR_IOC_CREATE_QUEUE, &c);
	if (!ret)
		*id = c.queue_id;
	return ret;
}

static void set_memlock(struct __test_metadata *_metadata, long pages)
{
	struct rlimit rl = { .rlim_cur = pages * vqt_page_size(),
			     .rlim_max = pages * vqt_page_size() };

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &rl));
}

/* Without CAP_IPC_LOCK (a user other than root), pages count: ENOMEM. */
TEST(memlock_limits_unprivileged_creator)
{
	uint32_t a, b, c;
	int fd = vqt_open();

	if (fd < 0)
		SKIP(return, "/dev/vqchar not present");
	set_memlock(_metadata, 16);
	/* A user of its own, so nothing else is charged to it. */
	ASSERT_EQ(0, setresgid(64999, 64999, 64999));
	ASSERT_EQ(0, setresuid(64999, 64999, 64999));
	/* 1 + 7 pages fit in 16, twice; a third queue does not. */
	ASSERT_EQ(0, create_external(fd, 7, &a));
	ASSERT_EQ(0, create_external(fd, 7, &b));
	EXPECT_EQ(-ENOMEM, create_external(fd, 7, &c));
	/* A smaller one still fits nowhere: the limit is 16 pages in all. */
	EXPECT_EQ(-ENOMEM, create_external(fd, 1, &c));
	/* Destroy gives the pages back. */
	ASSERT_EQ(0, vqt_destroy(fd, a));
	EXPECT_EQ(0, create_external(fd, 7, &c));
	close(fd);
}

/* The limit counts pages of every file of the user, not per file. */
TEST(memlock_counts_across_files)
{
	int fd1 = vqt_open(), fd2 = vqt_open();
	uint32_t a, b;

	if (fd1 < 0 || fd2 < 0)
		SKIP(return, "/dev/vqchar not present");
	set_memlock(_metadata, 16);
	ASSERT_EQ(0, setresgid(64998, 64998, 64998));
	ASSERT_EQ(0, setresuid(64998, 64998, 64998));
	ASSERT_EQ(0, create_external(fd1, 11, &a));
	EXPECT_EQ(-ENOMEM, create_external(fd2, 11, &b));
	/* Closing the first file (nothing mapped) frees its queue's pages. */
	close(fd1);
	EXPECT_EQ(0, create_external(fd2, 11, &b));
	close(fd2);
}

/* CAP_IPC_LOCK (root here) is not limited by RLIMIT_MEMLOCK. */
TEST(memlock_not_applied_with_cap_ipc_lock)
{
	uint32_t a;
	int fd = vqt_open();

	if (fd < 0)
		SKIP(return, "/dev/vqchar not present");
	if (geteuid())
		SKIP(return, "needs root");
	set_memlock(_metadata, 1);
	EXPECT_EQ(0, create_external(fd, 64, &a));
	close(fd);
}

/* ---- polling ---- */

FIXTURE(poll) {
	int fd;
	struct vqchar_version ver;
};

FIXTURE_SETUP(poll)
{
	self->fd = vqt_open();
	if (self->fd < 0)
		SKIP(return, "/dev/vqchar not present");
	ASSERT_EQ(0, vqt_get_version(self->fd, &self->ver));
}

FIXTURE_TEARDOWN(poll)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int create_polling(int fd, struct vqt_queue *q, uint32_t device, uint32_t poll_usecs)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->num = 8;
	q->device = device;
	q->buf_count = 4;
	q->buf_size = 64;
	q->kick = vqt_eventfd();
	q->call = vqt_eventfd();
	q->err = vqt_eventfd();
	vqt_create_args(&q->cr, 8, device, 0, 4, 64, q->kick, q->call, q->err);
	q->cr.poll_usecs = poll_usecs;
	if (vqt_ioctl(fd, VQCHAR_IOC_CREATE_QUEUE, &q->cr)) {
		int ret = -errno;

		vqt_queue_close_fds(q);
		return ret;
	}
	q->id = q->cr.queue_id;
	return vqt_queue_map(q);
}

TEST_F(poll, version_reports_a_budget)
{
	EXPECT_LT(0, self->ver.max_poll_usecs);
}

TEST_F(poll, over_budget_refused)
{
	struct vqt_queue q;

	EXPECT_EQ(-EINVAL, create_polling(self->fd, &q, VQCHAR_DEV_SINK,
					  self->ver.max_poll_usecs + 1));
}

TEST_F(poll, external_queue_cannot_poll)
{
	struct vqt_queue q;

	EXPECT_EQ(-EINVAL, create_polling(self->fd, &q, VQCHAR_DEV_EXTERNAL, 1));
}

TEST_F(poll, info_reports_budget)
{
	struct vqchar_queue_info info;
	struct vqt_queue q;

	ASSERT_EQ(0, create_polling(self->fd, &q, VQCHAR_DEV_SINK, self->ver.max_poll_usecs));
	ASSERT_EQ(0, vqt_info(self->fd, q.id, &info));
	EXPECT_EQ(self->ver.max_poll_usecs, info.poll_usecs);
	vqt_queue_destroy(&q);
}

#define POLL_CHAINS	200

/*
 * A driver that refills at once finds kicks off: the polling device picks
 * the chains up itself.  Emulation may preempt the driver past the
 * budget, so some kicks are allowed, not one per chain.
 */
TEST_F_TIMEOUT(poll, busy_driver_needs_few_kicks, 120)
{
	struct vqchar_queue_stats st;
	struct vqt_queue q;
	unsigned int i;

	ASSERT_EQ(0, create_polling(self->fd, &q, VQCHAR_DEV_LOOPBACK, self->ver.max_poll_usecs));
	vq_drv_desc_write(&q.r, 0, 0, 64, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 64, 64, VQ_DESC_F_WRITE, 0);
	for (i = 0; i < POLL_CHAINS; i++) {
		uint16_t old = q.avail_idx;
		uint64_t t0 = vqt_now_ms();

		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		ASSERT_EQ(0, vqt_publish(&q, old));
		/* Spin for the used entry, as a busy driver does. */
		while (vq_drv_used_pending(&q.r, q.last_used) < 1 &&
		       vqt_now_ms() - t0 < VQT_TIMEOUT_MS)
			;
		ASSERT_EQ(1, vq_drv_used_pending(&q.r, q.last_used));
		q.last_used++;
	}
	ASSERT_EQ(0, vqt_stats(self->fd, q.id, &st));
	TH_LOG("%u chains: %llu kicks, %llu polled", POLL_CHAINS,
	       (unsigned long long)st.kicks, (unsigned long long)st.polled);
	EXPECT_EQ(POLL_CHAINS, st.chains);
	EXPECT_EQ(st.kicks, q.kicks_sent);
	/*
	 * Without a budget every chain is kicked (no_budget_means_kicks).  An
	 * emulated guest on a busy host loses its CPUs for longer than the
	 * budget now and then, so ask for most chains, not nearly all.
	 */
	EXPECT_GT(POLL_CHAINS * 3 / 4, st.kicks);
	EXPECT_LT(POLL_CHAINS / 4, st.polled);
	vqt_queue_destroy(&q);
}

/* Without a budget every chain of the same driver is kicked. */
TEST_F_TIMEOUT(poll, no_budget_means_kicks, 120)
{
	struct vqchar_queue_stats st;
	struct vqt_queue q;
	unsigned int i;

	ASSERT_EQ(0, create_polling(self->fd, &q, VQCHAR_DEV_LOOPBACK, 0));
	vq_drv_desc_write(&q.r, 0, 0, 64, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 64, 64, VQ_DESC_F_WRITE, 0);
	for (i = 0; i < 50; i++) {
		uint16_t old = q.avail_idx;

		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		ASSERT_EQ(0, vqt_publish(&q, old));
		ASSERT_EQ(1, vqt_wait_used(&q, 1));
		q.last_used++;
	}
	ASSERT_EQ(0, vqt_stats(self->fd, q.id, &st));
	EXPECT_EQ(50, st.kicks);
	EXPECT_EQ(0, st.polled);
	vqt_queue_destroy(&q);
}

/* ---- stalls: a huge chain holds up nobody but its own queue ---- */

FIXTURE(stall) {
	int fd;
	struct vqchar_version ver;
};

FIXTURE_SETUP(stall)
{
	self->fd = vqt_open();
	if (self->fd < 0)
		SKIP(return, "/dev/vqchar not present");
	ASSERT_EQ(0, vqt_get_version(self->fd, &self->ver));
}

FIXTURE_TEARDOWN(stall)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * One chain of 120 indirect segments over the whole pool: the loopback
 * device moves the 4 GiB a used entry can report, which takes far longer
 * than any bound below, even on real hardware.
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
	vqt_sleep_ms(300);
	return 0;
}

/* Bound on each call while the chain runs; the chain takes far longer. */
#define QUICK_MS	1000

struct fdinfo_reader {
	int fd;
	uint64_t took_ms;
};

static void *read_fdinfo(void *arg)
{
	struct fdinfo_reader *r = arg;
	char path[64], buf[4096];
	uint64_t t0 = vqt_now_ms();
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", r->fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f >= 0) {
		while (read(f, buf, sizeof(buf)) > 0)
			;
		close(f);
	}
	r->took_ms = vqt_now_ms() - t0;
	return NULL;
}

TEST_F_TIMEOUT(stall, stats_status_fdinfo_mmap_while_huge_chain, 120)
{
	struct fdinfo_reader rd = { .fd = self->fd };
	struct vqchar_queue_status status;
	struct vqchar_queue_stats st;
	struct vqt_queue big, other;
	pthread_t th;
	uint64_t t0;
	void *m;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &other, 8, VQCHAR_DEV_SINK, 0, 4, 4096));
	ASSERT_EQ(0, load_huge_chain(_metadata, self->fd, self->ver.max_pool_bytes, &big));

	t0 = vqt_now_ms();
	ASSERT_EQ(0, vqt_stats(self->fd, big.id, &st));
	EXPECT_GT(QUICK_MS, vqt_now_ms() - t0);
	t0 = vqt_now_ms();
	ASSERT_EQ(0, vqt_status(self->fd, big.id, &status));
	EXPECT_GT(QUICK_MS, vqt_now_ms() - t0);
	EXPECT_EQ(0, status.used_idx);

	/* fdinfo of the busy file, and meanwhile an mmap of the other queue. */
	ASSERT_EQ(0, pthread_create(&th, NULL, read_fdinfo, &rd));
	vqt_sleep_ms(100);
	t0 = vqt_now_ms();
	m = mmap(NULL, other.ring_len, PROT_READ, MAP_SHARED, self->fd,
		 (off_t)other.cr.ring.offset);
	EXPECT_GT(QUICK_MS, vqt_now_ms() - t0);
	ASSERT_NE(MAP_FAILED, m);
	munmap(m, other.ring_len);
	pthread_join(th, NULL);
	EXPECT_GT(QUICK_MS + 100, rd.took_ms);

	/* The chain is still going: the bounds above meant something. */
	EXPECT_EQ(0, vq_drv_used_pending(&big.r, 0));
	vqt_queue_destroy(&big);
	vqt_queue_destroy(&other);
}

TEST_HARNESS_MAIN
