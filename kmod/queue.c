// SPDX-License-Identifier: GPL-2.0
/*
 * A vqchar queue: its memory, the kick hook, the worker that drains the
 * available ring into an in-kernel device, and call/error signalling.
 *
 * The kick eventfd is hooked the way vhost_poll does it: our entry on the
 * eventfd's wait queue is woken by every write, counts the kick and
 * queues the worker.  The worker holds the queue's mutex while it reads
 * the ring, which userspace may rewrite at any time: every ring field is
 * read once through the vq_split.h accessors and vq_chain_walk(), and any
 * inconsistency breaks the queue until it is reset (virtio_ring.c's
 * BAD_RING), never the kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/lockdep.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "queue.h"

static void vqchar_queue_work(struct work_struct *work);

static bool vqchar_queue_params_valid(const struct vqchar_queue_params *p)
{
	u64 pool = (u64)p->buf_count * p->buf_size;

	return vq_ring_size_valid(p->num) && p->device <= VQCHAR_DEV_MAX &&
	       !(p->features & ~VQCHAR_F_ALL) && p->buf_count && p->buf_size &&
	       pool <= p->max_pool_bytes && pool <= VQCHAR_MAX_REGION_BYTES &&
	       pool <= U64_MAX - p->io_base;
}

/**
 * vqchar_queue_alloc() - create a queue with zeroed ring and pool
 * @p: its parameters
 *
 * The queue has no eventfds and its worker is idle; the caller attaches
 * eventfds and calls vqchar_queue_start().
 *
 * Return: the queue with one reference, or ERR_PTR(-EINVAL) for bad
 * parameters, or ERR_PTR(-ENOMEM).
 */
struct vqchar_queue *vqchar_queue_alloc(const struct vqchar_queue_params *p)
{
	struct vqchar_queue *q;
	int ret;

	if (!vqchar_queue_params_valid(p))
		return ERR_PTR(-EINVAL);

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	kref_init(&q->ref);
	mutex_init(&q->lock);
	INIT_WORK(&q->work, vqchar_queue_work);
	atomic64_set(&q->kicks, 0);
	atomic_set(&q->cancel, 0);
	q->wq = p->wq;
	q->num = p->num;
	q->device = p->device;
	q->features = p->features;
	q->buf_count = p->buf_count;
	q->buf_size = p->buf_size;
	q->pool_bytes = (u64)p->buf_count * p->buf_size;
	q->io_base = p->io_base;
	vq_split_layout(q->num, &q->off);

	q->segs = kvmalloc_array(VQCHAR_MAX_SEGS, sizeof(*q->segs), GFP_KERNEL_ACCOUNT);
	if (!q->segs) {
		ret = -ENOMEM;
		goto err;
	}
	ret = vqchar_mem_alloc(&q->ring_mem, q->off.ring_bytes);
	if (ret)
		goto err;
	ret = vqchar_mem_alloc(&q->pool_mem, q->pool_bytes);
	if (ret)
		goto err;
	vq_ring_init(&q->vr, q->ring_mem.vaddr, q->num, &q->off);
	return q;

err:
	vqchar_queue_put(q);
	return ERR_PTR(ret);
}

static void vqchar_queue_release(struct kref *ref)
{
	struct vqchar_queue *q = container_of(ref, struct vqchar_queue, ref);

	WARN_ON_ONCE(q->kick_wqh);
	vqchar_mem_free(&q->pool_mem);
	vqchar_mem_free(&q->ring_mem);
	kvfree(q->segs);
	if (q->kick_file)
		fput(q->kick_file);
	if (q->call)
		eventfd_ctx_put(q->call);
	if (q->err)
		eventfd_ctx_put(q->err);
	mutex_destroy(&q->lock);
	kfree(q);
}

/**
 * vqchar_queue_put() - drop a reference
 * @q: the queue; the last reference must be dropped after vqchar_queue_stop()
 */
void vqchar_queue_put(struct vqchar_queue *q)
{
	kref_put(&q->ref, vqchar_queue_release);
}

/*
 * Wait-queue callback of the kick eventfd, called with the eventfd's
 * wait-queue lock held and interrupts off: count, defer, return.
 */
static int vqchar_kick_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
			    void *key)
{
	struct vqchar_queue *q = container_of(wait, struct vqchar_queue, kick_wait);

	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	atomic64_inc(&q->kicks);
	if (q->device != VQCHAR_DEV_EXTERNAL)
		queue_work(q->wq, &q->work);
	return 0;
}

