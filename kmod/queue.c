// SPDX-License-Identifier: GPL-2.0
/*
 * A vqchar queue: its memory, the kick hook, the worker that drains the
 * available ring into an in-kernel device, and call/error signalling.
 *
 * The kick eventfd is hooked the way vhost_poll does it: our entry on the
 * eventfd's wait queue is woken by every write, counts the kick and
 * wakes the queue's worker, a kernel thread in the creator's cgroups.
 * The worker holds the queue's mutex while it reads the ring, which
 * userspace may rewrite at any time: every ring field is
 * read once through the vq_split.h accessors and vq_chain_walk(), and any
 * inconsistency breaks the queue until it is reset (virtio_ring.c's
 * BAD_RING), never the kernel.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "compat.h"
#include "queue.h"

/* user_struct.locked_vm exists only with one of its users configured. */
#if !defined(CONFIG_NET) && !defined(CONFIG_IO_URING)
#error "vqchar charges user_struct.locked_vm: needs CONFIG_NET or CONFIG_IO_URING"
#endif

/* Ring and pool pages of every queue of the module, against its limit. */
static atomic_long_t vqchar_locked_pages = ATOMIC_LONG_INIT(0);

static bool vqchar_queue_params_valid(const struct vqchar_queue_params *p)
{
	u64 pool = (u64)p->buf_count * p->buf_size;

	return vq_ring_size_valid(p->num) && p->device <= VQCHAR_DEV_MAX &&
	       !(p->features & ~VQCHAR_F_ALL) && p->buf_count && p->buf_size &&
	       pool <= p->max_pool_bytes && pool <= VQCHAR_MAX_REGION_BYTES &&
	       /* io_base + pool may reach 2^64, not pass it; pool >= 1 here. */
	       pool - 1 <= U64_MAX - p->io_base && p->poll_usecs <= VQCHAR_POLL_USECS_LIMIT &&
	       (!p->poll_usecs || p->device != VQCHAR_DEV_EXTERNAL);
}

/* Add @nr to *@counter unless that passes @limit. */
static bool vqchar_charge(atomic_long_t *counter, unsigned long nr, unsigned long limit)
{
	long cur = atomic_long_read(counter);

	do {
		if (nr > limit || cur > limit - nr)
			return false;
	} while (!atomic_long_try_cmpxchg(counter, &cur, cur + nr));
	return true;
}

/*
 * Charge the queue's pages, which stay resident while the queue lives, to
 * the module-wide limit and, unless the creator has CAP_IPC_LOCK, to its
 * user's RLIMIT_MEMLOCK as io_uring's __io_account_mem() does.
 */
static int vqchar_queue_charge(struct vqchar_queue *q, unsigned long nr,
			       unsigned long max_locked_pages)
{
	struct user_struct *user = current_user();

	if (!vqchar_charge(&vqchar_locked_pages, nr, max_locked_pages))
		return -EDQUOT;
	q->locked_pages = nr;
	if (capable(CAP_IPC_LOCK))
		return 0;
	if (!vqchar_charge(&user->locked_vm, nr, rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT))
		return -ENOMEM;
	q->user = get_uid(user);
	return 0;
}

static void vqchar_queue_uncharge(struct vqchar_queue *q)
{
	if (q->user) {
		atomic_long_sub(q->locked_pages, &q->user->locked_vm);
		free_uid(q->user);
	}
	atomic_long_sub(q->locked_pages, &vqchar_locked_pages);
}

static int vqchar_worker_fn(void *data);

/*
 * The worker is a kernel thread that joins every cgroup of the creator,
 * as vhost's workers did before vhost_task: its CPU time is the owner's.
 */
static int vqchar_queue_start_worker(struct vqchar_queue *q)
{
	struct task_struct *t;
	bool same_cgroups;
	int ret;

	t = kthread_create(vqchar_worker_fn, q, "vqchar-%d", task_pid_nr(current));
	if (IS_ERR(t))
		return PTR_ERR(t);
	/*
	 * A creator in kthreadd's cgroups (the root ones) needs no move, and
	 * a move takes the cgroup locks and may wait for an RCU grace period.
	 */
	rcu_read_lock();
	same_cgroups = task_css_set(current) == task_css_set(t);
	rcu_read_unlock();
	ret = same_cgroups ? 0 : cgroup_attach_task_all(current, t);
	if (ret) {
		kthread_stop(t);
		return ret;
	}
	q->worker = t;
	wake_up_process(t);
	return 0;
}

