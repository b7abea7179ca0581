// SPDX-License-Identifier: GPL-2.0
/*
 * vqchar ioctl ABI: one test per refused input, everything else valid
 * (tools/testing/selftests/iommu/iommufd.c style), plus the outputs of
 * GET_VERSION, CREATE_QUEUE and QUEUE_INFO.
 *
 * Where include/uapi/linux/vqchar.h does not name the errno (an unknown
 * queue id, too many queues) the test accepts the reasonable choices and
 * logs which one the module made.
 */
#include <sys/socket.h>

#include "vq_test.h"

#define NUM_DEFAULT	8
#define BUF_COUNT	8
#define BUF_SIZE	256

FIXTURE(vqchar)
{
	int fd;
	struct vqchar_version ver;
	int kick, call, err;
	struct vqt_queue q;	/* an existing, valid queue */
	void *guard_area;	/* two pages: RW then PROT_NONE */
	uint8_t *guard;		/* first byte of the PROT_NONE page */
	uint8_t *ro_page;	/* a read-only page */
};

FIXTURE_SETUP(vqchar)
{
	long pg = vqt_page_size();

	self->fd = vqt_open();
	if (self->fd == -ENOENT || self->fd == -ENODEV || self->fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqt_get_version(self->fd, &self->ver));
	self->kick = vqt_eventfd();
	self->call = vqt_eventfd();
	self->err = vqt_eventfd();
	ASSERT_LE(0, self->kick);
	ASSERT_LE(0, self->call);
	ASSERT_LE(0, self->err);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &self->q, NUM_DEFAULT, VQCHAR_DEV_LOOPBACK, 0,
				      BUF_COUNT, BUF_SIZE));

	self->guard_area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard_area);
	self->guard = (uint8_t *)self->guard_area + pg;
	ASSERT_EQ(0, mprotect(self->guard, pg, PROT_NONE));
	self->ro_page = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ro_page);
}

FIXTURE_TEARDOWN(vqchar)
{
	if (self->fd < 0)
		return;
	vqt_queue_unmap(&self->q);
	vqt_queue_close_fds(&self->q);
	close(self->kick);
	close(self->call);
	close(self->err);
	close(self->fd);
}

/* A queue id that names no queue of this file: ENOENT. */
#define EXPECT_NO_QUEUE(ret) EXPECT_EQ(-ENOENT, (ret))

/* ---- a valid argument for each ioctl ---- */

