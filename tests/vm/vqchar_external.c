// SPDX-License-Identifier: GPL-2.0
/*
 * An external queue: the device is another process.  The parent creates
 * the queue and drives it (vq_drv_*); a child that shares nothing else with
 * it receives the vqchar fd and the kick/call eventfds over a unix socket
 * (SCM_RIGHTS), finds the queue with QUEUE_INFO, maps it and plays the
 * device with vq_dev_* and vq_chain_walk(): it returns every readable byte
 * XORed with 0xff in the writable buffers.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "vq_test.h"

#define NUM		32
#define SLOTS		(NUM / 2)
#define BUF_SIZE	512
#define BUF_COUNT	(NUM + SLOTS)	/* data buffers, then indirect tables */
#define TOTAL		1500

struct ext_msg {
	uint32_t queue_id;
	uint32_t num;
	uint64_t features;
};

/* Child exit codes, so the parent can say what went wrong. */
enum {
	DEV_OK = 0,
	DEV_RECV = 2,
	DEV_INFO,
	DEV_LAYOUT,
	DEV_MAP,
	DEV_TIMEOUT,
	DEV_AVAIL,	/* the avail ring was bad */
	DEV_CHAIN,	/* vq_chain_walk refused a chain */
	DEV_SHAPE,	/* a chain without the expected shape */
};

static int send_fds(int sock, const int *fds, int n, const void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	return sendmsg(sock, &msg, 0) == (ssize_t)len ? 0 : -errno;
}

static int recv_fds(int sock, int *fds, int n, void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	return 0;
}

/* The device process.  Returns its exit code. */
static int device_main(int sock)
{
	struct vqchar_queue_info info;
	struct ext_msg m;
	struct vq_seg segs[8];
	struct vq_ring r;
	uint16_t last_avail = 0, used_idx = 0;
	uint8_t *ring, *pool;
	int fds[3], vfd, kick, call;

	if (recv_fds(sock, fds, 3, &m, sizeof(m)))
		return DEV_RECV;
	vfd = fds[0];
	kick = fds[1];
	call = fds[2];
	if (vqt_info(vfd, m.queue_id, &info) || info.device != VQCHAR_DEV_EXTERNAL ||
	    info.num != m.num || info.features != m.features)
		return DEV_INFO;
	if (!vq_split_layout_valid(info.num, &info.ring_off, info.ring.length))
		return DEV_LAYOUT;
	ring = mmap(NULL, info.ring.length, PROT_READ | PROT_WRITE, MAP_SHARED, vfd,
		    (off_t)info.ring.offset);
	pool = mmap(NULL, info.pool.length, PROT_READ | PROT_WRITE, MAP_SHARED, vfd,
		    (off_t)info.pool.offset);
	if (ring == MAP_FAILED || pool == MAP_FAILED)
		return DEV_MAP;
	/* The mappings are all the child needs from the vqchar fd. */
	close(vfd);
	vq_ring_init(&r, ring, info.num, &info.ring_off);
	vq_dev_set_kicks(&r, info.features, true, last_avail);

	for (;;) {
		struct pollfd p[2] = { { .fd = kick, .events = POLLIN },
				       { .fd = sock, .events = POLLIN } };
		uint64_t v;
		int n;

		n = poll(p, 2, VQT_TIMEOUT_MS);
		if (n <= 0)
			return DEV_TIMEOUT;
		if (p[1].revents)
			return DEV_OK;	/* the driver is done (message or hangup) */
		if (read(kick, &v, sizeof(v)) != sizeof(v))
			continue;

		for (;;) {
			uint16_t old_used = used_idx;

			vq_dev_set_kicks(&r, info.features, false, last_avail);
			n = vq_dev_avail_pending(&r, last_avail);
			if (n < 0)
				return DEV_AVAIL;
			while (n--) {
				struct vq_chain c = { .segs = segs, .max_segs = 8 };
				uint32_t s, i, written = 0;
				int head = vq_dev_avail_head(&r, last_avail);

				if (head < 0)
					return DEV_AVAIL;
				struct vq_pool vp = {
					.base = pool,
					.size = (uint64_t)info.buf_count * info.buf_size,
					.io_base = info.io_base,
				};

				if (vq_chain_walk(&r, &vp, info.features, head, &c))
					return DEV_CHAIN;
				if (c.nr_out != 1 || c.nr_in != 1 || c.in_bytes < c.out_bytes)
					return DEV_SHAPE;
				for (s = 0; s < c.nr_segs; s++)
					if (c.segs[s].write)
						break;
				for (i = 0; i < c.out_bytes; i++) {
					pool[segs[s].addr + i] = pool[segs[0].addr + i] ^ 0xff;
					written++;
				}
				vq_dev_used_fill(&r, used_idx++, head, written);
				last_avail++;
			}
			if (used_idx != old_used) {
				vq_dev_used_publish(&r, used_idx);
				if (vq_dev_should_call(&r, info.features, old_used, used_idx))
					vqt_signal(call);
			}
			vq_dev_set_kicks(&r, info.features, true, last_avail);
			n = vq_dev_avail_pending(&r, last_avail);
			if (n == 0)
				break;
		}
	}
}

