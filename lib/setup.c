/* SPDX-License-Identifier: MIT */
/*
 * Queue setup and teardown for both backends, and the accessors.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "syscall.h"
#include "vqchar_int.h"

#define VQCHAR_DEV_PATH		"/dev/vqchar"

static size_t vqchar_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

static uint64_t vqchar_page_align(uint64_t len)
{
	uint64_t ps = vqchar_page_size();

	return (len + ps - 1) & ~(ps - 1);
}

/* Driver bookkeeping as for a new queue.  Caller holds q->lock (or owns q). */
void __vqchar_driver_reset(struct vqchar_queue *q)
{
	uint32_t i, prev = VQCHAR_NO_BUF;

	if (q->attached)
		return;

	for (i = 0; i < q->num; i++)
		q->hot.desc_next[i] = (uint16_t)(i + 1);
	q->hot.free_head = 0;
	q->hot.num_free = q->num;
	memset(q->hot.chains, 0, (size_t)q->num * sizeof(*q->hot.chains));

	/* Buffers handed out by vqchar_buf_get() stay with the caller. */
	q->hot.buf_free_head = VQCHAR_NO_BUF;
	q->hot.num_free_bufs = 0;
	for (i = q->buf_count; i-- > 0;) {
		if (q->hot.buf_state[i] == VQCHAR_BUF_USER)
			continue;
		q->hot.buf_state[i] = VQCHAR_BUF_FREE;
		q->hot.buf_next[i] = prev;
		q->hot.buf_len[i] = 0;
		prev = i;
		q->hot.num_free_bufs++;
	}
	q->hot.buf_free_head = prev;

	q->hot.avail_next = 0;
	q->hot.kick_old = 0;
	__vqchar_store_relaxed(&q->hot.last_used, 0);
	q->hot.calls_enabled = true;
	q->hot.broken = 0;
	q->err_seen = false;
	q->hot.room_gen++;
}

/* Device state as for a new queue.  Caller holds q->dev_lock (or owns q). */
void __vqchar_device_reset(struct vqchar_queue *q)
{
	__vqchar_store_relaxed(&q->hot.last_avail, 0);
	q->hot.dev_used_idx = 0;
	q->hot.dev_signalled = 0;
	q->hot.dev_signalled_valid = true;
	q->hot.dev_err = VQCHAR_ERR_NONE;
	q->dev_err_index = 0;
}

/*
 * What the inline calls need of the setup, in struct vqchar_queue_hot.
 * Again whenever the ring or the pool moves.
 */
void __vqchar_hot_init(struct vqchar_queue *q)
{
	struct vqchar_queue_hot *h = &q->hot;

	h->used_idx = (uint16_t *)q->ring.used_idx;
	h->avail_idx = (uint16_t *)q->ring.avail_idx;
	h->num = q->num;
	h->mode = (q->single ? VQCHAR_HOT_SINGLE : 0) | (q->attached ? VQCHAR_HOT_ATTACHED : 0);
	h->buf_size = q->buf_size;
	h->buf_count = q->buf_count;
	h->features = q->features;
	h->desc = (struct vqchar_ring_desc *)q->ring.desc;
	h->avail_flags = (uint16_t *)q->ring.avail_flags;
	h->avail_ring = (uint16_t *)q->ring.avail_ring;
	h->used_event = (uint16_t *)q->ring.used_event;
	h->used_flags = (uint16_t *)q->ring.used_flags;
	h->used_ring = (struct vqchar_ring_used_elem *)q->ring.used_ring;
	h->avail_event = (uint16_t *)q->ring.avail_event;
	h->pool = q->pool;
	h->pool_size = q->pool_size;
	h->io_base = q->io_base;
}

/* The inline calls' view of the ring is the shared code's. */
_Static_assert(sizeof(struct vqchar_ring_desc) == sizeof(struct vq_desc) &&
	       offsetof(struct vqchar_ring_desc, addr) == offsetof(struct vq_desc, addr) &&
	       offsetof(struct vqchar_ring_desc, len) == offsetof(struct vq_desc, len) &&
	       offsetof(struct vqchar_ring_desc, flags) == offsetof(struct vq_desc, flags) &&
	       offsetof(struct vqchar_ring_desc, next) == offsetof(struct vq_desc, next),
	       "struct vqchar_ring_desc is not struct vq_desc");
