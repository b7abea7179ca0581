// SPDX-License-Identifier: MIT
/*
 * libvqchar setup: parameter validation, the anonymous backend's layout
 * and accessors, and cleanup when setup fails part-way.
 */
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "vq_split.h"
#include "vq_test.h"

FIXTURE(params) {
	struct vqchar_params p;
	struct vqchar_queue *q;
};

/* A valid anonymous queue; each test breaks exactly one field. */
FIXTURE_SETUP(params)
{
	memset(&self->p, 0, sizeof(self->p));
	self->p.backend = VQCHAR_BACKEND_ANON;
	self->p.num = 8;
	self->p.buf_count = 16;
	self->p.buf_size = 256;
	self->p.features = VQCHAR_F_ALL;
	self->q = (struct vqchar_queue *)(uintptr_t)0xcccccccc;
}

FIXTURE_TEARDOWN(params)
{
}

TEST_F(params, valid_params_create)
{
	ASSERT_EQ(0, vqchar_queue_create(&self->p, &self->q));
	EXPECT_EQ(0, vqchar_queue_close(self->q));
}

static void expect_einval(struct __test_metadata *_metadata, struct vqchar_params *p,
			  struct vqchar_queue **q)
{
	struct vqchar_queue *before = *q;

	EXPECT_EQ(-EINVAL, vqchar_queue_create(p, q));
	EXPECT_EQ(before, *q);	/* untouched on failure */
}

TEST_F(params, size_zero_refused)
{
	self->p.num = 0;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, size_not_power_of_two_refused)
{
	static const uint32_t bad[] = { 3, 6, 100, 1000, 32767, 24576 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		self->p.num = bad[i];
		expect_einval(_metadata, &self->p, &self->q);
	}
}

TEST_F(params, size_above_max_refused)
{
	static const uint32_t bad[] = { 65536, 32769, 1U << 31, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		self->p.num = bad[i];
		expect_einval(_metadata, &self->p, &self->q);
	}
}

TEST_F(params, zero_buf_count_refused)
{
	self->p.buf_count = 0;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, zero_buf_size_refused)
{
	self->p.buf_size = 0;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, unknown_feature_refused)
{
	self->p.features = 1ULL << 32;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, unknown_flag_refused)
{
	self->p.flags = 1U << 31;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, reserved_nonzero_refused)
{
	self->p.reserved[1] = 1;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, unknown_backend_refused)
{
	self->p.backend = 2;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, anon_with_device_refused)
{
	self->p.device = VQCHAR_DEV_LOOPBACK;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, anon_with_dev_fd_refused)
{
	self->p.flags = VQCHAR_PARAMS_DEV_FD;
	expect_einval(_metadata, &self->p, &self->q);
}

TEST_F(params, null_args_refused)
{
	EXPECT_EQ(-EINVAL, vqchar_queue_create(NULL, &self->q));
	EXPECT_EQ(-EINVAL, vqchar_queue_create(&self->p, NULL));
}