FIXTURE(ext)
{
	int fd;
	int sock;		/* parent's end */
	pid_t child;
	struct vqt_queue q;
};

FIXTURE_VARIANT(ext)
{
	uint64_t features;
};

FIXTURE_VARIANT_ADD(ext, plain) { .features = 0 };
FIXTURE_VARIANT_ADD(ext, event_idx) { .features = VQCHAR_F_EVENT_IDX };
FIXTURE_VARIANT_ADD(ext, indirect_event_idx) { .features = VQCHAR_F_ALL };

FIXTURE_SETUP(ext)
{
	int sv[2];
	int fd;

	self->fd = -1;
	self->child = -1;
	fd = vqt_open();
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, fd);
	close(fd);

	/* The child is forked before the device is opened: it inherits nothing. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (!self->child) {
		close(sv[0]);
		_exit(device_main(sv[1]));
	}
	close(sv[1]);
	self->sock = sv[0];

	self->fd = vqt_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &self->q, NUM, VQCHAR_DEV_EXTERNAL,
				      variant->features, BUF_COUNT, BUF_SIZE));
}

FIXTURE_TEARDOWN(ext)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->fd < 0)
		return;
	vqt_queue_destroy(&self->q);
	close(self->fd);
}

static void hand_over(struct __test_metadata *_metadata, FIXTURE_DATA(ext) *self)
{
	struct ext_msg m = { .queue_id = self->q.id, .num = NUM,
			     .features = self->q.features };
	int fds[3] = { self->fd, self->q.kick, self->q.call };

	ASSERT_EQ(0, send_fds(self->sock, fds, 3, &m, sizeof(m)));
}

/* Stop the device and check how it ended. */
static void finish(struct __test_metadata *_metadata, FIXTURE_DATA(ext) *self)
{
	int st;
	char stop = 1;

	ASSERT_EQ(1, write(self->sock, &stop, 1));
	ASSERT_EQ(self->child, waitpid(self->child, &st, 0));
	self->child = -1;
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(DEV_OK, WEXITSTATUS(st));
}

static uint8_t drv_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 5u + i * 3u);
}

/* Chain @seq in slot @s: readable buffer 2s, writable 2s+1 (maybe indirect). */
static void put_chain(struct vqt_queue *q, uint32_t s, uint32_t seq, uint32_t len)
{
	uint16_t d = 2 * s;
	uint32_t i;
	uint8_t *out = q->pool + (uint64_t)d * BUF_SIZE;

	for (i = 0; i < len; i++)
		out[i] = drv_byte(seq, i);
	memset(q->pool + (uint64_t)(d + 1) * BUF_SIZE, 0, BUF_SIZE);
	if ((q->features & VQCHAR_F_INDIRECT_DESC) && (seq & 1)) {
		struct vq_desc *t = (struct vq_desc *)(q->pool + (uint64_t)(NUM + s) * BUF_SIZE);

		t[0] = (struct vq_desc){ cpu_to_le64((uint64_t)d * BUF_SIZE), cpu_to_le32(len),
					 cpu_to_le16(VQ_DESC_F_NEXT), cpu_to_le16(1) };
		t[1] = (struct vq_desc){ cpu_to_le64((uint64_t)(d + 1) * BUF_SIZE),
					 cpu_to_le32(BUF_SIZE), cpu_to_le16(VQ_DESC_F_WRITE), 0 };
		vq_drv_desc_write(&q->r, d, (uint64_t)(NUM + s) * BUF_SIZE,
				  2 * sizeof(struct vq_desc), VQ_DESC_F_INDIRECT, 0);
	} else {
		vq_drv_desc_write(&q->r, d, (uint64_t)d * BUF_SIZE, len, VQ_DESC_F_NEXT, d + 1);
		vq_drv_desc_write(&q->r, d + 1, (uint64_t)(d + 1) * BUF_SIZE, BUF_SIZE,
				  VQ_DESC_F_WRITE, 0);
	}
	vq_drv_avail_fill(&q->r, q->avail_idx++, d);
}