static void fill_version(FIXTURE_DATA(vqchar) *self, struct vqchar_version *a)
{
	(void)self;
	memset(a, 0xcc, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = 0;
}

static void fill_create(FIXTURE_DATA(vqchar) *self, struct vqchar_queue_create *a)
{
	vqt_create_args(a, NUM_DEFAULT, VQCHAR_DEV_LOOPBACK, 0, BUF_COUNT, BUF_SIZE,
			self->kick, self->call, self->err);
}

static void fill_ref(FIXTURE_DATA(vqchar) *self, struct vqchar_queue_ref *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->queue_id = self->q.id;
}

static void fill_info(FIXTURE_DATA(vqchar) *self, struct vqchar_queue_info *a)
{
	memset(a, 0xcc, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = 0;
	a->queue_id = self->q.id;
	a->reserved0 = 0;
}

static void fill_stats(FIXTURE_DATA(vqchar) *self, struct vqchar_queue_stats *a)
{
	memset(a, 0xcc, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = 0;
	a->queue_id = self->q.id;
	a->reserved0 = 0;
}

static void fill_status(FIXTURE_DATA(vqchar) *self, struct vqchar_queue_status *a)
{
	memset(a, 0xcc, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = 0;
	a->queue_id = self->q.id;
}

/*
 * The refusals every ioctl shares.  "short" is a struct holding only size
 * and flags: it cannot cover the fields version 1 requires.
 */
#define IOCTL_COMMON_TESTS(name, type, cmd, fill)				\
TEST_F(vqchar, name##_size_zero)						\
{										\
	struct { type a; uint8_t tail[16]; } b;				\
	fill(self, &b.a);							\
	memset(b.tail, 0, sizeof(b.tail));					\
	b.a.size = 0;								\
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, cmd, &b));			\
}										\
TEST_F(vqchar, name##_size_short)						\
{										\
	struct { type a; uint8_t tail[16]; } b;				\
	fill(self, &b.a);							\
	memset(b.tail, 0, sizeof(b.tail));					\
	b.a.size = 8;								\
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, cmd, &b));			\
}										\
TEST_F(vqchar, name##_size_big_nonzero_tail)					\
{										\
	struct { type a; uint8_t tail[16]; } b;				\
	fill(self, &b.a);							\
	memset(b.tail, 0, sizeof(b.tail));					\
	b.a.size = sizeof(b);							\
	b.tail[15] = 1;								\
	EXPECT_EQ(-E2BIG, vqt_ioctl(self->fd, cmd, &b));			\
	EXPECT_EQ(1, b.tail[15]);						\
}										\
TEST_F(vqchar, name##_size_big_zero_tail)					\
{										\
	struct { type a; uint8_t tail[16]; } b;				\
	uint8_t zero[16] = { 0 };						\
	fill(self, &b.a);							\
	memset(b.tail, 0, sizeof(b.tail));					\
	b.a.size = sizeof(b);							\
	EXPECT_EQ(0, vqt_ioctl(self->fd, cmd, &b));				\
	/* The kernel writes at most its own struct back. */			\
	EXPECT_EQ(0, memcmp(b.tail, zero, sizeof(zero)));			\
}										\
TEST_F(vqchar, name##_flags_low)						\
{										\
	type a;									\
	fill(self, &a);								\
	a.flags = 1;								\
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, cmd, &a));			\
}										\
TEST_F(vqchar, name##_flags_high)						\
{										\
	type a;									\
	fill(self, &a);								\
	a.flags = 1U << 31;							\
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, cmd, &a));			\
}										\
TEST_F(vqchar, name##_null_pointer)						\
{										\
	EXPECT_EQ(-EFAULT, vqt_ioctl(self->fd, cmd, NULL));			\
}										\
TEST_F(vqchar, name##_unmapped_pointer)						\
{										\
	EXPECT_EQ(-EFAULT, vqt_ioctl(self->fd, cmd, self->guard));		\
}										\
TEST_F(vqchar, name##_kernel_pointer)						\
{										\
	EXPECT_EQ(-EFAULT, vqt_ioctl(self->fd, cmd,				\
				     (void *)0xffffffff81000000UL));		\
}										\
TEST_F(vqchar, name##_tail_unmapped)						\
{										\
	/* A valid struct whose larger "size" runs into a PROT_NONE page. */	\
	type *a = (type *)(self->guard - sizeof(type));			\
	fill(self, a);								\
	a->size = sizeof(type) + 8;						\
	EXPECT_EQ(-EFAULT, vqt_ioctl(self->fd, cmd, a));			\
}

IOCTL_COMMON_TESTS(version, struct vqchar_version, VQCHAR_IOC_GET_VERSION, fill_version)
IOCTL_COMMON_TESTS(create, struct vqchar_queue_create, VQCHAR_IOC_CREATE_QUEUE, fill_create)
IOCTL_COMMON_TESTS(destroy, struct vqchar_queue_ref, VQCHAR_IOC_DESTROY_QUEUE, fill_ref)
IOCTL_COMMON_TESTS(reset, struct vqchar_queue_ref, VQCHAR_IOC_RESET_QUEUE, fill_ref)
IOCTL_COMMON_TESTS(info, struct vqchar_queue_info, VQCHAR_IOC_QUEUE_INFO, fill_info)
IOCTL_COMMON_TESTS(stats, struct vqchar_queue_stats, VQCHAR_IOC_QUEUE_STATS, fill_stats)
IOCTL_COMMON_TESTS(status, struct vqchar_queue_status, VQCHAR_IOC_QUEUE_STATUS, fill_status)

/* Longer structs are accepted up to a page; beyond it E2BIG, tail or not. */
#define IOCTL_HUGE_TEST(name, type, cmd, fill)					\
TEST_F(vqchar, name##_size_two_pages_refused)				\
{										\
	size_t len = 2 * vqt_page_size();					\
	type *a = calloc(1, len);						\
	ASSERT_NE(NULL, a);							\
	fill(self, a);								\
	a->size = len;								\
	EXPECT_EQ(-E2BIG, vqt_ioctl(self->fd, cmd, a));				\
	free(a);								\
}

IOCTL_HUGE_TEST(version, struct vqchar_version, VQCHAR_IOC_GET_VERSION, fill_version)
IOCTL_HUGE_TEST(status, struct vqchar_queue_status, VQCHAR_IOC_QUEUE_STATUS, fill_status)

/* Output structs the kernel cannot write back: EFAULT. */
#define IOCTL_READONLY_TEST(name, type, cmd, fill)				\
TEST_F(vqchar, name##_readonly_arg)						\
{										\
	long pg = vqt_page_size();						\
	type *a;								\
	ASSERT_EQ(0, mprotect(self->ro_page, pg, PROT_READ | PROT_WRITE));	\
	a = (type *)self->ro_page;						\
	fill(self, a);								\
	ASSERT_EQ(0, mprotect(self->ro_page, pg, PROT_READ));			\
	EXPECT_EQ(-EFAULT, vqt_ioctl(self->fd, cmd, a));			\
}

IOCTL_READONLY_TEST(version, struct vqchar_version, VQCHAR_IOC_GET_VERSION, fill_version)
IOCTL_READONLY_TEST(create, struct vqchar_queue_create, VQCHAR_IOC_CREATE_QUEUE, fill_create)
IOCTL_READONLY_TEST(info, struct vqchar_queue_info, VQCHAR_IOC_QUEUE_INFO, fill_info)
IOCTL_READONLY_TEST(stats, struct vqchar_queue_stats, VQCHAR_IOC_QUEUE_STATS, fill_stats)
IOCTL_READONLY_TEST(status, struct vqchar_queue_status, VQCHAR_IOC_QUEUE_STATUS, fill_status)

/* ---- unknown ioctls ---- */

TEST_F(vqchar, ioctl_unknown_nr)
{
	struct vqchar_queue_ref ref;

	fill_ref(self, &ref);
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IOWR(VQCHAR_IOC_MAGIC, 0x7f,
						     struct vqchar_queue_ref), &ref));
}

TEST_F(vqchar, ioctl_next_nr)
{
	struct vqchar_queue_ref ref;

	fill_ref(self, &ref);
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IOWR(VQCHAR_IOC_MAGIC, 0x07,
						     struct vqchar_queue_ref), &ref));
}

TEST_F(vqchar, ioctl_wrong_magic)
{
	struct vqchar_version v;

	fill_version(self, &v);
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IOWR('X', 0x00, struct vqchar_version), &v));
}

TEST_F(vqchar, ioctl_known_nr_no_direction)
{
	struct vqchar_version v;

	fill_version(self, &v);
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, _IO(VQCHAR_IOC_MAGIC, 0x00), &v));
}