/* Every legal size works and is laid out as vq_split_layout() says. */
TEST(every_power_of_two_size_laid_out_per_spec)
{
	uint32_t num;

	for (num = 1; num <= VQCHAR_MAX_RING_SIZE; num <<= 1) {
		struct vqchar_ring_offsets want, got;
		struct vqchar_ring_addrs a;
		struct vqchar_queue *q;
		uint8_t *base;

		ASSERT_EQ(0, test_anon(num, 4, 64, VQCHAR_F_ALL, &q));
		vq_split_layout(num, &want);
		memset(&got, 0xcc, sizeof(got));
		vqchar_queue_ring_offsets(q, &got);
		EXPECT_EQ(0, memcmp(&want, &got, sizeof(want)));
		base = vqchar_queue_ring_base(q);
		EXPECT_EQ(num, vqchar_queue_num(q));
		EXPECT_EQ(want.ring_bytes, vqchar_queue_ring_bytes(q));
		EXPECT_EQ(base + want.desc, (uint8_t *)vqchar_queue_desc(q));
		EXPECT_EQ(base + want.avail_flags, (uint8_t *)vqchar_queue_avail(q));
		EXPECT_EQ(base + want.used_flags, (uint8_t *)vqchar_queue_used(q));
		EXPECT_EQ(0, (uintptr_t)base % 4096);

		memset(&a, 0xcc, sizeof(a));
		vqchar_queue_ring_addrs(q, &a);
		EXPECT_EQ(num, a.num);
		EXPECT_EQ(0, a.pad);
		EXPECT_EQ((uintptr_t)(base + want.desc), a.desc_user_addr);
		EXPECT_EQ((uintptr_t)(base + want.avail_flags), a.avail_user_addr);
		EXPECT_EQ((uintptr_t)(base + want.used_flags), a.used_user_addr);
		EXPECT_EQ((uintptr_t)vqchar_queue_pool(q), a.pool_user_addr);
		EXPECT_EQ(4 * 64, a.pool_size);
		EXPECT_EQ(VQCHAR_F_ALL, a.features);
		/* The whole ring is mapped, writable and zeroed. */
		EXPECT_EQ(0, base[want.ring_bytes - 1]);
		base[want.ring_bytes - 1] = 0;
		EXPECT_EQ(0, vqchar_queue_close(q));
	}
}

TEST(accessors_report_the_queue)
{
	struct vqchar_queue *q;
	int fds[3], i;

	ASSERT_EQ(0, test_anon(16, 40, 1000, VQCHAR_F_EVENT_IDX, &q));
	EXPECT_EQ(16, vqchar_queue_num(q));
	EXPECT_EQ(VQCHAR_F_EVENT_IDX, vqchar_queue_features(q));
	EXPECT_EQ(VQCHAR_BACKEND_ANON, vqchar_queue_backend(q));
	EXPECT_EQ(40, vqchar_queue_buf_count(q));
	EXPECT_EQ(1000, vqchar_queue_buf_size(q));
	EXPECT_EQ(40000, vqchar_queue_pool_size(q));
	EXPECT_EQ(-1, vqchar_queue_dev_fd(q));
	ASSERT_NE(NULL, vqchar_queue_pool(q));
	memset(vqchar_queue_pool(q), 0x5a, 40000);	/* all of it is writable */

	fds[0] = vqchar_queue_kick_fd(q);
	fds[1] = vqchar_queue_call_fd(q);
	fds[2] = vqchar_queue_err_fd(q);
	for (i = 0; i < 3; i++) {
		char path[64], link[64] = "";

		ASSERT_LE(0, fds[i]);
		EXPECT_NE(0, fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		ASSERT_LT(0, readlink(path, link, sizeof(link) - 1));
		EXPECT_EQ(0, strcmp(link, "anon_inode:[eventfd]"));
	}
	EXPECT_NE(fds[0], fds[1]);
	EXPECT_NE(fds[1], fds[2]);
	EXPECT_EQ(-EOPNOTSUPP, vqchar_queue_kstats(q, &(struct vqchar_queue_stats){ 0 }));
	EXPECT_EQ(0, vqchar_queue_close(q));
	/* Close released the descriptors. */
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-1, fcntl(fds[i], F_GETFD));
}

/* A step that fails is reported, and the steps after it still run. */
TEST(close_reports_first_error)
{
	struct vqchar_queue *q;
	int kick, call, err;

	ASSERT_EQ(0, test_anon(8, 8, 64, 0, &q));
	kick = vqchar_queue_kick_fd(q);
	call = vqchar_queue_call_fd(q);
	err = vqchar_queue_err_fd(q);
	ASSERT_EQ(0, close(kick));	/* behind the library's back */
	EXPECT_EQ(-EBADF, vqchar_queue_close(q));
	EXPECT_EQ(-1, fcntl(call, F_GETFD));
	EXPECT_EQ(-1, fcntl(err, F_GETFD));
}