static void vqchar_kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
				   poll_table *pt)
{
	struct vqchar_queue *q = container_of(pt, struct vqchar_queue, kick_pt);

	q->kick_wqh = wqh;
	add_wait_queue(wqh, &q->kick_wait);
}

/**
 * vqchar_queue_start() - hook the kick eventfd, if the queue has one
 * @q: the queue, with @q->kick_file set or NULL
 *
 * A kick already pending on the eventfd runs the worker once; spurious
 * runs find nothing to do.
 */
void vqchar_queue_start(struct vqchar_queue *q)
{
	__poll_t mask;

	if (!q->kick_file)
		return;
	init_waitqueue_func_entry(&q->kick_wait, vqchar_kick_wake);
	init_poll_funcptr(&q->kick_pt, vqchar_kick_queue_proc);
	mask = vfs_poll(q->kick_file, &q->kick_pt);
	if ((mask & EPOLLIN) && q->device != VQCHAR_DEV_EXTERNAL)
		queue_work(q->wq, &q->work);
}

/**
 * vqchar_queue_stop() - unhook the kick and wait for the worker
 * @q: the queue
 *
 * Once the wait-queue entry is off the eventfd no kick can queue the
 * worker again, so after cancel_work_sync() it neither runs nor is queued.
 * The chain the worker is on is cut short.
 */
void vqchar_queue_stop(struct vqchar_queue *q)
{
	atomic_inc(&q->cancel);
	if (q->kick_wqh) {
		remove_wait_queue(q->kick_wqh, &q->kick_wait);
		q->kick_wqh = NULL;
	}
	cancel_work_sync(&q->work);
}

static void vqchar_queue_break(struct vqchar_queue *q, int error, u32 index, u32 flags,
			       u32 head)
{
	lockdep_assert_held(&q->lock);

	q->broken = true;
	q->error = error;
	q->error_index = index;
	q->error_flags = flags;
	q->error_head = head;
	q->errors++;
	pr_warn_ratelimited("queue %u broken: error %d at index %u\n", q->id, error, index);
	if (q->err)
		vqchar_eventfd_signal(q->err);
}

/* Publish the used entries filled since @used_start and call if wanted. */
static void vqchar_queue_publish(struct vqchar_queue *q, u16 used_start)
{
	lockdep_assert_held(&q->lock);

	vq_dev_used_publish(&q->vr, q->used_idx);
	if (vq_dev_should_call(&q->vr, q->features, used_start, q->used_idx)) {
		q->calls++;
		if (q->call)
			vqchar_eventfd_signal(q->call);
	} else {
		q->calls_suppressed++;
	}
}

/**
 * vqchar_queue_run() - drain the available ring into the device
 * @q: the queue
 *
 * Consumes at most VQCHAR_BATCH chains or VQCHAR_BATCH_BYTES bytes, then
 * publishes them and signals the call eventfd unless the driver suppressed
 * it.  Kicks are off while draining; before returning with the ring empty
 * they are turned back on and the ring checked again, so a chain the
 * driver published meanwhile is either seen here or kicked.
 *
 * Return: true when the batch ended with chains left to consume.
 */
bool vqchar_queue_run(struct vqchar_queue *q)
{
	const struct vq_pool pool = {
		.base = q->pool_mem.vaddr, .size = q->pool_bytes, .io_base = q->io_base,
	};
	const struct vq_ring *r = &q->vr;
	u16 used_start = q->used_idx;
	unsigned int done = 0;
	bool more = false;
	u64 bytes = 0;

	lockdep_assert_held(&q->lock);

	if (q->broken || q->device == VQCHAR_DEV_EXTERNAL)
		return false;

	vq_dev_set_kicks(r, q->features, false, q->last_avail);
	for (;;) {
		struct vq_chain c = { .segs = q->segs, .max_segs = VQCHAR_MAX_SEGS };
		struct vqchar_io io;
		int n, head, err;

		n = vq_dev_avail_pending(r, q->last_avail);
		if (!n) {
			vq_dev_set_kicks(r, q->features, true, q->last_avail);
			n = vq_dev_avail_pending(r, q->last_avail);
			if (!n)
				break;
			vq_dev_set_kicks(r, q->features, false, q->last_avail);
		}
		/* Errors in the available ring name the position involved. */
		if (n < 0) {
			vqchar_queue_break(q, -n, q->last_avail, 0, 0);
			break;
		}
		/* Stop or reset is waiting for us; it also ends the work. */
		if (atomic_read(&q->cancel))
			break;
		if (done >= VQCHAR_BATCH || bytes >= VQCHAR_BATCH_BYTES) {
			more = true;
			break;
		}
		head = vq_dev_avail_head(r, q->last_avail);
		if (head < 0) {
			vqchar_queue_break(q, -head, q->last_avail, 0, 0);
			break;
		}
		err = vq_chain_walk(r, &pool, q->features, head, &c);
		if (err) {
			vqchar_queue_break(q, -err, c.error_index, c.error_flags, head);
			break;
		}

		vqchar_device_process(q->device, q->pool_mem.vaddr, q->seq, &c, &q->cancel, &io);
		vq_dev_used_fill(r, q->used_idx, head, io.written);
		q->used_idx++;
		q->last_avail++;
		q->seq++;
		q->chains++;
		q->bytes_read += io.read;
		q->bytes_written += io.written;
		bytes += io.read + io.written;
		done++;
	}

	if (done) {
		q->batches++;
		vqchar_queue_publish(q, used_start);
	}
	return more;
}

