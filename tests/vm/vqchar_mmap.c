// SPDX-License-Identifier: GPL-2.0
/*
 * vqchar mmap: the regions a queue returns, the mappings the kernel
 * refuses, and how long an accepted mapping stays usable.
 */

#include "vq_test.h"

#define NUM	64
#define BUF_COUNT	16
#define BUF_SIZE	1024	/* 16 KiB pool: several pages */

FIXTURE(vqmap)
{
	int fd;
	long pg;
	struct vqt_queue q;	/* created, mapped by the fixture */
	struct vqchar_queue_create *c;
};

FIXTURE_SETUP(vqmap)
{
	self->pg = vqt_page_size();
	self->fd = vqt_open();
	if (self->fd == -ENOENT || self->fd == -ENODEV || self->fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &self->q, NUM, VQCHAR_DEV_LOOPBACK, 0,
				      BUF_COUNT, BUF_SIZE));
	self->c = &self->q.cr;
	ASSERT_LE(2 * self->pg, (long)self->c->pool.length);
}

FIXTURE_TEARDOWN(vqmap)
{
	if (self->fd < 0)
		return;
	vqt_queue_unmap(&self->q);
	vqt_queue_close_fds(&self->q);
	close(self->fd);
}

static void *map(FIXTURE_DATA(vqmap) *self, size_t len, int prot, int flags, uint64_t off)
{
	return mmap(NULL, len, prot, flags, self->fd, (off_t)off);
}

#define EXPECT_MAP_FAILS(err, p) do {						\
	void *__p = (p);							\
	EXPECT_EQ(MAP_FAILED, __p);						\
	if (__p != MAP_FAILED)							\
		munmap(__p, 1);							\
	else									\
		EXPECT_EQ(err, errno);						\
} while (0)

/* ---- accepted mappings ---- */

TEST_F(vqmap, map_ring_and_pool)
{
	struct vqt_queue *q = &self->q;

	/* The fixture's mappings work: zeroed ring, writable pool. */
	EXPECT_EQ(0, le16_to_cpu(*q->r.avail_idx));
	EXPECT_EQ(0, le16_to_cpu(*q->r.used_idx));
	q->pool[0] = 0x5a;
	q->pool[q->pool_len - 1] = 0xa5;
	EXPECT_EQ(0x5a, q->pool[0]);
	EXPECT_EQ(0xa5, q->pool[q->pool_len - 1]);
}

TEST_F(vqmap, map_twice_shares_pages)
{
	uint8_t *a = map(self, self->c->pool.length, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->c->pool.offset);

	ASSERT_NE(MAP_FAILED, a);
	a[100] = 0x42;
	EXPECT_EQ(0x42, self->q.pool[100]);
	self->q.pool[self->c->pool.length - 2] = 0x17;
	EXPECT_EQ(0x17, a[self->c->pool.length - 2]);
	munmap(a, self->c->pool.length);
}

TEST_F(vqmap, map_second_page_of_pool)
{
	/* A mapping may start at any page inside a region. */
	uint8_t *a = map(self, self->pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->c->pool.offset + self->pg);

	ASSERT_NE(MAP_FAILED, a);
	a[1] = 0x33;
	EXPECT_EQ(0x33, self->q.pool[self->pg + 1]);
	munmap(a, self->pg);
}

TEST_F(vqmap, map_read_only)
{
	uint8_t *a = map(self, self->c->ring.length, PROT_READ, MAP_SHARED,
			 self->c->ring.offset);

	ASSERT_NE(MAP_FAILED, a);
	EXPECT_EQ(0, a[0]);
	munmap(a, self->c->ring.length);
}

TEST_F(vqmap, map_partial_length)
{
	/* Shorter than the region is fine. */
	uint8_t *a = map(self, self->pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->c->pool.offset);

	ASSERT_NE(MAP_FAILED, a);
	munmap(a, self->pg);
}

/* ---- refused mappings ---- */

TEST_F(vqmap, map_unknown_offset_after_regions)
{
	uint64_t end = self->c->ring.offset + self->c->ring.length;

	if (self->c->pool.offset + self->c->pool.length > end)
		end = self->c->pool.offset + self->c->pool.length;
	/* Well past both regions of the only queue. */
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED,
				     end + 1024 * (uint64_t)self->pg));
}

TEST_F(vqmap, map_unknown_offset_high)
{
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED,
				     0x7ffff0000000ULL & ~((uint64_t)self->pg - 1)));
}