/**
 * vqchar_queue_alloc() - create a queue with zeroed ring and pool
 * @p: its parameters
 *
 * The queue has no eventfds and its worker is idle; the caller attaches
 * eventfds and calls vqchar_queue_start().
 *
 * Return: the queue with one reference, or ERR_PTR() of -EINVAL for bad
 * parameters, -EDQUOT past the module's limit of locked pages, -ENOMEM
 * past RLIMIT_MEMLOCK or out of memory, -EINTR when killed, or the
 * error of joining the caller's cgroups.
 */
struct vqchar_queue *vqchar_queue_alloc(const struct vqchar_queue_params *p)
{
	bool in_kernel = p->device != VQCHAR_DEV_EXTERNAL;
	struct vqchar_queue *q;
	int ret;

	if (!vqchar_queue_params_valid(p))
		return ERR_PTR(-EINVAL);

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	kref_init(&q->ref);
	mutex_init(&q->lock);
	spin_lock_init(&q->stat_lock);
	atomic64_set(&q->kicks, 0);
	atomic_set(&q->cancel, 0);
	q->num = p->num;
	q->device = p->device;
	q->features = p->features;
	q->buf_count = p->buf_count;
	q->buf_size = p->buf_size;
	q->pool_bytes = (u64)p->buf_count * p->buf_size;
	q->io_base = p->io_base;
	q->poll_usecs = p->poll_usecs;
	vq_split_layout(q->num, &q->off);

	ret = vqchar_queue_charge(q, DIV_ROUND_UP(q->off.ring_bytes, PAGE_SIZE) +
				  DIV_ROUND_UP(q->pool_bytes, PAGE_SIZE), p->max_locked_pages);
	if (ret)
		goto err;
	/* An external device runs in userspace: no scratch, no kernel map. */
	if (in_kernel) {
		q->segs = kvmalloc_array(VQCHAR_MAX_SEGS, sizeof(*q->segs), GFP_KERNEL_ACCOUNT);
		if (!q->segs) {
			ret = -ENOMEM;
			goto err;
		}
	}
	ret = vqchar_mem_alloc(&q->ring_mem, q->off.ring_bytes, true);
	if (ret)
		goto err;
	ret = vqchar_mem_alloc(&q->pool_mem, q->pool_bytes, in_kernel);
	if (ret)
		goto err;
	vq_ring_init(&q->vr, q->ring_mem.vaddr, q->num, &q->off);
	if (in_kernel) {
		ret = vqchar_queue_start_worker(q);
		if (ret)
			goto err;
	}
	return q;

err:
	vqchar_queue_put(q);
	return ERR_PTR(ret);
}