TEST(close_null_is_noop)
{
	EXPECT_EQ(0, vqchar_queue_close(NULL));
}

/* The pool mapping fails after the eventfds and the ring were set up. */
TEST(failed_pool_mapping_releases_everything)
{
	int fds = test_count_fds(), maps = test_count_maps();
	struct vqchar_queue *q = NULL;
	int ret;

	/* 2^20 buffers of 1 GiB: 1 PiB, more than any mmap will give. */
	ret = test_anon(64, 1U << 20, 1U << 30, 0, &q);
	/* valgrind's own mmap refuses a request beyond its address space. */
	if (test_slow()) {
		EXPECT_TRUE(ret == -ENOMEM || ret == -EINVAL) TH_LOG("ret %d", ret);
	} else {
		EXPECT_EQ(-ENOMEM, ret);
	}
	EXPECT_EQ(NULL, q);
	EXPECT_EQ(fds, test_count_fds());
	EXPECT_EQ(maps, test_count_maps());
}

/* Only two descriptors left: the third eventfd fails. */
TEST(failed_eventfd_releases_everything)
{
	struct vqchar_queue *q = NULL;
	struct rlimit rl;
	int fd, n, fds, maps;

	/* Find the lowest free descriptor, then allow exactly two more. */
	fd = dup(0);
	ASSERT_LE(0, fd);
	close(fd);
	if (test_slow())
		SKIP(return, "valgrind reserves descriptors under the limit");
	fds = test_count_fds();
	maps = test_count_maps();
	for (n = 0; n < 3; n++) {
		ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
		rl.rlim_cur = (rlim_t)fd + n;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
		EXPECT_EQ(-EMFILE, test_anon(8, 8, 64, 0, &q));
		EXPECT_EQ(NULL, q);
		rl.rlim_cur = 1024;
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
		EXPECT_EQ(fds, test_count_fds());
		EXPECT_EQ(maps, test_count_maps());
	}
}

/* The kernel backend without the module: -ENOENT, nothing leaked. */
TEST(kernel_backend_without_device)
{
	struct vqchar_params p;
	struct vqchar_queue *q = NULL;
	int fds = test_count_fds();
	struct stat st;

	if (!stat("/dev/vqchar", &st))
		SKIP(return, "/dev/vqchar exists: lib_kernel_backend covers it");
	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_KERNEL;
	p.num = 8;
	p.buf_count = 8;
	p.buf_size = 64;
	p.device = VQCHAR_DEV_LOOPBACK;
	EXPECT_EQ(-ENOENT, vqchar_queue_create(&p, &q));
	EXPECT_EQ(NULL, q);
	EXPECT_EQ(fds, test_count_fds());

	/* Handing in a descriptor that is not /dev/vqchar fails the ioctl. */
	p.flags = VQCHAR_PARAMS_DEV_FD;
	p.dev_fd = eventfd(0, 0);
	ASSERT_LE(0, p.dev_fd);
	EXPECT_EQ(-ENOTTY, vqchar_queue_create(&p, &q)) ;
	close(p.dev_fd);
	EXPECT_EQ(fds, test_count_fds());
}

TEST(attach_bad_fd_refused)
{
	struct vqchar_queue *q = NULL;
	int fds = test_count_fds();
	int fd = eventfd(0, 0);

	EXPECT_EQ(-EINVAL, vqchar_queue_attach(-1, 0, -1, -1, -1, &q));
	EXPECT_EQ(-EBADF, vqchar_queue_attach(1000, 0, -1, -1, -1, &q));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, vqchar_queue_attach(fd, 0, fd, fd, fd, &q));
	EXPECT_EQ(NULL, q);
	close(fd);
	EXPECT_EQ(fds, test_count_fds());
}

TEST_HARNESS_MAIN
