/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tests/vm programs: raw ioctls on /dev/vqchar and a
 * driver-side queue built on common/vq_split.h.  Deliberately not libvqchar:
 * these tests check the kernel ABI exactly as include/uapi/linux/vqchar.h
 * documents it.
 *
 * Helpers return 0 / a value, or -errno; the tests do the asserting.
 */
#ifndef VQ_TEST_H
#define VQ_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/vqchar.h>
#include "vq_split.h"

/*
 * The vendored kselftest harness is written for the selftests' -Wall, not
 * for our -Wextra: __timeout_handler() has an unused parameter, and
 * EXPECT_EQ(0, some_u32) compares an int literal with an unsigned field
 * (the harness itself checks signedness at run time, is_signed_type());
 * at -O2 GCC also flags the "child" local of the TEST_F wrapper, which
 * lives across the harness's setjmp(), as -Wclobbered.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define VQT_DEV		"/dev/vqchar"
/* Every wait on the kernel is bounded by this. */
#define VQT_TIMEOUT_MS	5000

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

static inline long vqt_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static inline int vqt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vqt_eventfd(void)
{
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static inline uint64_t vqt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void vqt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Wait up to @timeout_ms for @fd to become readable and, for an eventfd,
 * drain it.  Returns the eventfd count (> 0), 0 on timeout, -errno.
 */
static inline int64_t vqt_wait_eventfd(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;
	int ret;

	ret = poll(&p, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return 0;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? 0 : -errno;
	return (int64_t)v;
}

static inline int vqt_signal(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* ---- plain ioctls, output structs pre-filled with 0xcc ---- */

static inline int vqt_get_version(int fd, struct vqchar_version *v)
{
	memset(v, 0xcc, sizeof(*v));
	v->size = sizeof(*v);
	v->flags = 0;
	return vqt_ioctl(fd, VQCHAR_IOC_GET_VERSION, v);
}

static inline int vqt_queue_ref(int fd, unsigned long cmd, uint32_t id)
{
	struct vqchar_queue_ref ref = { .size = sizeof(ref), .queue_id = id };

	return vqt_ioctl(fd, cmd, &ref);
}

static inline int vqt_destroy(int fd, uint32_t id)
{
	return vqt_queue_ref(fd, VQCHAR_IOC_DESTROY_QUEUE, id);
}

static inline int vqt_reset(int fd, uint32_t id)
{
	return vqt_queue_ref(fd, VQCHAR_IOC_RESET_QUEUE, id);
}

static inline int vqt_info(int fd, uint32_t id, struct vqchar_queue_info *i)
{
	memset(i, 0xcc, sizeof(*i));
	i->size = sizeof(*i);
	i->flags = 0;
	i->queue_id = id;
	i->reserved0 = 0;
	return vqt_ioctl(fd, VQCHAR_IOC_QUEUE_INFO, i);
}

static inline int vqt_stats(int fd, uint32_t id, struct vqchar_queue_stats *s)
{
	memset(s, 0xcc, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = 0;
	s->queue_id = id;
	s->reserved0 = 0;
	return vqt_ioctl(fd, VQCHAR_IOC_QUEUE_STATS, s);
}

static inline int vqt_status(int fd, uint32_t id, struct vqchar_queue_status *s)
{
	memset(s, 0xcc, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = 0;
	s->queue_id = id;
	return vqt_ioctl(fd, VQCHAR_IOC_QUEUE_STATUS, s);
}

/* A valid create request; outputs pre-filled with 0xcc. */
static inline void vqt_create_args(struct vqchar_queue_create *c, uint32_t num,
				   uint32_t device, uint64_t features, uint32_t buf_count,
				   uint32_t buf_size, int kick, int call, int err)
{
	memset(c, 0xcc, sizeof(*c));
	c->size = sizeof(*c);
	c->flags = 0;
	c->num = num;
	c->device = device;
	c->features = features;
	c->buf_count = buf_count;
	c->buf_size = buf_size;
	c->kick_fd = kick < 0 ? VQCHAR_FD_NONE : (uint32_t)kick;
	c->call_fd = call < 0 ? VQCHAR_FD_NONE : (uint32_t)call;
	c->err_fd = err < 0 ? VQCHAR_FD_NONE : (uint32_t)err;
	c->io_base = 0;
	c->poll_usecs = 0;
	c->reserved = 0;
}

/* ---- a driver-side queue ---- */

struct vqt_queue {
	int fd;			/* the /dev/vqchar context */
	uint32_t id;
	uint32_t num;
	uint32_t device;
	uint64_t features;
	uint32_t buf_count;
	uint32_t buf_size;
	int kick, call, err;	/* our eventfds, -1 when not used */
	struct vqchar_queue_create cr;
	void *ring_map;
	size_t ring_len;
	uint8_t *pool;
	size_t pool_len;
	struct vq_ring r;
	uint16_t avail_idx;	/* driver's next avail position */
	uint16_t last_used;	/* driver's next used position */
	unsigned int kicks_sent;
	unsigned int kicks_skipped;
	bool no_rearm;		/* vqt_wait_used leaves call suppression alone */
};

static inline void vqt_queue_unmap(struct vqt_queue *q)
{
	if (q->ring_map && q->ring_map != MAP_FAILED)
		munmap(q->ring_map, q->ring_len);
	if (q->pool && (void *)q->pool != MAP_FAILED)
		munmap(q->pool, q->pool_len);
	q->ring_map = NULL;
	q->pool = NULL;
}

static inline int vqt_queue_map(struct vqt_queue *q)
{
	const struct vqchar_queue_create *c = &q->cr;

	q->ring_len = c->ring.length;
	q->pool_len = c->pool.length;
	q->ring_map = mmap(NULL, q->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd,
			   (off_t)c->ring.offset);
	if (q->ring_map == MAP_FAILED) {
		q->ring_map = NULL;
		return -errno;
	}
	q->pool = mmap(NULL, q->pool_len, PROT_READ | PROT_WRITE, MAP_SHARED, q->fd,
		       (off_t)c->pool.offset);
	if (q->pool == MAP_FAILED) {
		int ret = -errno;

		q->pool = NULL;
		vqt_queue_unmap(q);
		return ret;
	}
	vq_ring_init(&q->r, q->ring_map, q->num, &c->ring_off);
	return 0;
}

static inline void vqt_queue_close_fds(struct vqt_queue *q)
{
	if (q->kick >= 0)
		close(q->kick);
	if (q->call >= 0)
		close(q->call);
	if (q->err >= 0)
		close(q->err);
	q->kick = q->call = q->err = -1;
}

/*
 * Create and map a queue with fresh kick, call and err eventfds.
 * Returns 0 or -errno (from eventfd, the create ioctl or mmap).
 */
static inline int vqt_queue_create(int fd, struct vqt_queue *q, uint32_t num,
				   uint32_t device, uint64_t features, uint32_t buf_count,
				   uint32_t buf_size)
{
	int ret;

	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->num = num;
	q->device = device;
	q->features = features;
	q->buf_count = buf_count;
	q->buf_size = buf_size;
	q->kick = vqt_eventfd();
	q->call = vqt_eventfd();
	q->err = vqt_eventfd();
	if (q->kick < 0 || q->call < 0 || q->err < 0) {
		ret = -errno;
		vqt_queue_close_fds(q);
		return ret;
	}
	vqt_create_args(&q->cr, num, device, features, buf_count, buf_size,
			q->kick, q->call, q->err);
	ret = vqt_ioctl(fd, VQCHAR_IOC_CREATE_QUEUE, &q->cr);
	if (ret) {
		vqt_queue_close_fds(q);
		return ret;
	}
	q->id = q->cr.queue_id;
	ret = vqt_queue_map(q);
	if (ret) {
		vqt_destroy(fd, q->id);
		vqt_queue_close_fds(q);
	}
	return ret;
}

/* Unmap, destroy, close our eventfds. Returns the destroy result. */
static inline int vqt_queue_destroy(struct vqt_queue *q)
{
	int ret;

	vqt_queue_unmap(q);
	ret = vqt_destroy(q->fd, q->id);
	vqt_queue_close_fds(q);
	return ret;
}

/* Publish everything filled so far and kick if the device asks for it. */
static inline int vqt_publish(struct vqt_queue *q, uint16_t old_idx)
{
	vq_drv_avail_publish(&q->r, q->avail_idx);
	if (vq_drv_should_kick(&q->r, q->features, old_idx, q->avail_idx)) {
		q->kicks_sent++;
		return vqt_signal(q->kick);
	}
	q->kicks_skipped++;
	return 0;
}

/* Publish and kick unconditionally. */
static inline int vqt_publish_kick(struct vqt_queue *q)
{
	vq_drv_avail_publish(&q->r, q->avail_idx);
	q->kicks_sent++;
	return vqt_signal(q->kick);
}

/*
 * Wait until at least @want used entries are pending past q->last_used.
 * Polls the call eventfd in short slices (calls may legitimately be
 * suppressed) until VQT_TIMEOUT_MS.  Returns the pending count (which may
 * be short of @want on timeout).
 */
static inline uint16_t vqt_wait_used(struct vqt_queue *q, uint16_t want)
{
	uint64_t deadline = vqt_now_ms() + VQT_TIMEOUT_MS;
	uint16_t pending;

	for (;;) {
		/*
		 * Ask for a call, then re-check.  With EVENT_IDX the call is
		 * wanted once the @want-th entry is used, not at the first one
		 * (virtqueue_enable_cb_delayed()), so a batch the device
		 * publishes in pieces still ends with a call.
		 */
		if (!q->no_rearm)
			vq_drv_set_calls(&q->r, q->features, true,
					 (uint16_t)(q->last_used + (want ? want - 1 : 0)));
		pending = vq_drv_used_pending(&q->r, q->last_used);
		if (pending >= want || vqt_now_ms() > deadline)
			return pending;
		if (q->call >= 0)
			vqt_wait_eventfd(q->call, 20);
		else
			vqt_sleep_ms(1);
	}
}

/* Poll @fd for readability without consuming; 1 readable, 0 not. */
static inline int vqt_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* Open /dev/vqchar; -errno when it is not there. */
static inline int vqt_open(void)
{
	int fd = open(VQT_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

#endif /* VQ_TEST_H */