static void vqchar_queue_release(struct kref *ref)
{
	struct vqchar_queue *q = container_of(ref, struct vqchar_queue, ref);

	WARN_ON_ONCE(q->kick_wqh);
	/* Only a failed create gets here with the worker still there. */
	if (q->worker)
		kthread_stop(q->worker);
	vqchar_mem_free(&q->pool_mem);
	vqchar_mem_free(&q->ring_mem);
	kvfree(q->segs);
	vqchar_queue_uncharge(q);
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

/* Make the worker look at the ring; callable from any context. */
static void vqchar_queue_kick_worker(struct vqchar_queue *q)
{
	if (!q->worker)
		return;
	/* Pairs with test_and_clear_bit() in vqchar_worker_fn(). */
	set_bit(VQCHAR_WORKER_PENDING, &q->worker_flags);
	wake_up_process(q->worker);
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
	vqchar_queue_kick_worker(q);
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
	if (mask & EPOLLIN)
		vqchar_queue_kick_worker(q);
}

/**
 * vqchar_queue_stop() - unhook the kick and wait for the worker
 * @q: the queue
 *
 * Once the wait-queue entry is off the eventfd no kick can reach the
 * worker again; it is then stopped and has exited when this returns.
 * The chain the worker is on is cut short.
 */
void vqchar_queue_stop(struct vqchar_queue *q)
{
	atomic_inc(&q->cancel);
	if (q->kick_wqh) {
		remove_wait_queue(q->kick_wqh, &q->kick_wait);
		q->kick_wqh = NULL;
	}
	if (q->worker) {
		kthread_stop(q->worker);
		q->worker = NULL;
	}
}

static void vqchar_queue_break(struct vqchar_queue *q, int error, u32 index, u32 flags,
			       u32 head)
{
	lockdep_assert_held(&q->lock);

	spin_lock(&q->stat_lock);
	q->broken = true;
	q->st.error = error;
	q->st.error_index = index;
	q->st.error_flags = flags;
	q->st.error_head = head;
	q->st.errors++;
	spin_unlock(&q->stat_lock);
	pr_warn_ratelimited("queue %u broken: error %d at index %u\n", q->id, error, index);
}

/**
 * vqchar_queue_run() - drain the available ring into the device
 * @q: the queue
 * @poll: the worker will poll a dry ring: leave kicks off when it is
 *
 * Consumes at most VQCHAR_BATCH chains or VQCHAR_BATCH_BYTES bytes, then
 * publishes them and signals the call eventfd unless the driver suppressed
 * it.  Kicks are off while draining; before returning with the ring empty
 * they are turned back on (unless @poll) and the ring checked again, so a
 * chain the driver published meanwhile is either seen here or kicked.  A
 * chain that breaks the queue signals the error eventfd after the chains
 * before it are published, so the driver that wakes for the error finds
 * them.
 *
 * Return: what the worker should do next.
 */
enum vqchar_run vqchar_queue_run(struct vqchar_queue *q, bool poll)
{
	const struct vq_pool pool = {
		.base = q->pool_mem.vaddr, .size = q->pool_bytes, .io_base = q->io_base,
	};
	const struct vq_ring *r = &q->vr;
	enum vqchar_run ret = VQCHAR_RUN_IDLE;
	u64 bytes_read = 0, bytes_written = 0;
	u16 used_start = q->used_idx;
	bool broke = false, call = false;
	unsigned int done = 0;

	lockdep_assert_held(&q->lock);

	if (q->broken || q->device == VQCHAR_DEV_EXTERNAL)
		return VQCHAR_RUN_IDLE;

	vq_dev_set_kicks(r, q->features, false, q->last_avail);
	for (;;) {
		struct vq_chain c = { .segs = q->segs, .max_segs = VQCHAR_MAX_SEGS };
		struct vqchar_io io;
		int n, head, err;

		n = vq_dev_avail_pending(r, q->last_avail);
		if (!n) {
			if (poll) {
				ret = VQCHAR_RUN_DRY;
				break;
			}
			vq_dev_set_kicks(r, q->features, true, q->last_avail);
			n = vq_dev_avail_pending(r, q->last_avail);
			if (!n)
				break;
			vq_dev_set_kicks(r, q->features, false, q->last_avail);
		}
		/* Errors in the available ring name the position involved. */
		if (n < 0) {
			vqchar_queue_break(q, -n, q->last_avail, 0, 0);
			broke = true;
			break;
		}
		/* Stop or reset is waiting for us; it also ends the work. */
		if (atomic_read(&q->cancel))
			break;
		if (done >= VQCHAR_BATCH || bytes_read + bytes_written >= VQCHAR_BATCH_BYTES) {
			ret = VQCHAR_RUN_MORE;
			break;
		}
		head = vq_dev_avail_head(r, q->last_avail);
		if (head < 0) {
			vqchar_queue_break(q, -head, q->last_avail, 0, 0);
			broke = true;
			break;
		}
		err = vq_chain_walk(r, &pool, q->features, head, &c);
		if (err) {
			vqchar_queue_break(q, -err, c.error_index, c.error_flags, head);
			broke = true;
			break;
		}

		vqchar_device_process(q->device, q->pool_mem.vaddr, q->seq, &c, &q->cancel, &io);
		vq_dev_used_fill(r, q->used_idx, head, io.written);
		q->used_idx++;
		q->last_avail++;
		q->seq++;
		bytes_read += io.read;
		bytes_written += io.written;
		done++;
	}

	/*
	 * The snapshot first, then the ring: a driver that sees the used
	 * entries in the ring finds them in STATUS and STATS too.
	 */
	spin_lock(&q->stat_lock);
	q->st.chains += done;
	q->st.bytes_read += bytes_read;
	q->st.bytes_written += bytes_written;
	q->st.avail = q->last_avail;
	q->st.used = q->used_idx;
	spin_unlock(&q->stat_lock);
	if (done) {
		vq_dev_used_publish(r, q->used_idx);
		call = vq_dev_should_call(r, q->features, used_start, q->used_idx);
		/* Counted before the call, for the driver it wakes. */
		spin_lock(&q->stat_lock);
		q->st.batches++;
		if (call)
			q->st.calls++;
		else
			q->st.calls_suppressed++;
		spin_unlock(&q->stat_lock);
		if (call && q->call)
			vqchar_eventfd_signal(q->call);
	}
	/* Published above: the driver woken by the error sees those chains. */
	if (broke && q->err)
		vqchar_eventfd_signal(q->err);
	return ret;
}

/*
 * Spin on the available ring for up to the queue's poll budget, kicks
 * off, as vhost-net's busy poll does.  The budget is wall time, so time
 * given to others at cond_resched() counts against it.  Each spin only
 * reads the available index; the clock, stop, cancel and cond_resched()
 * come every VQCHAR_POLL_SPINS spins, which bounds both how far the
 * budget is overrun and how long a stop waits for the worker.
 *
 * Return: true when the driver published a chain (or the ring went bad).
 */
static bool vqchar_queue_poll(struct vqchar_queue *q)
{
	u64 end = local_clock() + (u64)q->poll_usecs * NSEC_PER_USEC;
	unsigned int i;

	for (;;) {
		for (i = 0; i < VQCHAR_POLL_SPINS; i++) {
			/* Only this task moves last_avail; reset races are a hint. */
			if (vq_dev_avail_pending(&q->vr, READ_ONCE(q->last_avail)))
				return true;
			cpu_relax();
		}
		if (atomic_read(&q->cancel) || kthread_should_stop() || local_clock() >= end)
			return false;
		cond_resched();
	}
}

/* One wake-up of the worker: drain, poll if asked, until idle. */
static void vqchar_queue_work(struct vqchar_queue *q)
{
	bool poll = q->poll_usecs;
	enum vqchar_run r;

	for (;;) {
		mutex_lock(&q->lock);
		r = vqchar_queue_run(q, poll);
		mutex_unlock(&q->lock);
		if (r == VQCHAR_RUN_IDLE)
			return;
		if (r == VQCHAR_RUN_DRY) {
			if (vqchar_queue_poll(q)) {
				spin_lock(&q->stat_lock);
				q->st.polled++;
				spin_unlock(&q->stat_lock);
			} else {
				/* Budget spent: the next run turns kicks on. */
				poll = false;
			}
		}
		if (kthread_should_stop())
			return;
		cond_resched();
	}
}

/*
 * The worker task: sleeps until kicked, then works until the ring is idle.
 * A kick that arrives while it works sets the pending bit again, so it is
 * never lost.
 */
static int vqchar_worker_fn(void *data)
{
	struct vqchar_queue *q = data;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			return 0;
		}
		/* Pairs with set_bit() in vqchar_queue_kick_worker(). */
		if (!test_and_clear_bit(VQCHAR_WORKER_PENDING, &q->worker_flags)) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		vqchar_queue_work(q);
	}
}

