// SPDX-License-Identifier: MIT
/*
 * libvqchar on the kernel backend: round trips through the in-kernel
 * loopback, sink and source devices, an external device played by a second
 * process that received the vqchar fd and eventfds over SCM_RIGHTS, and a
 * hostile chain breaking the queue until reset.  Every test SKIPs when
 * /dev/vqchar does not exist.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vq_split.h"
#include "../host/vq_test.h"	/* the library tests' helpers */

static int kernel_queue(int dev_fd, uint32_t device, uint32_t num, uint32_t buf_count,
			uint32_t buf_size, uint64_t features, struct vqchar_queue **q)
{
	struct vqchar_params p;

	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_KERNEL;
	p.num = num;
	p.buf_count = buf_count;
	p.buf_size = buf_size;
	p.features = features;
	p.device = device;
	if (dev_fd >= 0) {
		p.flags = VQCHAR_PARAMS_DEV_FD;
		p.dev_fd = dev_fd;
	}
	return vqchar_queue_create(&p, q);
}

static int have_vqchar(void)
{
	struct stat st;

	return !stat("/dev/vqchar", &st);
}

FIXTURE(kq) {
	struct vqchar_queue *q;
};

FIXTURE_VARIANT(kq) {
	uint64_t features;
};

FIXTURE_VARIANT_ADD(kq, plain) {
	.features = 0,
};

FIXTURE_VARIANT_ADD(kq, event_idx) {
	.features = VQCHAR_F_EVENT_IDX,
};

FIXTURE_VARIANT_ADD(kq, indirect) {
	.features = VQCHAR_F_INDIRECT_DESC,
};

FIXTURE_VARIANT_ADD(kq, all) {
	.features = VQCHAR_F_ALL,
};

FIXTURE_SETUP(kq)
{
	self->q = NULL;
	if (!have_vqchar())
		SKIP(return, "/dev/vqchar not present (module not loaded)");
}

FIXTURE_TEARDOWN(kq)
{
	EXPECT_EQ(0, vqchar_queue_close(self->q));
}

TEST_F(kq, loopback_round_trip)
{
	struct vqchar_queue_stats ks;
	uint8_t msg[600];
	struct iovec out, in[4];
	unsigned int i, n = 1000, j;
	uint32_t len;
	int head, cnt;

	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_LOOPBACK, 64, 128, 256, variant->features,
				  &self->q));
	EXPECT_EQ(VQCHAR_BACKEND_KERNEL, vqchar_queue_backend(self->q));
	EXPECT_EQ(VQCHAR_DEV_LOOPBACK, vqchar_queue_device(self->q));
	EXPECT_LE(0, vqchar_queue_dev_fd(self->q));
	for (i = 0; i < n; i++) {
		size_t sz = 1 + (i * 37) % sizeof(msg);

		for (j = 0; j < sz; j++)
			msg[j] = (uint8_t)(i + j);
		out = (struct iovec){ msg, sz };
		head = vqchar_offer(self->q, &out, 1, 3, 0);
		ASSERT_LE(0, head) TH_LOG("chain %u", i);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len)) TH_LOG("chain %u", i);
		ASSERT_EQ(sz, len);
		cnt = vqchar_chain_in(self->q, head, in, 4);
		ASSERT_EQ(3, cnt);
		for (j = 0; j < sz; j++) {
			size_t k = j / 256;

			ASSERT_EQ(msg[j], ((uint8_t *)in[k].iov_base)[j % 256]);
		}
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
	ASSERT_EQ(0, vqchar_queue_kstats(self->q, &ks));
	EXPECT_EQ(n, ks.chains);
	EXPECT_LE(ks.kicks, n);
	TH_LOG("kernel: %llu chains, %llu kicks, %llu calls, %llu suppressed, %llu batches",
	       (unsigned long long)ks.chains, (unsigned long long)ks.kicks,
	       (unsigned long long)ks.calls, (unsigned long long)ks.calls_suppressed,
	       (unsigned long long)ks.batches);
}