TEST_F(vqchar, ioctl_tty_request)
{
	int n;

	/* A tty ioctl on the misc device. */
	EXPECT_EQ(-ENOTTY, vqt_ioctl(self->fd, FIONREAD, &n));
}

/* ---- GET_VERSION ---- */

TEST_F(vqchar, version_fields)
{
	struct vqchar_version v;

	ASSERT_EQ(0, vqt_get_version(self->fd, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(0, v.flags);
	EXPECT_EQ(VQCHAR_API_VERSION, v.api_version);
	EXPECT_LE(1, v.max_queues);
	EXPECT_NE(0xccccccccU, v.max_queues);
	EXPECT_EQ(VQCHAR_F_ALL, v.features);
	EXPECT_LT(0, v.max_pool_bytes);
	EXPECT_NE(0xccccccccccccccccULL, v.max_pool_bytes);
	EXPECT_EQ(VQCHAR_MAX_RING_SIZE, v.max_ring_size);
	EXPECT_EQ(VQCHAR_DEV_MAX, v.max_device);
	TH_LOG("max_queues %u max_pool_bytes %llu", v.max_queues,
	       (unsigned long long)v.max_pool_bytes);
}

TEST_F(vqchar, version_same_on_every_open)
{
	struct vqchar_version v;
	int fd2 = vqt_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vqt_get_version(fd2, &v));
	EXPECT_EQ(0, memcmp(&v, &self->ver, sizeof(v)));
	close(fd2);
}

/* ---- CREATE_QUEUE: refused inputs ---- */

#define CREATE_REFUSED(tname, errno_, stmt)					\
TEST_F(vqchar, tname)								\
{										\
	struct vqchar_queue_create c;						\
	fill_create(self, &c);							\
	stmt;									\
	EXPECT_EQ(-(errno_), vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));	\
}

CREATE_REFUSED(create_num_0, EINVAL, c.num = 0)
CREATE_REFUSED(create_num_3, EINVAL, c.num = 3)
CREATE_REFUSED(create_num_96, EINVAL, c.num = 96)
CREATE_REFUSED(create_num_32767, EINVAL, c.num = 32767)
CREATE_REFUSED(create_num_65536, EINVAL, c.num = 65536)
CREATE_REFUSED(create_num_2pow31, EINVAL, c.num = 1U << 31)
CREATE_REFUSED(create_num_all_ones, EINVAL, c.num = 0xffffffffU)
CREATE_REFUSED(create_buf_count_0, EINVAL, c.buf_count = 0)
CREATE_REFUSED(create_buf_size_0, EINVAL, c.buf_size = 0)
CREATE_REFUSED(create_pool_u32_overflow, EINVAL,
	       (c.buf_count = 0xffffffffU, c.buf_size = 0xffffffffU))