_Static_assert(sizeof(struct vqchar_ring_used_elem) == sizeof(struct vq_used_elem) &&
	       offsetof(struct vqchar_ring_used_elem, id) == offsetof(struct vq_used_elem, id) &&
	       offsetof(struct vqchar_ring_used_elem, len) == offsetof(struct vq_used_elem, len),
	       "struct vqchar_ring_used_elem is not struct vq_used_elem");
_Static_assert(VQCHAR_RING_DESC_F_NEXT == VQ_DESC_F_NEXT &&
	       VQCHAR_RING_DESC_F_WRITE == VQ_DESC_F_WRITE &&
	       VQCHAR_RING_DESC_F_INDIRECT == VQ_DESC_F_INDIRECT &&
	       VQCHAR_RING_AVAIL_F_NO_INTERRUPT == VQ_AVAIL_F_NO_INTERRUPT &&
	       VQCHAR_RING_USED_F_NO_NOTIFY == VQ_USED_F_NO_NOTIFY,
	       "ring flags differ from common/vq_split.h");
_Static_assert(offsetof(struct vqchar_queue_hot, dev_err) % 64 == 0,
	       "the device's hot state must start a cache line");
/* Appended to, never reordered: these are libvqchar 1.0's offsets. */
_Static_assert(offsetof(struct vqchar_queue_hot, used_idx) == 0 &&
	       offsetof(struct vqchar_queue_hot, avail_idx) == sizeof(void *) &&
	       offsetof(struct vqchar_queue_hot, last_used) == 2 * sizeof(void *) &&
	       offsetof(struct vqchar_queue_hot, last_avail) == 2 * sizeof(void *) + 2 &&
	       offsetof(struct vqchar_queue_hot, num) == 2 * sizeof(void *) + 4,
	       "struct vqchar_queue_hot's 1.0 members moved");

int64_t __vqchar_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait on @cv until @deadline (CLOCK_MONOTONIC ms, < 0: forever); -ETIMEDOUT. */
int __vqchar_cond_wait(pthread_cond_t *cv, pthread_mutex_t *m, int64_t deadline)
{
	struct timespec ts;

	if (deadline < 0)
		return -pthread_cond_wait(cv, m);
	ts.tv_sec = deadline / 1000;
	ts.tv_nsec = (deadline % 1000) * 1000000;
	return -pthread_cond_timedwait(cv, m, &ts);
}

static void vqchar_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

static struct vqchar_queue *vqchar_queue_alloc(void)
{
	struct vqchar_queue *q;

	/* Cache-line aligned: the hot state's driver and device parts sit on lines of their own. */
	if (posix_memalign((void **)&q, 64, sizeof(*q)))
		return NULL;
	memset(q, 0, sizeof(*q));
	q->dev_fd = -1;
	q->kick_fd = -1;
	q->call_fd = -1;
	q->err_fd = -1;
	q->wake_fd = -1;
	q->dev_wake_fd = -1;
	pthread_mutex_init(&q->lock, NULL);
	vqchar_cond_init(&q->ev);
	pthread_mutex_init(&q->dev_lock, NULL);
	vqchar_cond_init(&q->dev_ev);
	return q;
}

/* The library's own wakeup eventfds, for both backends and attached queues. */
static int vqchar_create_wake_fds(struct vqchar_queue *q)
{
	q->wake_fd = __sys_eventfd(EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->wake_fd < 0)
		return q->wake_fd;
	q->dev_wake_fd = __sys_eventfd(EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->dev_wake_fd < 0)
		return q->dev_wake_fd;
	return 0;
}

static int vqchar_close_fd(int *fd, int ret)
{
	int err = 0;

	if (*fd >= 0)
		err = __sys_close(*fd);
	*fd = -1;
	return ret ? ret : err;
}

/* Undo whatever part of setup happened; returns the first error. */
static int vqchar_queue_release(struct vqchar_queue *q)
{
	int ret = 0, err;

	if (q->owns_queue) {
		struct vqchar_queue_ref ref = {
			.size = sizeof(ref),
			.queue_id = q->queue_id,
		};

		err = __sys_ioctl(q->dev_fd, VQCHAR_IOC_DESTROY_QUEUE, &ref);
		if (err < 0 && !ret)
			ret = err;
	}
	if (q->pool) {
		err = __sys_munmap(q->pool, q->pool_len);
		if (err && !ret)
			ret = err;
	}
	if (q->ring_mem) {
		err = __sys_munmap(q->ring_mem, q->ring_len);
		if (err && !ret)
			ret = err;
	}
	ret = vqchar_close_fd(&q->kick_fd, ret);
	ret = vqchar_close_fd(&q->call_fd, ret);
	ret = vqchar_close_fd(&q->err_fd, ret);
	ret = vqchar_close_fd(&q->wake_fd, ret);
	ret = vqchar_close_fd(&q->dev_wake_fd, ret);
	ret = vqchar_close_fd(&q->dev_fd, ret);

	free(q->hot.desc_next);
	free(q->hot.buf_next);
	free(q->hot.buf_len);
	free(q->hot.buf_state);
	free(q->hot.chains);
	free(q->dev_segs);
	pthread_cond_destroy(&q->dev_ev);
	pthread_mutex_destroy(&q->dev_lock);
	pthread_cond_destroy(&q->ev);
	pthread_mutex_destroy(&q->lock);
	free(q);
	return ret;
}