TEST_F_TIMEOUT(ext, child_plays_device, 60)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_stats st;
	uint32_t seq = 0;

	hand_over(_metadata, self);
	while (seq < TOTAL) {
		uint32_t n = TOTAL - seq < SLOTS ? TOTAL - seq : SLOTS, s;
		uint16_t old = q->avail_idx, got;

		for (s = 0; s < n; s++)
			put_chain(q, s, seq + s, 1 + (seq + s) % BUF_SIZE);
		ASSERT_EQ(0, vqt_publish(q, old));
		got = vqt_wait_used(q, n);
		ASSERT_EQ(n, got) TH_LOG("chain %u: %u of %u back from the device", seq, got, n);
		for (s = 0; s < n; s++) {
			uint32_t id, len, i, k;
			const uint8_t *in;

			vq_drv_used_read(&q->r, q->last_used++, &id, &len);
			ASSERT_EQ(0, id % 2);
			ASSERT_GT(NUM, id);
			k = seq + id / 2;
			ASSERT_EQ(1 + k % BUF_SIZE, len);
			in = q->pool + (uint64_t)(id + 1) * BUF_SIZE;
			for (i = 0; i < len; i++)
				ASSERT_EQ((uint8_t)(drv_byte(k, i) ^ 0xff), in[i]);
		}
		seq += n;
	}
	TH_LOG("%u chains, %u kicks sent, %u skipped", TOTAL, q->kicks_sent, q->kicks_skipped);
	finish(_metadata, self);
	/* The kernel did not consume an external ring itself. */
	ASSERT_EQ(0, vqt_stats(self->fd, q->id, &st));
	EXPECT_EQ(0, st.chains);
	EXPECT_EQ(0, st.errors);
}

TEST_F(ext, child_sees_same_queue_info)
{
	/* device_main checks QUEUE_INFO against what we say, then idles. */
	hand_over(_metadata, self);
	vqt_sleep_ms(50);
	finish(_metadata, self);
}

TEST_F(ext, external_ring_left_alone)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;

	/* Nobody plays the device: kicks reach no one in the kernel. */
	put_chain(q, 0, 0, 8);
	ASSERT_EQ(0, vqt_publish_kick(q));
	vqt_sleep_ms(200);
	EXPECT_EQ(0, vq_drv_used_pending(&q->r, 0));
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(0, st.status);
	/* A garbage ring does not break an external queue either. */
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0xffff);
	ASSERT_EQ(0, vqt_publish_kick(q));
	vqt_sleep_ms(100);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_FALSE(vqt_readable(q->err, 0));
	/* The child never got the queue; the teardown kills it. */
}

TEST_F(ext, device_killed_mid_flight)
{
	struct vqt_queue *q = &self->q;
	uint32_t s;
	int st;

	hand_over(_metadata, self);
	for (s = 0; s < SLOTS; s++)
		put_chain(q, s, s, BUF_SIZE);
	ASSERT_EQ(0, vqt_publish_kick(q));
	kill(self->child, SIGKILL);
	ASSERT_EQ(self->child, waitpid(self->child, &st, 0));
	self->child = -1;
	/* Whatever it finished is in the ring; the queue itself is fine. */
	TH_LOG("%u chains done before the kill", vq_drv_used_pending(&q->r, 0));
	EXPECT_GE(SLOTS, vq_drv_used_pending(&q->r, 0));
	EXPECT_EQ(0, vqt_reset(self->fd, q->id));
	EXPECT_EQ(0, le16_to_cpu(*q->r.used_idx));
}

TEST_HARNESS_MAIN