CREATE_REFUSED(create_device_max_plus_1, EINVAL, c.device = VQCHAR_DEV_MAX + 1)
CREATE_REFUSED(create_device_all_ones, EINVAL, c.device = 0xffffffffU)
CREATE_REFUSED(create_features_bit0, EINVAL, c.features = 1)
CREATE_REFUSED(create_features_bit27, EINVAL, c.features = 1ULL << 27)
CREATE_REFUSED(create_features_bit30, EINVAL, c.features = 1ULL << 30)
CREATE_REFUSED(create_features_bit32, EINVAL, c.features = 1ULL << 32)
CREATE_REFUSED(create_features_bit63, EINVAL, c.features = 1ULL << 63)
CREATE_REFUSED(create_features_all_plus_one, EINVAL,
	       c.features = VQCHAR_F_ALL | (1ULL << 33))
CREATE_REFUSED(create_reserved, EINVAL, c.reserved = 1)
CREATE_REFUSED(create_reserved_top_bit, EINVAL, c.reserved = 1U << 31)
/* The pool's end, io_base + buf_count * buf_size, one past 2^64. */
CREATE_REFUSED(create_io_base_overflows, EINVAL,
	       c.io_base = ~0ULL - (uint64_t)BUF_COUNT * BUF_SIZE + 2)
CREATE_REFUSED(create_kick_none_loopback, EINVAL, c.kick_fd = VQCHAR_FD_NONE)
CREATE_REFUSED(create_kick_none_sink, EINVAL,
	       (c.kick_fd = VQCHAR_FD_NONE, c.device = VQCHAR_DEV_SINK))
CREATE_REFUSED(create_kick_none_source, EINVAL,
	       (c.kick_fd = VQCHAR_FD_NONE, c.device = VQCHAR_DEV_SOURCE))
CREATE_REFUSED(create_kick_negative, EBADF, c.kick_fd = 0xfffffffeU)
CREATE_REFUSED(create_call_negative, EBADF, c.call_fd = 0xfffffffeU)
CREATE_REFUSED(create_err_negative, EBADF, c.err_fd = 0x80000000U)
/* The vqchar fd itself is a file, but not an eventfd. */
CREATE_REFUSED(create_kick_is_vqchar_fd, EINVAL, c.kick_fd = self->fd)
CREATE_REFUSED(create_call_is_vqchar_fd, EINVAL, c.call_fd = self->fd)
CREATE_REFUSED(create_err_is_vqchar_fd, EINVAL, c.err_fd = self->fd)

static int closed_fd(void)
{
	int fd = vqt_eventfd();

	close(fd);
	return fd;
}

CREATE_REFUSED(create_kick_closed, EBADF, c.kick_fd = closed_fd())
CREATE_REFUSED(create_call_closed, EBADF, c.call_fd = closed_fd())
CREATE_REFUSED(create_err_closed, EBADF, c.err_fd = closed_fd())
CREATE_REFUSED(create_kick_closed_external, EBADF,
	       (c.kick_fd = closed_fd(), c.device = VQCHAR_DEV_EXTERNAL))

#define CREATE_NOT_EVENTFD(tname, field)					\
TEST_F(vqchar, tname)								\
{										\
	struct vqchar_queue_create c;						\
	int p[2];								\
	ASSERT_EQ(0, pipe(p));							\
	fill_create(self, &c);							\
	c.field = p[0];								\
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));	\
	close(p[0]);								\
	close(p[1]);								\
}

CREATE_NOT_EVENTFD(create_kick_pipe, kick_fd)
CREATE_NOT_EVENTFD(create_call_pipe, call_fd)
CREATE_NOT_EVENTFD(create_err_pipe, err_fd)

TEST_F(vqchar, create_kick_socket)
{
	struct vqchar_queue_create c;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	ASSERT_LE(0, s);
	fill_create(self, &c);
	c.kick_fd = s;
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	close(s);
}

TEST_F(vqchar, create_pool_too_big)
{
	struct vqchar_queue_create c;
	uint64_t max = self->ver.max_pool_bytes;

	fill_create(self, &c);
	if (max + 1 <= 0xffffffffULL) {
		c.buf_count = (uint32_t)(max + 1);
		c.buf_size = 1;
	} else {
		/* buf_count * 4096 > max */
		ASSERT_LE(max / 4096 + 1, 0xffffffffULL);
		c.buf_count = (uint32_t)(max / 4096 + 1);
		c.buf_size = 4096;
	}
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
}

