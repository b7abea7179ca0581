// SPDX-License-Identifier: GPL-2.0
/*
 * The behaviours the uapi header promises beyond the plain errnos: what
 * bounds a descriptor, which descriptor bits count, what RESET keeps,
 * which commands are served, and that queue ids are not handed out again
 * at once.  Each test names the sentence of include/uapi/linux/vqchar.h it
 * checks.
 */
#include "vq_test.h"

FIXTURE(contract) {
	int fd;
};

FIXTURE_SETUP(contract)
{
	self->fd = vqt_open();
	if (self->fd < 0)
		SKIP(return, "/dev/vqchar not present");
}

FIXTURE_TEARDOWN(contract)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int status_of(int fd, struct vqt_queue *q, struct vqchar_queue_status *st)
{
	/* The device breaks or consumes within the usual bound. */
	vqt_wait_eventfd(q->err, 1000);
	return vqt_status(fd, q->id, st);
}

/* "the pool bound is buf_count * buf_size, not the mapped length" */
TEST_F(contract, pool_bound_is_buffers_not_mapping)
{
	struct vqchar_queue_status st;
	struct vqt_queue q;

	/* 100 bytes of pool in a page-long region. */
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_SINK, 0, 1, 100));
	ASSERT_LT(100, q.pool_len);
	vq_drv_desc_write(&q.r, 2, 100, 1, 0, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 2);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(0, status_of(self->fd, &q, &st));
	EXPECT_EQ(VQCHAR_STATUS_BROKEN, st.status);
	EXPECT_EQ(VQCHAR_ERR_DESC_BOUNDS, st.error);
	EXPECT_EQ(2, st.error_index);
	EXPECT_EQ(2, st.error_head);
	EXPECT_EQ(0, st.error_flags);
	vqt_queue_destroy(&q);
}

/* "a zero-length descriptor may point at the pool's end" */
TEST_F(contract, zero_length_at_pool_end_is_valid)
{
	struct vqt_queue q;
	uint32_t id, len;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_LOOPBACK, 0, 1, 100));
	vq_drv_desc_write(&q.r, 0, 100, 0, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 100, 0, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	vq_drv_used_read(&q.r, 0, &id, &len);
	EXPECT_EQ(0, id);
	EXPECT_EQ(0, len);
	vqt_queue_destroy(&q);
}

/* "descriptor flag bits other than NEXT, WRITE and INDIRECT are ignored" */
TEST_F(contract, unknown_descriptor_flags_ignored)
{
	struct vqt_queue q;
	uint32_t id, len;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_LOOPBACK, 0, 2, 64));
	memset(q.pool, 0x5a, 64);
	vq_drv_desc_write(&q.r, 0, 0, 64, VQ_DESC_F_NEXT | 0xfff0, 1);
	vq_drv_desc_write(&q.r, 1, 64, 64, VQ_DESC_F_WRITE | 0x8000, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	vq_drv_used_read(&q.r, 0, &id, &len);
	EXPECT_EQ(64, len);
	EXPECT_EQ(0x5a, q.pool[64 + 63]);
	vqt_queue_destroy(&q);
}

/* "AVAIL_IDX: error_index is the device's last_avail" */
TEST_F(contract, avail_idx_error_names_last_avail)
{
	struct vqchar_queue_status st;
	struct vqt_queue q;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_SINK, 0, 1, 64));
	vq_drv_desc_write(&q.r, 0, 0, 1, 0, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	/* Five ahead of a ring of four. */
	q.avail_idx += 5;
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(0, status_of(self->fd, &q, &st));
	EXPECT_EQ(VQCHAR_ERR_AVAIL_IDX, st.error);
	EXPECT_EQ(1, st.error_index);
	vqt_queue_destroy(&q);
}

/* "HEAD_INDEX: error_index is the avail ring position" */
TEST_F(contract, head_index_error_names_ring_position)
{
	struct vqchar_queue_status st;
	struct vqt_queue q;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_SINK, 0, 1, 64));
	vq_drv_desc_write(&q.r, 0, 0, 1, 0, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 9);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(0, status_of(self->fd, &q, &st));
	EXPECT_EQ(VQCHAR_ERR_HEAD_INDEX, st.error);
	EXPECT_EQ(2, st.error_index);
	/* The two chains before it were consumed and published. */
	EXPECT_EQ(2, st.used_idx);
	EXPECT_EQ(2, le16_to_cpu(*q.r.used_idx));
	vqt_queue_destroy(&q);
}