static void vqchar_queue_work(struct work_struct *work)
{
	struct vqchar_queue *q = container_of(work, struct vqchar_queue, work);
	bool more;

	mutex_lock(&q->lock);
	more = vqchar_queue_run(q);
	mutex_unlock(&q->lock);
	/* Let other queues and a pending cancel in before the next batch. */
	if (more)
		queue_work(q->wq, &q->work);
}

/**
 * vqchar_queue_reset() - return the queue to its state after creation
 * @q: the queue
 *
 * Waits for the worker, cutting short the chain it is on, then zeroes the
 * ring and the device's indices and clears the broken state.  Statistics
 * are kept.  A kick racing with the reset may run the worker again, which
 * then finds an empty ring.
 */
void vqchar_queue_reset(struct vqchar_queue *q)
{
	atomic_inc(&q->cancel);
	cancel_work_sync(&q->work);

	mutex_lock(&q->lock);
	atomic_dec(&q->cancel);
	memset(q->ring_mem.vaddr, 0, q->ring_mem.size);
	q->last_avail = 0;
	q->used_idx = 0;
	q->seq = 0;
	q->broken = false;
	q->error = VQCHAR_ERR_NONE;
	q->error_index = 0;
	q->error_flags = 0;
	q->error_head = 0;
	mutex_unlock(&q->lock);
}

/**
 * vqchar_queue_get_stats() - snapshot the statistics
 * @q: the queue
 * @s: the output fields are filled
 */
void vqchar_queue_get_stats(struct vqchar_queue *q, struct vqchar_queue_stats *s)
{
	mutex_lock(&q->lock);
	s->chains = q->chains;
	s->bytes_read = q->bytes_read;
	s->bytes_written = q->bytes_written;
	s->calls = q->calls;
	s->calls_suppressed = q->calls_suppressed;
	s->batches = q->batches;
	s->errors = q->errors;
	mutex_unlock(&q->lock);
	s->kicks = atomic64_read(&q->kicks);
}

/**
 * vqchar_queue_get_status() - snapshot the device state
 * @q: the queue
 * @s: the output fields are filled
 */
void vqchar_queue_get_status(struct vqchar_queue *q, struct vqchar_queue_status *s)
{
	mutex_lock(&q->lock);
	s->status = q->broken ? VQCHAR_STATUS_BROKEN : 0;
	s->error = q->error;
	s->error_index = q->error_index;
	s->last_avail_idx = q->last_avail;
	s->used_idx = q->used_idx;
	s->error_flags = q->error_flags;
	s->error_head = q->error_head;
	mutex_unlock(&q->lock);
}

/**
 * vqchar_queue_get_info() - describe the queue's geometry
 * @q: the queue
 * @info: the output fields are filled
 */
void vqchar_queue_get_info(const struct vqchar_queue *q, struct vqchar_queue_info *info)
{
	info->num = q->num;
	info->features = q->features;
	info->device = q->device;
	info->buf_count = q->buf_count;
	info->buf_size = q->buf_size;
	info->reserved0 = 0;
	info->ring_off = q->off;
	info->ring.offset = vqchar_mmap_offset(q->id, VQCHAR_REGION_RING);
	info->ring.length = q->ring_mem.size;
	info->pool.offset = vqchar_mmap_offset(q->id, VQCHAR_REGION_POOL);
	info->pool.length = q->pool_mem.size;
	info->io_base = q->io_base;
	info->poll_usecs = 0;
	info->reserved1 = 0;
}