TEST_F(vqchar, create_pool_too_big_by_size)
{
	struct vqchar_queue_create c;
	uint64_t max = self->ver.max_pool_bytes;

	if (max >= 0xffffffffULL)
		SKIP(return, "max_pool_bytes does not fit one buffer");
	fill_create(self, &c);
	c.buf_count = 1;
	c.buf_size = (uint32_t)(max + 1);
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
}

/* ---- CREATE_QUEUE: accepted inputs and outputs ---- */

static void check_create_output(struct __test_metadata *_metadata,
				const struct vqchar_queue_create *c)
{
	struct vqchar_ring_offsets want;
	long pg = vqt_page_size();
	uint64_t pool_bytes = (uint64_t)c->buf_count * c->buf_size;

	vq_split_layout(c->num, &want);
	EXPECT_NE(0xccccccccU, c->queue_id);
	EXPECT_EQ(0, memcmp(&want, &c->ring_off, sizeof(want)));
	EXPECT_TRUE(vq_split_layout_valid(c->num, &c->ring_off, c->ring.length));
	EXPECT_EQ(0, c->ring.offset % pg);
	EXPECT_EQ(0, c->pool.offset % pg);
	EXPECT_EQ(0, c->ring.length % pg);
	EXPECT_EQ(0, c->pool.length % pg);
	EXPECT_LE(want.ring_bytes, c->ring.length);
	EXPECT_GT(want.ring_bytes + (uint64_t)pg, c->ring.length);
	EXPECT_LE(pool_bytes, c->pool.length);
	EXPECT_GT(pool_bytes + (uint64_t)pg, c->pool.length);
	/* The two regions do not overlap. */
	EXPECT_TRUE(c->ring.offset + c->ring.length <= c->pool.offset ||
		    c->pool.offset + c->pool.length <= c->ring.offset);
	/* Inputs untouched, reserved still zero. */
	EXPECT_EQ(0, c->flags);
	EXPECT_EQ(0, c->reserved);
}

#define CREATE_OK(tname, stmt)							\
TEST_F(vqchar, tname)								\
{										\
	struct vqchar_queue_create c;						\
	fill_create(self, &c);							\
	stmt;									\
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));		\
	check_create_output(_metadata, &c);					\
	EXPECT_EQ(0, vqt_destroy(self->fd, c.queue_id));			\
}

CREATE_OK(create_num_1, c.num = 1)
CREATE_OK(create_num_2, c.num = 2)
CREATE_OK(create_num_256, c.num = 256)
CREATE_OK(create_num_max, c.num = VQCHAR_MAX_RING_SIZE)
CREATE_OK(create_external_kick_none, (c.device = VQCHAR_DEV_EXTERNAL,
				      c.kick_fd = VQCHAR_FD_NONE))
CREATE_OK(create_external_all_none, (c.device = VQCHAR_DEV_EXTERNAL,
				     c.kick_fd = c.call_fd = c.err_fd = VQCHAR_FD_NONE))
CREATE_OK(create_call_err_none, (c.call_fd = c.err_fd = VQCHAR_FD_NONE))
CREATE_OK(create_sink, c.device = VQCHAR_DEV_SINK)
CREATE_OK(create_source, c.device = VQCHAR_DEV_SOURCE)
CREATE_OK(create_event_idx, c.features = VQCHAR_F_EVENT_IDX)
CREATE_OK(create_indirect, c.features = VQCHAR_F_INDIRECT_DESC)
CREATE_OK(create_all_features, c.features = VQCHAR_F_ALL)
CREATE_OK(create_odd_pool, (c.buf_count = 3, c.buf_size = 1000))
CREATE_OK(create_one_byte_pool, (c.buf_count = 1, c.buf_size = 1))
CREATE_OK(create_same_eventfd_everywhere, (c.call_fd = c.kick_fd, c.err_fd = c.kick_fd))

TEST_F(vqchar, create_pool_at_max)
{
	struct vqchar_queue_create c;
	uint64_t max = self->ver.max_pool_bytes;

	if (max > 64ULL << 20)
		SKIP(return, "max_pool_bytes %llu too big for the test VM",
		     (unsigned long long)max);
	fill_create(self, &c);
	if (max <= 0xffffffffULL) {
		c.buf_count = 1;
		c.buf_size = (uint32_t)max;
	} else {
		SKIP(return, "max_pool_bytes not one buffer");
	}
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	check_create_output(_metadata, &c);
	EXPECT_EQ(0, vqt_destroy(self->fd, c.queue_id));
}

