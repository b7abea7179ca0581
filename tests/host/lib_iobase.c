// SPDX-License-Identifier: MIT
/*
 * libvqchar on the anonymous backend with a non-zero I/O base: the driver
 * writes io_base + pool offset into every descriptor, the device side
 * translates it back, and addresses outside [io_base, io_base + pool)
 * break the queue.
 */
#include "kselftest_harness.h"
#include "vq_split.h"
#include "vq_test.h"

#define IO_BASE	0x123400000000ULL

static int anon_io(uint64_t io_base, uint64_t features, struct vqchar_queue **q)
{
	struct vqchar_params p;

	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_ANON;
	p.num = 8;
	p.buf_count = 16;
	p.buf_size = 256;
	p.features = features;
	p.io_base = io_base;
	return vqchar_queue_create(&p, q);
}

TEST(params_keep_their_size)
{
	/* io_base and poll_usecs came out of the reserved words. */
	EXPECT_EQ(56, sizeof(struct vqchar_params));
	EXPECT_EQ(40, offsetof(struct vqchar_params, io_base));
}

TEST(descriptors_carry_io_base_plus_offset)
{
	struct vqchar_queue *q;
	struct vq_desc *desc;
	struct vqchar_dev_chain c;
	struct iovec iov[4], out = { "hello", 5 }, in;
	uint8_t *pool;
	uint64_t addr;
	uint32_t len;
	int head;

	ASSERT_EQ(0, anon_io(IO_BASE, 0, &q));
	EXPECT_EQ(IO_BASE, vqchar_queue_io_base(q));
	pool = vqchar_queue_pool(q);
	desc = vqchar_queue_desc(q);
	head = vqchar_offer(q, &out, 1, 1, 0);
	ASSERT_LE(0, head);

	/* The out descriptor names its buffer by I/O address, inside the range. */
	addr = le64toh(desc[head].addr);
	EXPECT_LE(IO_BASE, addr);
	EXPECT_GT(IO_BASE + vqchar_queue_pool_size(q), addr);
	EXPECT_EQ(0, (addr - IO_BASE) % 256);
	EXPECT_EQ(0, memcmp(pool + (addr - IO_BASE), "hello", 5));

	/* The device side maps it back to the same bytes. */
	ASSERT_EQ(1, vqchar_dev_pop(q, &c, iov, 4));
	EXPECT_EQ(pool + (addr - IO_BASE), (uint8_t *)iov[0].iov_base);
	memcpy(iov[1].iov_base, "world", 5);
	ASSERT_EQ(0, vqchar_dev_push(q, c.head, 5));
	ASSERT_EQ(head, vqchar_take(q, &len));
	EXPECT_EQ(5, len);
	ASSERT_EQ(1, vqchar_chain_in(q, head, &in, 1));
	EXPECT_EQ(0, memcmp(in.iov_base, "world", 5));
	EXPECT_EQ(0, vqchar_free(q, head));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST(ring_addrs_and_io_base_describe_the_pool)
{
	struct vqchar_ring_addrs a;
	struct vqchar_queue *q;

	ASSERT_EQ(0, anon_io(IO_BASE, 0, &q));
	vqchar_queue_ring_addrs(q, &a);
	EXPECT_EQ((uintptr_t)vqchar_queue_pool(q), a.pool_user_addr);
	EXPECT_EQ(IO_BASE, vqchar_queue_io_base(q));
	EXPECT_EQ(0, vqchar_queue_poll_usecs(q));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

static void write_desc(struct vqchar_queue *q, uint16_t i, uint64_t addr, uint32_t len,
		       uint16_t flags, uint16_t next)
{
	struct vq_desc *d = (struct vq_desc *)vqchar_queue_desc(q) + i;

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static void publish(struct vqchar_queue *q, uint16_t head)
{
	struct vqchar_ring_offsets off;
	uint8_t *base = vqchar_queue_ring_base(q);

	vqchar_queue_ring_offsets(q, &off);
	((uint16_t *)(base + off.avail_ring))[0] = htole16(head);
	__atomic_store_n((uint16_t *)(base + off.avail_idx), htole16(1), __ATOMIC_RELEASE);
}

/* A hand-written descriptor at io_base + off is the pool byte at off. */
TEST(device_translates_hand_written_descriptor)
{
	struct vqchar_queue *q;
	struct vqchar_dev_chain c;
	struct iovec iov[2];
	uint8_t *pool;

	ASSERT_EQ(0, anon_io(IO_BASE, 0, &q));
	pool = vqchar_queue_pool(q);
	write_desc(q, 0, IO_BASE + 1000, 24, 0, 0);
	publish(q, 0);
	ASSERT_EQ(1, vqchar_dev_pop(q, &c, iov, 2));
	EXPECT_EQ(pool + 1000, (uint8_t *)iov[0].iov_base);
	EXPECT_EQ(24, iov[0].iov_len);
	EXPECT_EQ(0, vqchar_queue_close(q));
}

/* Offset 0 without the base is below the range: the queue breaks. */
TEST(descriptor_below_io_base_breaks_queue)
{
	struct vqchar_queue *q;
	struct vqchar_dev_chain c;
	struct iovec iov[2];

	ASSERT_EQ(0, anon_io(IO_BASE, 0, &q));
	write_desc(q, 0, 0, 16, 0, 0);
	publish(q, 0);
	EXPECT_EQ(-EIO, vqchar_dev_pop(q, &c, iov, 2));
	EXPECT_EQ(VQCHAR_ERR_DESC_BOUNDS, vqchar_dev_error(q, NULL));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST(descriptor_past_io_range_breaks_queue)
{
	struct vqchar_queue *q;
	struct vqchar_dev_chain c;
	struct iovec iov[2];

	ASSERT_EQ(0, anon_io(IO_BASE, 0, &q));
	write_desc(q, 0, IO_BASE + 16 * 256 - 8, 16, 0, 0);
	publish(q, 0);
	EXPECT_EQ(-EIO, vqchar_dev_pop(q, &c, iov, 2));
	EXPECT_EQ(VQCHAR_ERR_DESC_BOUNDS, vqchar_dev_error(q, NULL));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST(io_range_that_wraps_refused)
{
	struct vqchar_queue *q = NULL;

	/* As the kernel: io_base + pool size must fit in 64 bits. */
	EXPECT_EQ(-EINVAL, anon_io(UINT64_MAX - 16 * 256 + 1, 0, &q));
	EXPECT_EQ(NULL, q);
	ASSERT_EQ(0, anon_io(UINT64_MAX - 16 * 256, 0, &q));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST(poll_usecs_refused_on_anon)
{
	struct vqchar_params p;
	struct vqchar_queue *q = NULL;

	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_ANON;
	p.num = 8;
	p.buf_count = 16;
	p.buf_size = 256;
	p.poll_usecs = 50;
	EXPECT_EQ(-EINVAL, vqchar_queue_create(&p, &q));
	EXPECT_EQ(NULL, q);
}

/* Round trips at the top of the I/O space, indirect tables included. */
TEST(round_trips_at_top_of_io_space)
{
	struct vqchar_queue *q;
	struct test_dev d;
	uint8_t msg[700];
	unsigned int i, j;

	ASSERT_EQ(0, anon_io(UINT64_MAX - 16 * 256, VQCHAR_F_INDIRECT_DESC, &q));
	ASSERT_EQ(0, test_dev_start(&d, q, NULL));
	for (i = 0; i < 200; i++) {
		struct iovec out, in[4];
		uint32_t len;
		int head;

		for (j = 0; j < sizeof(msg); j++)
			msg[j] = (uint8_t)(i * 7 + j);
		out = (struct iovec){ msg, sizeof(msg) };
		/* 3 out + 3 in = 6 segments: indirect. */
		head = vqchar_offer(q, &out, 1, 3, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(q, 10000, &len));
		ASSERT_EQ(sizeof(msg), len);
		ASSERT_EQ(3, vqchar_chain_in(q, head, in, 4));
		for (j = 0; j < sizeof(msg); j++)
			ASSERT_EQ(msg[j], ((uint8_t *)in[j / 256].iov_base)[j % 256]);
		ASSERT_EQ(0, vqchar_free(q, head));
	}
	EXPECT_EQ(0, test_dev_stop(&d));
	EXPECT_EQ(0, vqchar_queue_close(q));
}

TEST_HARNESS_MAIN