/**
 * vqchar_queue_reset() - return the queue to its state after creation
 * @q: the queue
 *
 * Makes the worker give up the chain it is on and waits for it to let go
 * of the ring, then zeroes the ring and the device's indices and clears
 * the broken state.  Statistics are kept.  A kick racing with the reset
 * may run the worker again, which then finds an empty ring.
 */
void vqchar_queue_reset(struct vqchar_queue *q)
{
	atomic_inc(&q->cancel);
	mutex_lock(&q->lock);
	atomic_dec(&q->cancel);
	memset(q->ring_mem.vaddr, 0, q->ring_mem.size);
	WRITE_ONCE(q->last_avail, 0);
	q->used_idx = 0;
	q->seq = 0;
	spin_lock(&q->stat_lock);
	q->broken = false;
	q->st.avail = 0;
	q->st.used = 0;
	q->st.error = VQCHAR_ERR_NONE;
	q->st.error_index = 0;
	q->st.error_flags = 0;
	q->st.error_head = 0;
	spin_unlock(&q->stat_lock);
	mutex_unlock(&q->lock);
}

/**
 * vqchar_queue_get_stats() - snapshot the statistics
 * @q: the queue
 * @s: the output fields are filled
 *
 * Never waits for the worker: the counters are those of its last batch.
 */
void vqchar_queue_get_stats(struct vqchar_queue *q, struct vqchar_queue_stats *s)
{
	spin_lock(&q->stat_lock);
	s->chains = q->st.chains;
	s->bytes_read = q->st.bytes_read;
	s->bytes_written = q->st.bytes_written;
	s->calls = q->st.calls;
	s->calls_suppressed = q->st.calls_suppressed;
	s->batches = q->st.batches;
	s->errors = q->st.errors;
	s->polled = q->st.polled;
	spin_unlock(&q->stat_lock);
	s->kicks = atomic64_read(&q->kicks);
}

/**
 * vqchar_queue_get_status() - snapshot the device state
 * @q: the queue
 * @s: the output fields are filled
 *
 * Never waits for the worker: the indices are those after its last batch.
 */
void vqchar_queue_get_status(struct vqchar_queue *q, struct vqchar_queue_status *s)
{
	spin_lock(&q->stat_lock);
	s->status = q->broken ? VQCHAR_STATUS_BROKEN : 0;
	s->error = q->st.error;
	s->error_index = q->st.error_index;
	s->last_avail_idx = q->st.avail;
	s->used_idx = q->st.used;
	s->error_flags = q->st.error_flags;
	s->error_head = q->st.error_head;
	spin_unlock(&q->stat_lock);
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
	info->poll_usecs = q->poll_usecs;
	info->reserved1 = 0;
}