static int vqchar_alloc_shadow(struct vqchar_queue *q)
{
	q->hot.desc_next = calloc(q->num, sizeof(*q->hot.desc_next));
	q->hot.chains = calloc(q->num, sizeof(*q->hot.chains));
	q->hot.buf_next = calloc(q->buf_count, sizeof(*q->hot.buf_next));
	q->hot.buf_len = calloc(q->buf_count, sizeof(*q->hot.buf_len));
	q->hot.buf_state = calloc(q->buf_count, sizeof(*q->hot.buf_state));
	if (!q->hot.desc_next || !q->hot.chains || !q->hot.buf_next || !q->hot.buf_len || !q->hot.buf_state)
		return -ENOMEM;
	return 0;
}

static int vqchar_create_eventfds(struct vqchar_queue *q)
{
	int fl = EFD_CLOEXEC | EFD_NONBLOCK;

	q->kick_fd = __sys_eventfd(fl);
	if (q->kick_fd < 0)
		return q->kick_fd;
	q->call_fd = __sys_eventfd(fl);
	if (q->call_fd < 0)
		return q->call_fd;
	q->err_fd = __sys_eventfd(fl);
	if (q->err_fd < 0)
		return q->err_fd;
	return 0;
}

static int vqchar_setup_anon(struct vqchar_queue *q)
{
	void *p;
	int ret;

	ret = vqchar_create_eventfds(q);
	if (ret)
		return ret;

	vq_split_layout(q->num, &q->off);
	q->ring_len = vqchar_page_align(q->off.ring_bytes);
	p = __sys_mmap(NULL, q->ring_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (IS_ERR_PTR(p))
		return PTR_ERR(p);
	q->ring_mem = p;

	q->pool_len = vqchar_page_align(q->pool_size);
	p = __sys_mmap(NULL, q->pool_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (IS_ERR_PTR(p))
		return PTR_ERR(p);
	q->pool = p;
	return 0;
}

/*
 * Map the two regions the kernel described, after checking the geometry
 * it returned: it is used to compute pointers.
 */
static int vqchar_map_kernel(struct vqchar_queue *q, const struct vqchar_ring_offsets *off,
			     const struct vqchar_region *ring,
			     const struct vqchar_region *pool)
{
	void *p;

	if (!vq_split_layout_valid(q->num, off, ring->length) ||
	    ring->length > SIZE_MAX || pool->length < q->pool_size ||
	    pool->length > SIZE_MAX)
		return -EPROTO;
	q->off = *off;

	p = __sys_mmap(NULL, ring->length, PROT_READ | PROT_WRITE, MAP_SHARED,
		       q->dev_fd, (off_t)ring->offset);
	if (IS_ERR_PTR(p))
		return PTR_ERR(p);
	q->ring_mem = p;
	q->ring_len = ring->length;

	p = __sys_mmap(NULL, pool->length, PROT_READ | PROT_WRITE, MAP_SHARED,
		       q->dev_fd, (off_t)pool->offset);
	if (IS_ERR_PTR(p))
		return PTR_ERR(p);
	q->pool = p;
	q->pool_len = pool->length;
	return 0;
}

static int vqchar_setup_kernel(struct vqchar_queue *q, const struct vqchar_params *p)
{
	struct vqchar_queue_create c;
	int ret;

	if (p->flags & VQCHAR_PARAMS_DEV_FD)
		q->dev_fd = __sys_dup_cloexec(p->dev_fd);
	else
		q->dev_fd = __sys_open(VQCHAR_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (q->dev_fd < 0)
		return q->dev_fd;

	ret = vqchar_create_eventfds(q);
	if (ret)
		return ret;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.num = q->num;
	c.device = q->device;
	c.features = q->features;
	c.buf_count = q->buf_count;
	c.buf_size = q->buf_size;
	c.kick_fd = (uint32_t)q->kick_fd;
	c.call_fd = (uint32_t)q->call_fd;
	c.err_fd = (uint32_t)q->err_fd;
	c.io_base = q->io_base;
	c.poll_usecs = q->poll_usecs;
	ret = __sys_ioctl(q->dev_fd, VQCHAR_IOC_CREATE_QUEUE, &c);
	if (ret < 0)
		return ret;
	q->queue_id = c.queue_id;
	q->owns_queue = true;

	return vqchar_map_kernel(q, &c.ring_off, &c.ring, &c.pool);
}

static int vqchar_params_valid(const struct vqchar_params *p)
{
	unsigned int i;

	if (p->flags & ~(VQCHAR_PARAMS_DEV_FD | VQCHAR_PARAMS_SINGLE_ISSUER))
		return 0;
	for (i = 0; i < sizeof(p->reserved) / sizeof(p->reserved[0]); i++)
		if (p->reserved[i])
			return 0;
	if (!vq_ring_size_valid(p->num) || !p->buf_count || !p->buf_size)
		return 0;
	if (p->features & ~VQCHAR_F_ALL)
		return 0;
	/* The last pool byte's I/O address must not wrap. */
	if (p->io_base > UINT64_MAX - (uint64_t)p->buf_count * p->buf_size)
		return 0;
	switch (p->backend) {
	case VQCHAR_BACKEND_ANON:
		return !p->device && !p->poll_usecs && !(p->flags & VQCHAR_PARAMS_DEV_FD);
	case VQCHAR_BACKEND_KERNEL:
		return p->device <= VQCHAR_DEV_MAX;
	default:
		return 0;
	}
}

int vqchar_queue_create(const struct vqchar_params *p, struct vqchar_queue **qp)
{
	struct vqchar_queue *q;
	uint64_t pool_size;
	int ret;

	if (!p || !qp || !vqchar_params_valid(p))
		return -EINVAL;
	pool_size = (uint64_t)p->buf_count * p->buf_size;
	if (pool_size > SIZE_MAX / 2)
		return -ENOMEM;

	q = vqchar_queue_alloc();
	if (!q)
		return -ENOMEM;
	q->backend = p->backend;
	q->num = p->num;
	q->buf_count = p->buf_count;
	q->buf_size = p->buf_size;
	q->pool_size = pool_size;
	q->features = p->features;
	q->device = p->device;
	q->io_base = p->io_base;
	q->poll_usecs = p->poll_usecs;
	q->single = p->flags & VQCHAR_PARAMS_SINGLE_ISSUER;

	ret = vqchar_alloc_shadow(q);
	if (!ret)
		ret = vqchar_create_wake_fds(q);
	if (ret)
		goto fail;
	if (p->backend == VQCHAR_BACKEND_KERNEL)
		ret = vqchar_setup_kernel(q, p);
	else
		ret = vqchar_setup_anon(q);
	if (ret)
		goto fail;

	vq_ring_init(&q->ring, q->ring_mem, q->num, &q->off);
	__vqchar_hot_init(q);
	__vqchar_driver_reset(q);
	__vqchar_device_reset(q);
	*qp = q;
	return 0;
fail:
	vqchar_queue_release(q);
	return ret;
}

static int vqchar_dup_opt(int fd, int *dst)
{
	if (fd < 0)
		return 0;
	*dst = __sys_dup_cloexec(fd);
	return *dst < 0 ? *dst : 0;
}

int vqchar_queue_attach(int dev_fd, uint32_t queue_id, int kick_fd, int call_fd,
			int err_fd, struct vqchar_queue **qp)
{
	struct vqchar_queue_info info;
	struct vqchar_queue *q;
	int ret;

	if (dev_fd < 0 || !qp)
		return -EINVAL;
	q = vqchar_queue_alloc();
	if (!q)
		return -ENOMEM;
	q->backend = VQCHAR_BACKEND_KERNEL;
	q->attached = true;
	q->queue_id = queue_id;

	ret = vqchar_dup_opt(dev_fd, &q->dev_fd);
	if (!ret)
		ret = vqchar_dup_opt(kick_fd, &q->kick_fd);
	if (!ret)
		ret = vqchar_dup_opt(call_fd, &q->call_fd);
	if (!ret)
		ret = vqchar_dup_opt(err_fd, &q->err_fd);
	if (!ret)
		ret = vqchar_create_wake_fds(q);
	if (ret)
		goto fail;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.queue_id = queue_id;
	ret = __sys_ioctl(q->dev_fd, VQCHAR_IOC_QUEUE_INFO, &info);
	if (ret < 0)
		goto fail;
	if (!vq_ring_size_valid(info.num) || !info.buf_count || !info.buf_size) {
		ret = -EPROTO;
		goto fail;
	}
	q->num = info.num;
	q->features = info.features;
	q->device = info.device;
	q->buf_count = info.buf_count;
	q->buf_size = info.buf_size;
	q->pool_size = (uint64_t)info.buf_count * info.buf_size;
	q->io_base = info.io_base;
	q->poll_usecs = info.poll_usecs;
	if (q->io_base > UINT64_MAX - q->pool_size) {
		ret = -EPROTO;
		goto fail;
	}
	ret = vqchar_map_kernel(q, &info.ring_off, &info.ring, &info.pool);
	if (ret)
		goto fail;

	vq_ring_init(&q->ring, q->ring_mem, q->num, &q->off);
	__vqchar_hot_init(q);
	__vqchar_device_reset(q);
	/* Pick up where the ring is: the creator may have run a device before. */
	__vqchar_store_relaxed(&q->hot.last_avail, le16_to_cpu(READ_ONCE(*q->ring.used_idx)));
	q->hot.dev_used_idx = q->hot.last_avail;
	q->hot.dev_signalled = q->hot.last_avail;
	*qp = q;
	return 0;
fail:
	vqchar_queue_release(q);
	return ret;
}

int vqchar_version(void)
{
	return LIBVQCHAR_VERSION;
}

int vqchar_queue_shutdown(struct vqchar_queue *q)
{
	int ret = 0;

	if (!q)
		return -EINVAL;
	__atomic_store_n(&q->hot.shutdown, 1, __ATOMIC_RELEASE);
	/* Never drained again: whoever polls from now on sees it at once. */
	if (q->wake_fd >= 0)
		ret = __sys_eventfd_signal(q->wake_fd);
	if (q->dev_wake_fd >= 0 && !ret)
		ret = __sys_eventfd_signal(q->dev_wake_fd);
	/* Under the locks, so no waiter can miss the broadcast between check and wait. */
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(&q->ev);
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_lock(&q->dev_lock);
	pthread_cond_broadcast(&q->dev_ev);
	pthread_mutex_unlock(&q->dev_lock);
	return ret;
}

int vqchar_queue_close(struct vqchar_queue *q)
{
	if (!q)
		return 0;
	/* Wake every blocked call and wait until each has left the queue. */
	vqchar_queue_shutdown(q);
	pthread_mutex_lock(&q->lock);
	while (q->hot.waiters)
		pthread_cond_wait(&q->ev, &q->lock);
	pthread_mutex_unlock(&q->lock);
	pthread_mutex_lock(&q->dev_lock);
	while (q->dev_waiters)
		pthread_cond_wait(&q->dev_ev, &q->dev_lock);
	pthread_mutex_unlock(&q->dev_lock);
	return vqchar_queue_release(q);
}

int vqchar_queue_reset(struct vqchar_queue *q)
{
	int ret = 0;

	if (q->attached)
		return -EPERM;

	pthread_mutex_lock(&q->lock);
	pthread_mutex_lock(&q->dev_lock);
	if (q->backend == VQCHAR_BACKEND_KERNEL) {
		struct vqchar_queue_ref ref = {
			.size = sizeof(ref),
			.queue_id = q->queue_id,
		};

		ret = __sys_ioctl(q->dev_fd, VQCHAR_IOC_RESET_QUEUE, &ref);
	} else {
		memset(q->ring_mem, 0, q->off.ring_bytes);
	}
	if (!ret) {
		__vqchar_driver_reset(q);
		__vqchar_device_reset(q);
		__sys_eventfd_drain(q->kick_fd);
		__sys_eventfd_drain(q->call_fd);
		__sys_eventfd_drain(q->err_fd);
		pthread_cond_broadcast(&q->ev);
	}
	pthread_mutex_unlock(&q->dev_lock);
	pthread_mutex_unlock(&q->lock);
	return ret < 0 ? ret : 0;
}

/* Lock-free: each counter is a relaxed atomic with one writer at a time. */
int vqchar_get_stats(struct vqchar_queue *q, struct vqchar_stats *st)
{
	st->offered = __vqchar_load_relaxed(&q->hot.st_offered);
	st->kicks = __vqchar_load_relaxed(&q->hot.st_kicks);
	st->kicks_suppressed = __vqchar_load_relaxed(&q->hot.st_kicks_suppressed);
	st->taken = __vqchar_load_relaxed(&q->hot.st_taken);
	st->call_wakeups = __vqchar_load_relaxed(&q->st_call_wakeups);
	st->dev_popped = __vqchar_load_relaxed(&q->hot.st_dev_popped);
	st->dev_calls = __vqchar_load_relaxed(&q->hot.st_dev_calls);
	st->dev_calls_suppressed = __vqchar_load_relaxed(&q->hot.st_dev_calls_suppressed);
	return 0;
}

int vqchar_queue_kstats(const struct vqchar_queue *q, struct vqchar_queue_stats *st)
{
	int ret;

	if (q->backend != VQCHAR_BACKEND_KERNEL)
		return -EOPNOTSUPP;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->queue_id = q->queue_id;
	ret = __sys_ioctl(q->dev_fd, VQCHAR_IOC_QUEUE_STATS, st);
	return ret < 0 ? ret : 0;
}

int vqchar_queue_kstatus(const struct vqchar_queue *q, struct vqchar_queue_status *st)
{
	int ret;

	if (q->backend != VQCHAR_BACKEND_KERNEL)
		return -EOPNOTSUPP;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->queue_id = q->queue_id;
	ret = __sys_ioctl(q->dev_fd, VQCHAR_IOC_QUEUE_STATUS, st);
	return ret < 0 ? ret : 0;
}

/* ---- accessors ---- */

uint32_t vqchar_queue_num(const struct vqchar_queue *q)
{
	return q->num;
}

uint64_t vqchar_queue_features(const struct vqchar_queue *q)
{
	return q->features;
}

uint32_t vqchar_queue_backend(const struct vqchar_queue *q)
{
	return q->backend;
}

uint32_t vqchar_queue_device(const struct vqchar_queue *q)
{
	return q->device;
}

int vqchar_queue_kick_fd(const struct vqchar_queue *q)
{
	return q->kick_fd;
}

int vqchar_queue_call_fd(const struct vqchar_queue *q)
{
	return q->call_fd;
}

int vqchar_queue_err_fd(const struct vqchar_queue *q)
{
	return q->err_fd;
}

int vqchar_queue_dev_fd(const struct vqchar_queue *q)
{
	return q->dev_fd;
}

uint32_t vqchar_queue_id(const struct vqchar_queue *q)
{
	return q->queue_id;
}

void *vqchar_queue_ring_base(const struct vqchar_queue *q)
{
	return q->ring_mem;
}

size_t vqchar_queue_ring_bytes(const struct vqchar_queue *q)
{
	return q->off.ring_bytes;
}

void vqchar_queue_ring_offsets(const struct vqchar_queue *q, struct vqchar_ring_offsets *off)
{
	*off = q->off;
}

void *vqchar_queue_desc(const struct vqchar_queue *q)
{
	return q->ring.desc;
}

void *vqchar_queue_avail(const struct vqchar_queue *q)
{
	return q->ring.avail_flags;
}

void *vqchar_queue_used(const struct vqchar_queue *q)
{
	return q->ring.used_flags;
}

void *vqchar_queue_pool(const struct vqchar_queue *q)
{
	return q->pool;
}

uint64_t vqchar_queue_pool_size(const struct vqchar_queue *q)
{
	return q->pool_size;
}

uint64_t vqchar_queue_io_base(const struct vqchar_queue *q)
{
	return q->io_base;
}

uint32_t vqchar_queue_poll_usecs(const struct vqchar_queue *q)
{
	return q->poll_usecs;
}

uint32_t vqchar_queue_buf_size(const struct vqchar_queue *q)
{
	return q->buf_size;
}

uint32_t vqchar_queue_buf_count(const struct vqchar_queue *q)
{
	return q->buf_count;
}

void vqchar_queue_ring_addrs(const struct vqchar_queue *q, struct vqchar_ring_addrs *a)
{
	memset(a, 0, sizeof(*a));
	a->num = q->num;
	a->desc_user_addr = (uintptr_t)q->ring.desc;
	a->avail_user_addr = (uintptr_t)q->ring.avail_flags;
	a->used_user_addr = (uintptr_t)q->ring.used_flags;
	a->pool_user_addr = (uintptr_t)q->pool;
	a->pool_size = q->pool_size;
	a->features = q->features;
}