TEST_F(vqmap, map_offset_of_destroyed_queue)
{
	struct vqt_queue q2;
	uint64_t ring_off, pool_off;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q2, 8, VQCHAR_DEV_SINK, 0, 1, 64));
	ring_off = q2.cr.ring.offset;
	pool_off = q2.cr.pool.offset;
	ASSERT_EQ(0, vqt_queue_destroy(&q2));
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED, ring_off));
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED, pool_off));
}

TEST_F(vqmap, map_other_files_offset)
{
	int fd2 = vqt_open();

	/* Offsets name queues of one open file; another file has none. */
	ASSERT_LE(0, fd2);
	EXPECT_MAP_FAILS(EINVAL, mmap(NULL, self->pg, PROT_READ, MAP_SHARED, fd2,
				      (off_t)self->c->pool.offset));
	close(fd2);
}

TEST_F(vqmap, map_no_alias_offsets)
{
	const struct vqchar_region *reg[2] = { &self->c->ring, &self->c->pool };
	int r, b;

	/*
	 * Flip each offset bit above the page: the result is either inside one
	 * of the queue's two regions, or refused.  Anything else would be a
	 * second name for memory the kernel did not hand out.
	 */
	for (r = 0; r < 2; r++) {
		for (b = __builtin_ctzl(self->pg); b < 47; b++) {
			uint64_t off = reg[r]->offset ^ (1ULL << b);
			bool known = false;
			void *p;
			int i;

			for (i = 0; i < 2; i++)
				known |= off >= reg[i]->offset &&
					 off < reg[i]->offset + reg[i]->length;
			if (known)
				continue;
			p = map(self, self->pg, PROT_READ, MAP_SHARED, off);
			EXPECT_EQ(MAP_FAILED, p) TH_LOG("offset %#llx (bit %d) mapped",
							(unsigned long long)off, b);
			if (p != MAP_FAILED)
				munmap(p, self->pg);
		}
	}
}

TEST_F(vqmap, map_ring_length_beyond_region)
{
	EXPECT_MAP_FAILS(EINVAL, map(self, self->c->ring.length + self->pg,
				     PROT_READ | PROT_WRITE, MAP_SHARED, self->c->ring.offset));
}

TEST_F(vqmap, map_pool_length_beyond_region)
{
	EXPECT_MAP_FAILS(EINVAL, map(self, self->c->pool.length + self->pg,
				     PROT_READ | PROT_WRITE, MAP_SHARED, self->c->pool.offset));
}

TEST_F(vqmap, map_inside_region_length_beyond)
{
	/* Starts on the pool's last page, runs one page past it. */
	EXPECT_MAP_FAILS(EINVAL, map(self, 2 * self->pg, PROT_READ | PROT_WRITE, MAP_SHARED,
				     self->c->pool.offset + self->c->pool.length - self->pg));
}

TEST_F(vqmap, map_at_region_end)
{
	/* The first page after the pool is not part of it. */
	uint64_t off = self->c->pool.offset + self->c->pool.length;

	if (off == self->c->ring.offset)
		SKIP(return, "ring region directly follows the pool");
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED, off));
}

TEST_F(vqmap, map_private)
{
	EXPECT_MAP_FAILS(EINVAL, map(self, self->c->pool.length, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE, self->c->pool.offset));
}

TEST_F(vqmap, map_private_read_only)
{
	EXPECT_MAP_FAILS(EINVAL, map(self, self->c->ring.length, PROT_READ, MAP_PRIVATE,
				     self->c->ring.offset));
}

TEST_F(vqmap, map_exec)
{
	EXPECT_MAP_FAILS(EPERM, map(self, self->c->pool.length,
				    PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED,
				    self->c->pool.offset));
}

TEST_F(vqmap, map_exec_ring)
{
	EXPECT_MAP_FAILS(EPERM, map(self, self->c->ring.length, PROT_READ | PROT_EXEC,
				    MAP_SHARED, self->c->ring.offset));
}

TEST_F(vqmap, mprotect_exec)
{
	EXPECT_NE(0, mprotect(self->q.pool, self->q.pool_len, PROT_READ | PROT_EXEC));
	EXPECT_NE(0, mprotect(self->q.ring_map, self->q.ring_len,
			      PROT_READ | PROT_WRITE | PROT_EXEC));
	/* Still readable and writable afterwards. */
	self->q.pool[0] = 1;
	EXPECT_EQ(1, self->q.pool[0]);
}