TEST_F(vqchar, create_outputs_distinct_between_queues)
{
	struct vqchar_queue_create a, b;

	fill_create(self, &a);
	fill_create(self, &b);
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &a));
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &b));
	EXPECT_NE(a.queue_id, b.queue_id);
	EXPECT_NE(a.queue_id, self->q.id);
	EXPECT_NE(a.ring.offset, b.ring.offset);
	EXPECT_NE(a.pool.offset, b.pool.offset);
	EXPECT_NE(a.ring.offset, b.pool.offset);
	EXPECT_NE(a.pool.offset, b.ring.offset);
	EXPECT_NE(a.ring.offset, self->q.cr.ring.offset);
	EXPECT_TRUE(a.ring.offset + a.ring.length <= b.ring.offset ||
		    b.ring.offset + b.ring.length <= a.ring.offset);
	EXPECT_TRUE(a.pool.offset + a.pool.length <= b.pool.offset ||
		    b.pool.offset + b.pool.length <= a.pool.offset);
	EXPECT_EQ(0, vqt_destroy(self->fd, a.queue_id));
	EXPECT_EQ(0, vqt_destroy(self->fd, b.queue_id));
}

TEST_F(vqchar, create_caller_closes_eventfds)
{
	struct vqchar_queue_create c;
	int k = vqt_eventfd(), cl = vqt_eventfd(), e = vqt_eventfd();

	vqt_create_args(&c, 4, VQCHAR_DEV_SINK, 0, 1, 64, k, cl, e);
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	/* The kernel holds its own references. */
	close(k);
	close(cl);
	close(e);
	EXPECT_EQ(0, vqt_destroy(self->fd, c.queue_id));
}

TEST_F(vqchar, create_too_many_queues)
{
	uint32_t max = self->ver.max_queues;
	uint32_t *ids;
	uint32_t i;
	int ret;

	if (max > 4096)
		SKIP(return, "max_queues %u too many to fill", max);
	ids = calloc(max, sizeof(*ids));
	ASSERT_NE(NULL, ids);
	/* The fixture already holds one queue. */
	for (i = 0; i + 1 < max; i++) {
		struct vqchar_queue_create c;

		vqt_create_args(&c, 1, VQCHAR_DEV_SINK, 0, 1, 1, self->kick, -1, -1);
		ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
		ids[i] = c.queue_id;
	}
	{
		struct vqchar_queue_create c;

		vqt_create_args(&c, 1, VQCHAR_DEV_SINK, 0, 1, 1, self->kick, -1, -1);
		ret = vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c);
		EXPECT_EQ(-ENOSPC, ret);
		/* A slot freed is a slot usable again. */
		if (max > 1) {
			ASSERT_EQ(0, vqt_destroy(self->fd, ids[0]));
			vqt_create_args(&c, 1, VQCHAR_DEV_SINK, 0, 1, 1, self->kick, -1, -1);
			EXPECT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
		}
	}
	/* The limit is per open file. */
	{
		struct vqt_queue q2;
		int fd2 = vqt_open();

		ASSERT_LE(0, fd2);
		EXPECT_EQ(0, vqt_queue_create(fd2, &q2, 1, VQCHAR_DEV_SINK, 0, 1, 1));
		vqt_queue_destroy(&q2);
		close(fd2);
	}
	free(ids);
}

TEST_F(vqchar, create_readonly_arg_leaks_no_queue)
{
	uint32_t max = self->ver.max_queues;
	long pg = vqt_page_size();
	struct vqchar_queue_create *a;
	uint32_t i;

	if (max > 4096)
		SKIP(return, "max_queues %u too many to fill", max);
	ASSERT_EQ(0, mprotect(self->ro_page, pg, PROT_READ | PROT_WRITE));
	a = (struct vqchar_queue_create *)self->ro_page;
	fill_create(self, a);
	ASSERT_EQ(0, mprotect(self->ro_page, pg, PROT_READ));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-EFAULT, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, a));
	/* Failed creates must not hold slots: all max_queues still fit. */
	for (i = 0; i + 1 < max; i++) {
		struct vqchar_queue_create c;

		vqt_create_args(&c, 1, VQCHAR_DEV_SINK, 0, 1, 1, self->kick, -1, -1);
		ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	}
}

/* ---- queue ids ---- */