/*
 * "the error eventfd is signalled after the chains before the bad one
 * are published": whoever wakes for the error sees them at once.
 */
TEST_F(contract, error_signal_follows_publish)
{
	struct vqt_queue q;
	int round;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 8, VQCHAR_DEV_SINK, 0, 1, 64));
	for (round = 0; round < 20; round++) {
		uint16_t used;

		vq_drv_desc_write(&q.r, 0, 0, 1, 0, 0);
		q.avail_idx = 0;
		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		vq_drv_avail_fill(&q.r, q.avail_idx++, 200);
		ASSERT_EQ(0, vqt_publish_kick(&q));
		ASSERT_LT(0, vqt_wait_eventfd(q.err, VQT_TIMEOUT_MS));
		used = le16_to_cpu(__atomic_load_n(q.r.used_idx, __ATOMIC_ACQUIRE));
		ASSERT_EQ(3, used);
		ASSERT_EQ(0, vqt_reset(self->fd, q.id));
	}
	vqt_queue_destroy(&q);
}

/* "RESET keeps the statistics" */
TEST_F(contract, reset_keeps_stats)
{
	struct vqchar_queue_stats st;
	struct vqt_queue q;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_SINK, 0, 1, 64));
	vq_drv_desc_write(&q.r, 0, 0, 10, 0, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	ASSERT_EQ(0, vqt_reset(self->fd, q.id));
	ASSERT_EQ(0, vqt_stats(self->fd, q.id, &st));
	EXPECT_EQ(1, st.chains);
	EXPECT_EQ(10, st.bytes_read);
	EXPECT_EQ(1, st.kicks);
	vqt_queue_destroy(&q);
}

/* "a destroyed queue's id is not given to the next queue" */
TEST_F(contract, queue_ids_not_reused_at_once)
{
	struct vqt_queue a, b;
	void *m;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &a, 4, VQCHAR_DEV_SINK, 0, 1, 64));
	vqt_queue_unmap(&a);
	ASSERT_EQ(0, vqt_destroy(self->fd, a.id));
	ASSERT_EQ(0, vqt_queue_create(self->fd, &b, 4, VQCHAR_DEV_SINK, 0, 1, 64));
	EXPECT_NE(a.id, b.id);
	/* The stale offset maps nothing. */
	m = mmap(NULL, a.cr.ring.length, PROT_READ, MAP_SHARED, self->fd,
		 (off_t)a.cr.ring.offset);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	vqt_queue_close_fds(&a);
	vqt_queue_destroy(&b);
}

/* "io_base + buf_count * buf_size must not exceed 2^64": reaching it is fine. */
TEST_F(contract, pool_may_end_at_top_of_io_space)
{
	struct vqchar_queue_create c;

	vqt_create_args(&c, 4, VQCHAR_DEV_EXTERNAL, 0, 2, 64, -1, -1, -1);
	c.io_base = ~0ULL - 128 + 1;
	EXPECT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	c.io_base++;
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
}

/* "commands match on type, number and direction" */
TEST_F(contract, ioctl_wrong_direction_refused)
{
	struct vqchar_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IOW(VQCHAR_IOC_MAGIC, 0x00, struct vqchar_version),
				     &v));
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IOR(VQCHAR_IOC_MAGIC, 0x00, struct vqchar_version),
				     &v));
}

/* "...and a size bits value of at least API version 1's struct" */
TEST_F(contract, ioctl_size_below_v1_refused)
{
	struct vqchar_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE, VQCHAR_IOC_MAGIC, 0x00,
						     8), &v));
	/* The API 1 size and a bigger one are both served. */
	EXPECT_EQ(0, vqt_ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE, VQCHAR_IOC_MAGIC, 0x00,
					      offsetofend(struct vqchar_version, max_device)), &v));
	EXPECT_EQ(0, vqt_ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE, VQCHAR_IOC_MAGIC, 0x00,
					      sizeof(v) + 8), &v));
}

TEST_HARNESS_MAIN
