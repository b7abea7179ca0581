// SPDX-License-Identifier: GPL-2.0
/*
 * The memory a queue makes the kernel allocate (ring, pool, bookkeeping)
 * is charged to the memory cgroup of the process that created the queue,
 * and uncharged when the queue goes away.  Each test moves itself into a
 * fresh cgroup, so memory.current there counts only what it caused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "vq_test.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define POOL_BUFS	2048
#define POOL_BUF	4096
#define POOL_BYTES	((long long)POOL_BUFS * POOL_BUF)
/* memcg caches charges per CPU in batches; allow for that much slack. */
#define CHARGE_SLACK	(1024 * 1024)

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

static long long read_ll(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -EIO;
}

static int cgroup_enter(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return write_str(path, "0");
}

FIXTURE(memcg) {
	int fd;
	char dir[128];
	char current[160];
};

FIXTURE_SETUP(memcg)
{
	char path[160];

	self->dir[0] = '\0';
	self->fd = vqt_open();
	if (self->fd < 0)
		SKIP(return, "/dev/vqchar not present");
	snprintf(path, sizeof(path), "%s/cgroup.controllers", CG_ROOT);
	if (access(path, F_OK) && mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		SKIP(return, "cannot mount cgroup2 at %s (errno %d)", CG_ROOT, errno);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", CG_ROOT);
	if (write_str(path, "+memory"))
		SKIP(return, "the memory controller is not available");
	snprintf(self->dir, sizeof(self->dir), "%s/vqchar-memcg-%d", CG_ROOT, getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	snprintf(self->current, sizeof(self->current), "%s/memory.current", self->dir);
	ASSERT_EQ(0, cgroup_enter(self->dir));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->dir[0]) {
		cgroup_enter(CG_ROOT);
		rmdir(self->dir);
	}
}

static int create_sink(int fd, int kick, uint32_t *id)
{
	struct vqchar_queue_create c;
	int ret;

	vqt_create_args(&c, 256, VQCHAR_DEV_SINK, 0, POOL_BUFS, POOL_BUF, kick, -1, -1);
	ret = vqt_ioctl(fd, VQCHAR_IOC_CREATE_QUEUE, &c);
	if (!ret)
		*id = c.queue_id;
	return ret;
}

TEST_F(memcg, queue_memory_charged_then_uncharged)
{
	int kick = vqt_eventfd();
	long long before, during, after;
	uint32_t id;

	ASSERT_LE(0, kick);
	before = read_ll(self->current);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, create_sink(self->fd, kick, &id));
	during = read_ll(self->current);
	TH_LOG("memory.current: %lld before, %lld with an %lld-byte pool",
	       before, during, POOL_BYTES);
	EXPECT_LE(before + POOL_BYTES - CHARGE_SLACK, during);

	ASSERT_EQ(0, vqt_destroy(self->fd, id));
	after = read_ll(self->current);
	TH_LOG("memory.current: %lld after destroy", after);
	EXPECT_GE(before + CHARGE_SLACK, after);
	close(kick);
}

TEST_F(memcg, mapped_pool_stays_charged_until_munmap)
{
	struct vqt_queue q;
	long long before, mapped, unmapped;

	before = read_ll(self->current);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 256, VQCHAR_DEV_SINK, 0, POOL_BUFS,
				      POOL_BUF));
	/* Destroying the queue leaves the user mapping, and so its pages. */
	ASSERT_EQ(0, vqt_destroy(self->fd, q.id));
	mapped = read_ll(self->current);
	EXPECT_LE(before + POOL_BYTES - CHARGE_SLACK, mapped);
	q.pool[q.pool_len - 1] = 0x5a;

	vqt_queue_unmap(&q);
	vqt_queue_close_fds(&q);
	unmapped = read_ll(self->current);
	TH_LOG("memory.current: %lld before, %lld mapped after destroy, %lld after munmap",
	       before, mapped, unmapped);
	EXPECT_GE(before + CHARGE_SLACK, unmapped);
}

TEST_F(memcg, other_cgroup_not_charged)
{
	char parent_current[160];
	long long before, during;
	int kick = vqt_eventfd();
	uint32_t id;

	/* The root cgroup has no memory.current; compare the test's own. */
	snprintf(parent_current, sizeof(parent_current), "%s", self->current);
	ASSERT_LE(0, kick);
	/* Leave the cgroup: the queue is now created from the root. */
	ASSERT_EQ(0, cgroup_enter(CG_ROOT));
	before = read_ll(parent_current);
	ASSERT_EQ(0, create_sink(self->fd, kick, &id));
	during = read_ll(parent_current);
	EXPECT_GE(before + CHARGE_SLACK, during);
	ASSERT_EQ(0, vqt_destroy(self->fd, id));
	close(kick);
}

#define EXT_FILES	2
#define EXT_PER_FILE	64
#define EXT_NUM		256

/*
 * An external queue costs its ring (rounded up to a page) and its pool,
 * plus a small struct: the kernel keeps no device scratch and no kernel
 * mapping of the pool for it.  Averaged over many queues so that the
 * memcg's per-CPU charge batches (64 pages a CPU) hardly count.
 */
TEST_F(memcg, external_queue_costs_ring_and_pool)
{
	long long before, during, per_queue, bound;
	struct vqchar_queue_create c;
	int fds[EXT_FILES], f, i, n = 0;
	long pg = vqt_page_size();
	uint32_t ring_bytes = 0;

	before = read_ll(self->current);
	ASSERT_LE(0, before);
	for (f = 0; f < EXT_FILES; f++) {
		fds[f] = vqt_open();
		ASSERT_LE(0, fds[f]);
		for (i = 0; i < EXT_PER_FILE; i++) {
			vqt_create_args(&c, EXT_NUM, VQCHAR_DEV_EXTERNAL, 0, 1, (uint32_t)pg,
					-1, -1, -1);
			if (vqt_ioctl(fds[f], VQCHAR_IOC_CREATE_QUEUE, &c))
				break;
			ring_bytes = c.ring_off.ring_bytes;
			n++;
		}
	}
	ASSERT_LT(EXT_PER_FILE, n);
	during = read_ll(self->current);
	per_queue = (during - before) / n;
	/* The spec's ring plus a page, the pool page, 1 KiB of struct. */
	bound = ring_bytes + pg + pg + 1024 + 2LL * 64 * pg / n;
	TH_LOG("%d external queues (num %d, ring %u bytes): %lld bytes each, bound %lld",
	       n, EXT_NUM, ring_bytes, per_queue, bound);
	EXPECT_GE(bound, per_queue);
	for (f = 0; f < EXT_FILES; f++)
		close(fds[f]);
}

TEST_HARNESS_MAIN