#define REF_TESTS(name, cmd)							\
TEST_F(vqchar, name##_unknown_id)						\
{										\
	struct vqchar_queue_ref r;						\
	fill_ref(self, &r);							\
	r.queue_id = 0xdeadbeef;						\
	EXPECT_NO_QUEUE(vqt_ioctl(self->fd, cmd, &r));				\
}										\
TEST_F(vqchar, name##_destroyed_id)						\
{										\
	struct vqchar_queue_ref r;						\
	ASSERT_EQ(0, vqt_destroy(self->fd, self->q.id));			\
	fill_ref(self, &r);							\
	EXPECT_NO_QUEUE(vqt_ioctl(self->fd, cmd, &r));				\
}										\
TEST_F(vqchar, name##_other_files_id)						\
{										\
	struct vqchar_queue_ref r;						\
	int fd2 = vqt_open();							\
	ASSERT_LE(0, fd2);							\
	fill_ref(self, &r);							\
	/* Queue ids live in one open file; the other one has none. */		\
	EXPECT_NO_QUEUE(vqt_ioctl(fd2, cmd, &r));				\
	close(fd2);								\
}										\
TEST_F(vqchar, name##_reserved)							\
{										\
	struct vqchar_queue_ref r;						\
	fill_ref(self, &r);							\
	r.reserved = 1;								\
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, cmd, &r));			\
}

REF_TESTS(destroy, VQCHAR_IOC_DESTROY_QUEUE)
REF_TESTS(reset, VQCHAR_IOC_RESET_QUEUE)

#define QUERY_TESTS(name, type, cmd, fill)			\
TEST_F(vqchar, name##_unknown_id)						\
{										\
	type a;									\
	fill(self, &a);								\
	a.queue_id = 0xdeadbeef;						\
	EXPECT_NO_QUEUE(vqt_ioctl(self->fd, cmd, &a));				\
}										\
TEST_F(vqchar, name##_destroyed_id)						\
{										\
	type a;									\
	ASSERT_EQ(0, vqt_destroy(self->fd, self->q.id));			\
	fill(self, &a);								\
	EXPECT_NO_QUEUE(vqt_ioctl(self->fd, cmd, &a));				\
}										\
TEST_F(vqchar, name##_other_files_id)						\
{										\
	type a;									\
	int fd2 = vqt_open();							\
	ASSERT_LE(0, fd2);							\
	fill(self, &a);								\
	EXPECT_NO_QUEUE(vqt_ioctl(fd2, cmd, &a));				\
	close(fd2);								\
}										\


QUERY_TESTS(info, struct vqchar_queue_info, VQCHAR_IOC_QUEUE_INFO, fill_info)
QUERY_TESTS(stats, struct vqchar_queue_stats, VQCHAR_IOC_QUEUE_STATS, fill_stats)
QUERY_TESTS(status, struct vqchar_queue_status, VQCHAR_IOC_QUEUE_STATUS, fill_status)

TEST_F(vqchar, info_reserved0)
{
	struct vqchar_queue_info a;

	fill_info(self, &a);
	a.reserved0 = 1;
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_QUEUE_INFO, &a));
}

TEST_F(vqchar, stats_reserved0)
{
	struct vqchar_queue_stats a;

	fill_stats(self, &a);
	a.reserved0 = 0x80000000U;
	EXPECT_EQ(-EINVAL, vqt_ioctl(self->fd, VQCHAR_IOC_QUEUE_STATS, &a));
}

TEST_F(vqchar, destroy_twice)
{
	ASSERT_EQ(0, vqt_destroy(self->fd, self->q.id));
	EXPECT_NO_QUEUE(vqt_destroy(self->fd, self->q.id));
}

/* ---- QUEUE_INFO / STATUS / STATS of a fresh queue ---- */

static void check_info(struct __test_metadata *_metadata, const struct vqchar_queue_info *i,
		       const struct vqchar_queue_create *c)
{
	EXPECT_EQ(sizeof(*i), i->size);
	EXPECT_EQ(0, i->flags);
	EXPECT_EQ(c->queue_id, i->queue_id);
	EXPECT_EQ(c->num, i->num);
	EXPECT_EQ(c->features, i->features);
	EXPECT_EQ(c->device, i->device);
	EXPECT_EQ(c->buf_count, i->buf_count);
	EXPECT_EQ(c->buf_size, i->buf_size);
	EXPECT_EQ(0, i->reserved0);
	EXPECT_EQ(0, memcmp(&c->ring_off, &i->ring_off, sizeof(i->ring_off)));
	EXPECT_EQ(c->ring.offset, i->ring.offset);
	EXPECT_EQ(c->ring.length, i->ring.length);
	EXPECT_EQ(c->pool.offset, i->pool.offset);
	EXPECT_EQ(c->pool.length, i->pool.length);
}

TEST_F(vqchar, info_matches_create)
{
	struct vqchar_queue_info i;

	ASSERT_EQ(0, vqt_info(self->fd, self->q.id, &i));
	check_info(_metadata, &i, &self->q.cr);
}

TEST_F(vqchar, info_matches_create_all_devices)
{
	uint32_t dev;

	for (dev = 0; dev <= VQCHAR_DEV_MAX; dev++) {
		struct vqchar_queue_create c;
		struct vqchar_queue_info i;

		vqt_create_args(&c, 16 << dev, dev, dev & 1 ? VQCHAR_F_ALL : VQCHAR_F_EVENT_IDX,
				5 + dev, 100 * (dev + 1), self->kick, self->call, self->err);
		ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
		check_create_output(_metadata, &c);
		ASSERT_EQ(0, vqt_info(self->fd, c.queue_id, &i));
		check_info(_metadata, &i, &c);
		EXPECT_EQ(0, vqt_destroy(self->fd, c.queue_id));
	}
}

TEST_F(vqchar, status_fresh_queue)
{
	struct vqchar_queue_status s;

	ASSERT_EQ(0, vqt_status(self->fd, self->q.id, &s));
	EXPECT_EQ(self->q.id, s.queue_id);
	EXPECT_EQ(0, s.flags);
	EXPECT_EQ(0, s.status);
	EXPECT_EQ(VQCHAR_ERR_NONE, s.error);
	EXPECT_EQ(0, s.error_index);
	EXPECT_EQ(0, s.last_avail_idx);
	EXPECT_EQ(0, s.used_idx);
}

TEST_F(vqchar, stats_fresh_queue)
{
	struct vqchar_queue_stats s;

	ASSERT_EQ(0, vqt_stats(self->fd, self->q.id, &s));
	EXPECT_EQ(self->q.id, s.queue_id);
	EXPECT_EQ(0, s.flags);
	EXPECT_EQ(0, s.reserved0);
	EXPECT_EQ(0, s.chains);
	EXPECT_EQ(0, s.bytes_read);
	EXPECT_EQ(0, s.bytes_written);
	EXPECT_EQ(0, s.kicks);
	EXPECT_EQ(0, s.calls);
	EXPECT_EQ(0, s.calls_suppressed);
	EXPECT_EQ(0, s.batches);
	EXPECT_EQ(0, s.errors);
}

TEST_F(vqchar, fresh_ring_wants_kicks)
{
	struct vqt_queue *q = &self->q;

	/* Zeroed ring: no NO_NOTIFY, avail_event 0, so the first publish kicks. */
	EXPECT_EQ(0, le16_to_cpu(*q->r.used_flags));
	EXPECT_EQ(0, le16_to_cpu(*q->r.used_idx));
	EXPECT_EQ(0, le16_to_cpu(*q->r.avail_idx));
	EXPECT_TRUE(vq_drv_should_kick(&q->r, 0, 0, 1));
	EXPECT_TRUE(vq_drv_should_kick(&q->r, VQCHAR_F_EVENT_IDX, 0, 1));
}

TEST_F(vqchar, reset_fresh_queue)
{
	struct vqchar_queue_status s;

	EXPECT_EQ(0, vqt_reset(self->fd, self->q.id));
	EXPECT_EQ(0, vqt_reset(self->fd, self->q.id));
	ASSERT_EQ(0, vqt_status(self->fd, self->q.id, &s));
	EXPECT_EQ(0, s.status);
}

TEST_F(vqchar, destroy_leaves_other_queues)
{
	struct vqchar_queue_create c;
	struct vqchar_queue_info i;

	fill_create(self, &c);
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	EXPECT_NE(self->q.id, c.queue_id);
	ASSERT_EQ(0, vqt_destroy(self->fd, c.queue_id));
	/* The fixture's queue is unaffected by the other's destroy. */
	ASSERT_EQ(0, vqt_info(self->fd, self->q.id, &i));
	check_info(_metadata, &i, &self->q.cr);
}

TEST_F(vqchar, read_write_not_supported)
{
	char b[8] = { 0 };

	/* The device has no read/write; any error is fine, no data. */
	EXPECT_GT(0, read(self->fd, b, sizeof(b)));
	EXPECT_GT(0, write(self->fd, b, sizeof(b)));
}

TEST_HARNESS_MAIN