TEST_F_TIMEOUT(kq, loopback_batches_wrap_indices, 300)
{
	/* A full ring per kick: 1094 round trips take both indices past 65535. */
	const unsigned int total = 70016, batch = 64;
	struct vqchar_chain_req reqs[64];
	struct vqchar_used used[64];
	struct vqchar_queue_stats ks;
	struct vqchar_stats st;
	unsigned int done = 0, i;
	uint32_t v = 0;
	struct iovec out = { &v, sizeof(v) };
	int ret;

	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_LOOPBACK, 128, 256, 64, variant->features,
				  &self->q));
	for (i = 0; i < batch; i++)
		reqs[i] = (struct vqchar_chain_req){ &out, 1, 1 };
	while (done < total) {
		unsigned int got = 0;

		v = done;
		ASSERT_EQ(batch, vqchar_offer_batch(self->q, reqs, batch, NULL, 0));
		while (got < batch) {
			ret = vqchar_wait_used(self->q, 5000);
			ASSERT_LT(0, ret) TH_LOG("done %u: %d", done, ret);
			ret = vqchar_take_batch(self->q, used, 64);
			ASSERT_LT(0, ret);
			for (i = 0; i < (unsigned int)ret; i++) {
				ASSERT_EQ(4, used[i].len);
				ASSERT_EQ(0, vqchar_free(self->q, used[i].head));
			}
			got += (unsigned int)ret;
		}
		done += got;
	}
	ASSERT_EQ(0, vqchar_queue_kstats(self->q, &ks));
	ASSERT_EQ(0, vqchar_get_stats(self->q, &st));
	EXPECT_EQ(total, ks.chains);
	EXPECT_GT(total / 8, st.kicks);
	EXPECT_GT(total / 8, ks.calls);
	TH_LOG("%u chains: %llu kicks sent, kernel saw %llu kicks, %llu calls",
	       total, (unsigned long long)st.kicks, (unsigned long long)ks.kicks,
	       (unsigned long long)ks.calls);
}

TEST_F(kq, sink_consumes_without_writing)
{
	struct vqchar_queue_stats ks;
	char msg[300];
	struct iovec out = { msg, sizeof(msg) };
	uint32_t len = 0xcccccccc;
	int head, i;

	memset(msg, 's', sizeof(msg));
	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_SINK, 16, 32, 128, variant->features,
				  &self->q));
	for (i = 0; i < 100; i++) {
		head = vqchar_offer(self->q, &out, 1, 0, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len));
		EXPECT_EQ(0, len);
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
	ASSERT_EQ(0, vqchar_queue_kstats(self->q, &ks));
	EXPECT_EQ(100, ks.chains);
	EXPECT_EQ(100 * sizeof(msg), ks.bytes_read);
	EXPECT_EQ(0, ks.bytes_written);
}

TEST_F(kq, source_fills_pattern)
{
	struct iovec in[2];
	uint32_t len, seq, i;
	int head;

	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_SOURCE, 16, 32, 128, variant->features,
				  &self->q));
	for (seq = 0; seq < 50; seq++) {
		head = vqchar_offer(self->q, NULL, 0, 2, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len));
		ASSERT_LT(0, len);
		ASSERT_GE(256, len);
		ASSERT_EQ(2, vqchar_chain_in(self->q, head, in, 2));
		for (i = 0; i < len; i++) {
			uint8_t b = ((uint8_t *)in[i / 128].iov_base)[i % 128];

			ASSERT_EQ(VQCHAR_SOURCE_BYTE(seq, i), b) TH_LOG("seq %u byte %u", seq, i);
		}
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
}

/* Two queues in one open file; closing one destroys only it. */
TEST_F(kq, second_queue_in_same_context)
{
	struct vqchar_queue *q2 = NULL;
	struct vqchar_queue_info info;
	char c = 'c';
	struct iovec out = { &c, 1 };
	uint32_t id1, len;
	int head;

	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_LOOPBACK, 8, 16, 64, variant->features,
				  &self->q));
	ASSERT_EQ(0, kernel_queue(vqchar_queue_dev_fd(self->q), VQCHAR_DEV_SINK, 8, 16, 64,
				  variant->features, &q2));
	id1 = vqchar_queue_id(self->q);
	EXPECT_NE(id1, vqchar_queue_id(q2));
	head = vqchar_offer(q2, &out, 1, 0, 0);
	ASSERT_LE(0, head);
	EXPECT_EQ(head, vqchar_wait(q2, 5000, &len));

	EXPECT_EQ(0, vqchar_queue_close(self->q));
	self->q = q2;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.queue_id = id1;
	EXPECT_EQ(-1, ioctl(vqchar_queue_dev_fd(q2), VQCHAR_IOC_QUEUE_INFO, &info));
}