TEST_F(vqmap, map_unaligned_offset)
{
	/* mmap itself refuses an offset that is not page aligned. */
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED,
				     self->c->pool.offset + 1));
}

/* ---- lifetime ---- */

TEST_F(vqmap, mapping_survives_close)
{
	struct vqt_queue *q = &self->q;
	size_t i;

	q->pool[10] = 0x77;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* Mappings hold the pages: still readable and writable. */
	EXPECT_EQ(0x77, q->pool[10]);
	for (i = 0; i < q->pool_len; i += 512)
		q->pool[i] = (uint8_t)i;
	for (i = 0; i < q->pool_len; i += 512)
		EXPECT_EQ((uint8_t)i, q->pool[i]);
	*q->r.avail_idx = cpu_to_le16(3);
	EXPECT_EQ(3, le16_to_cpu(*q->r.avail_idx));
	vqt_queue_unmap(q);
	vqt_queue_close_fds(q);
}

TEST_F(vqmap, mapping_survives_destroy)
{
	struct vqt_queue *q = &self->q;
	struct vqt_queue q2;

	q->pool[20] = 0x66;
	ASSERT_EQ(0, vqt_destroy(self->fd, q->id));
	EXPECT_EQ(0x66, q->pool[20]);
	q->pool[q->pool_len - 1] = 0x99;
	EXPECT_EQ(0x99, q->pool[q->pool_len - 1]);
	*q->r.used_idx = cpu_to_le16(7);
	EXPECT_EQ(7, le16_to_cpu(*q->r.used_idx));
	/* A new queue gets fresh, zeroed memory, not the old pages. */
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q2, NUM, VQCHAR_DEV_LOOPBACK, 0,
				      BUF_COUNT, BUF_SIZE));
	EXPECT_EQ(0, q2.pool[20]);
	EXPECT_EQ(0, le16_to_cpu(*q2.r.used_idx));
	vqt_queue_destroy(&q2);
	EXPECT_EQ(0x66, q->pool[20]);
}

TEST_F(vqmap, mapping_survives_destroy_and_close)
{
	struct vqt_queue *q = &self->q;

	ASSERT_EQ(0, vqt_destroy(self->fd, q->id));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	q->pool[0] = 0x12;
	EXPECT_EQ(0x12, q->pool[0]);
	vqt_queue_unmap(q);
	vqt_queue_close_fds(q);
}

TEST_F(vqmap, map_after_destroy_before_unmap_refused)
{
	struct vqt_queue *q = &self->q;

	ASSERT_EQ(0, vqt_destroy(self->fd, q->id));
	/* The old mapping lives on, a new one is refused. */
	EXPECT_MAP_FAILS(EINVAL, map(self, self->pg, PROT_READ, MAP_SHARED,
				     q->cr.pool.offset));
	EXPECT_EQ(0, q->pool[0]);
}

TEST_F(vqmap, munmap_partial_then_rest)
{
	struct vqt_queue *q = &self->q;

	ASSERT_EQ(0, munmap(q->pool, self->pg));
	q->pool[self->pg] = 3;
	EXPECT_EQ(3, q->pool[self->pg]);
	ASSERT_EQ(0, munmap(q->pool + self->pg, q->pool_len - self->pg));
	q->pool = NULL;
}

TEST_F(vqmap, mapping_inherited_by_fork)
{
	struct vqt_queue *q = &self->q;
	pid_t pid;
	int st;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		q->pool[5] = 0xee;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	/* MAP_SHARED: the child's store is ours. */
	EXPECT_EQ(0xee, q->pool[5]);
}

TEST_F(vqmap, mremap_grow_refused)
{
	struct vqt_queue *q = &self->q;
	pid_t pid;
	void *p;
	int st;

	/* Growing past the region must not expose anything new. */
	p = mremap(q->pool, q->pool_len, q->pool_len + 4 * self->pg, MREMAP_MAYMOVE);
	if (p != MAP_FAILED) {
		/* Allowed only if the tail faults: check no page beyond reads. */
		TH_LOG("mremap grow accepted; touching the tail must fault");
		q->pool = p;
		q->pool_len += 4 * self->pg;
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			volatile uint8_t v = q->pool[q->pool_len - 1];

			(void)v;
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFSIGNALED(st));
	}
}

TEST_HARNESS_MAIN