/* A chain looping on itself breaks the queue; reset brings it back. */
TEST_F(kq, hostile_chain_breaks_queue_until_reset)
{
	struct vqchar_queue_status ks;
	struct pollfd pfd;
	struct vq_ring r;
	struct vqchar_ring_offsets off;
	uint64_t one = 1;
	uint32_t len;
	int head;

	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_LOOPBACK, 8, 16, 64, variant->features,
				  &self->q));
	vqchar_queue_ring_offsets(self->q, &off);
	vq_ring_init(&r, vqchar_queue_ring_base(self->q), 8, &off);
	vq_drv_desc_write(&r, 0, 0, 8, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&r, 1, 8, 8, VQ_DESC_F_NEXT, 0);
	vq_drv_avail_fill(&r, 0, 0);
	vq_drv_avail_publish(&r, 1);
	ASSERT_EQ(8, write(vqchar_queue_kick_fd(self->q), &one, 8));

	pfd = (struct pollfd){ .fd = vqchar_queue_err_fd(self->q), .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	memset(&ks, 0xcc, sizeof(ks));
	ASSERT_EQ(0, vqchar_queue_kstatus(self->q, &ks));
	EXPECT_EQ(VQCHAR_STATUS_BROKEN, ks.status & VQCHAR_STATUS_BROKEN);
	EXPECT_EQ(VQCHAR_ERR_CHAIN_LOOP, ks.error);
	EXPECT_EQ(-EIO, vqchar_wait_used(self->q, 100));

	ASSERT_EQ(0, vqchar_queue_reset(self->q));
	ASSERT_EQ(0, vqchar_queue_kstatus(self->q, &ks));
	EXPECT_EQ(0, ks.status & VQCHAR_STATUS_BROKEN);
	EXPECT_EQ(VQCHAR_ERR_NONE, ks.error);
	{
		char msg[5] = "again";
		struct iovec out = { msg, 5 };

		head = vqchar_offer(self->q, &out, 1, 1, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len));
		EXPECT_EQ(5, len);
	}
}

/* ---- an external device in a second process ---- */

struct ext_msg {
	uint32_t queue_id;
	uint32_t chains;
};

static int send_fds(int sock, const struct ext_msg *m, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == sizeof(*m) ? 0 : -1;
}

static int recv_fds(int sock, struct ext_msg *m, int *fds, int n)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	if (recvmsg(sock, &msg, 0) != sizeof(*m))
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	return 0;
}

/* The device process: reverse each chain's readable bytes into its writable ones. */
static int ext_device(int sock)
{
	struct vqchar_queue *q;
	struct vqchar_dev_chain c;
	struct iovec iov[16];
	struct ext_msg m;
	uint32_t done = 0;
	int fds[4], ret, i, idle = 0;

	if (recv_fds(sock, &m, fds, 4))
		return 10;
	ret = vqchar_queue_attach(fds[0], m.queue_id, fds[1], fds[2], fds[3], &q);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	if (ret)
		return 11;
	if (vqchar_queue_device(q) != VQCHAR_DEV_EXTERNAL || vqchar_offer(q, NULL, 0, 1, 0) != -EPERM)
		return 12;
	while (done < m.chains) {
		/* Short waits: dev_wait re-reads the ring each time round. */
		ret = vqchar_dev_wait(q, 100);
		if (ret == -ETIMEDOUT && ++idle < 300)
			continue;
		if (ret < 0)
			return 13;
		idle = 0;
		vqchar_dev_disable_kicks(q);
		while ((ret = vqchar_dev_pop(q, &c, iov, 16)) == 1) {
			uint8_t buf[256];
			uint32_t n = 0, k;

			if (c.nr_out != 1 || c.nr_in != 1 || iov[0].iov_len > sizeof(buf))
				return 14;
			memcpy(buf, iov[0].iov_base, iov[0].iov_len);
			for (k = 0; k < iov[0].iov_len && k < iov[1].iov_len; k++, n++)
				((uint8_t *)iov[1].iov_base)[k] = buf[iov[0].iov_len - 1 - k];
			if (vqchar_dev_push(q, c.head, n))
				return 15;
			done++;
		}
		if (ret < 0)
			return 16;
		if (vqchar_dev_notify(q) < 0)
			return 17;
	}
	return vqchar_queue_close(q) ? 18 : 0;
}

static int kernel_queue_io(uint32_t device, uint64_t io_base, uint32_t poll_usecs,
			   uint64_t features, struct vqchar_queue **q)
{
	struct vqchar_params p;

	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_KERNEL;
	p.num = 16;
	p.buf_count = 32;
	p.buf_size = 256;
	p.features = features;
	p.device = device;
	p.io_base = io_base;
	p.poll_usecs = poll_usecs;
	return vqchar_queue_create(&p, q);
}

#define KQ_IO_BASE	0x7f0000000000ULL

/* The kernel loopback reads io_base + offset descriptors the library wrote. */
TEST_F(kq, loopback_with_io_base)
{
	struct vqchar_queue *att;
	struct vq_desc *desc;
	struct iovec out, in;
	uint64_t addr;
	uint32_t len, i;
	char msg[64];
	int head, n;

	ASSERT_EQ(0, kernel_queue_io(VQCHAR_DEV_LOOPBACK, KQ_IO_BASE, 0, variant->features,
				     &self->q));
	EXPECT_EQ(KQ_IO_BASE, vqchar_queue_io_base(self->q));
	desc = vqchar_queue_desc(self->q);
	for (i = 0; i < 100; i++) {
		n = snprintf(msg, sizeof(msg), "io_base chain %u", i);
		out = (struct iovec){ msg, (size_t)n };
		head = vqchar_offer(self->q, &out, 1, 1, VQCHAR_OFFER_NO_INDIRECT);
		ASSERT_LE(0, head);
		addr = le64toh(desc[head].addr);
		EXPECT_LE(KQ_IO_BASE, addr);
		EXPECT_GT(KQ_IO_BASE + vqchar_queue_pool_size(self->q), addr);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len)) TH_LOG("chain %u", i);
		ASSERT_EQ(n, len);
		ASSERT_EQ(1, vqchar_chain_in(self->q, head, &in, 1));
		ASSERT_EQ(0, memcmp(in.iov_base, msg, (size_t)n));
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}

	/* A second handle learns the base from QUEUE_INFO. */
	ASSERT_EQ(0, vqchar_queue_attach(vqchar_queue_dev_fd(self->q), vqchar_queue_id(self->q),
					 -1, -1, -1, &att));
	EXPECT_EQ(KQ_IO_BASE, vqchar_queue_io_base(att));
	EXPECT_EQ(0, vqchar_queue_close(att));
}

TEST_F(kq, io_range_that_wraps_refused)
{
	EXPECT_EQ(-EINVAL, kernel_queue_io(VQCHAR_DEV_LOOPBACK, UINT64_MAX - 32 * 256 + 1, 0,
					   variant->features, &self->q));
	EXPECT_EQ(NULL, self->q);
}

static uint32_t max_poll_usecs(void)
{
	struct vqchar_version v;
	int fd = open("/dev/vqchar", O_RDWR | O_CLOEXEC);

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (fd < 0)
		return 0;
	if (ioctl(fd, VQCHAR_IOC_GET_VERSION, &v))
		v.max_poll_usecs = 0;
	close(fd);
	return v.max_poll_usecs;
}

/*
 * poll_usecs reaches create.poll_usecs: a kernel without polling
 * (max_poll_usecs 0) refuses it, one with polling keeps it and says so.
 */
TEST_F(kq, poll_usecs_passed_to_kernel)
{
	uint32_t max = max_poll_usecs();
	struct iovec out = { "p", 1 };
	uint32_t len;
	int ret, head;

	ret = kernel_queue_io(VQCHAR_DEV_LOOPBACK, 0, 50, variant->features, &self->q);
	if (!max) {
		EXPECT_EQ(-EINVAL, ret);
		EXPECT_EQ(NULL, self->q);
		return;
	}
	if (max < 50) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(0, vqchar_queue_close(self->q));
		self->q = NULL;
		ASSERT_EQ(-EINVAL, kernel_queue_io(VQCHAR_DEV_LOOPBACK, 0, max + 1,
						   variant->features, &self->q));
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(50, vqchar_queue_poll_usecs(self->q));
	head = vqchar_offer(self->q, &out, 1, 1, 0);
	ASSERT_LE(0, head);
	ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len));
	EXPECT_EQ(0, vqchar_free(self->q, head));
}

TEST_F_TIMEOUT(kq, external_device_in_second_process, 120)
{
	const uint32_t chains = 2000;
	struct ext_msg m;
	int sv[2], fds[4], status;
	uint32_t i, len;
	pid_t pid;

	ASSERT_EQ(0, kernel_queue(-1, VQCHAR_DEV_EXTERNAL, 32, 64, 128, variant->features,
				  &self->q));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		_exit(ext_device(sv[1]));
	}
	close(sv[1]);
	m = (struct ext_msg){ vqchar_queue_id(self->q), chains };
	fds[0] = vqchar_queue_dev_fd(self->q);
	fds[1] = vqchar_queue_kick_fd(self->q);
	fds[2] = vqchar_queue_call_fd(self->q);
	fds[3] = vqchar_queue_err_fd(self->q);
	ASSERT_EQ(0, send_fds(sv[0], &m, fds, 4));
	close(sv[0]);

	for (i = 0; i < chains; i++) {
		char msg[32];
		struct iovec out, in;
		int n = snprintf(msg, sizeof(msg), "chain %u", i), head, k;

		out = (struct iovec){ msg, (size_t)n };
		head = vqchar_offer(self->q, &out, 1, 1, 0);
		ASSERT_LE(0, head);
		ASSERT_EQ(head, vqchar_wait(self->q, 5000, &len)) TH_LOG("chain %u", i);
		ASSERT_EQ(n, len);
		ASSERT_EQ(1, vqchar_chain_in(self->q, head, &in, 1));
		for (k = 0; k < n; k++)
			ASSERT_EQ(msg[n - 1 - k], ((char *)in.iov_base)[k]);
		ASSERT_EQ(0, vqchar_free(self->q, head));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
