// SPDX-License-Identifier: GPL-2.0
/*
 * vqchar: virtio split virtqueues whose memory and signalling live in the
 * kernel.  This file is the character device: one open file is one
 * context holding up to max_queues queues; each ioctl handler copies its
 * argument in, validates it, locks, acts and copies the result out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "compat.h"
#include "queue.h"

static unsigned int max_queues = 64;
module_param(max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues, "Queues one open file may hold (default 64, at most 2048)");

static unsigned long max_pool_bytes = 64UL << 20;
module_param(max_pool_bytes, ulong, 0644);
MODULE_PARM_DESC(max_pool_bytes, "Largest buffer pool of one queue in bytes (default 64 MiB)");

static unsigned int max_poll_usecs = 10000;
module_param(max_poll_usecs, uint, 0644);
MODULE_PARM_DESC(max_poll_usecs,
		 "Largest poll budget of a queue in microseconds (default 10000, at most 1000000)");

static unsigned long max_locked_bytes;
module_param(max_locked_bytes, ulong, 0644);
MODULE_PARM_DESC(max_locked_bytes,
		 "Ring and pool bytes all queues may hold together (default 0: half the RAM)");

/**
 * struct vqchar_ctx - one open file
 * @lock: protects @queues.  Users of a queue take a reference under it and
 *	drop the lock before they touch the queue; nothing that can fault
 *	on user memory runs under it, so mmap() may take it too.
 *	Never held while waiting for a queue's lock.
 * @queues: the queues by id
 * @next_id: where the cyclic search for a free queue id starts, so an id
 *	is not given again soon after its queue is destroyed
 */
struct vqchar_ctx {
	/* Protects @queues and @next_id, see above. */
	struct mutex lock;
	struct xarray queues;
	u32 next_id;
};

static u32 vqchar_max_queues(void)
{
	return clamp_t(u32, READ_ONCE(max_queues), 1, VQCHAR_MAX_QUEUES);
}

static u64 vqchar_max_pool_bytes(void)
{
	return min_t(u64, READ_ONCE(max_pool_bytes), VQCHAR_MAX_REGION_BYTES);
}

static u32 vqchar_max_poll_usecs(void)
{
	return min_t(u32, READ_ONCE(max_poll_usecs), VQCHAR_POLL_USECS_LIMIT);
}

static unsigned long vqchar_max_locked_pages(void)
{
	unsigned long bytes = READ_ONCE(max_locked_bytes);

	if (!bytes)
		return totalram_pages() / 2;
	return bytes >> PAGE_SHIFT;
}

static struct vqchar_queue *vqchar_queue_get(struct vqchar_ctx *ctx, u32 id)
{
	struct vqchar_queue *q;

	mutex_lock(&ctx->lock);
	q = xa_load(&ctx->queues, id);
	if (q)
		kref_get(&q->ref);
	mutex_unlock(&ctx->lock);
	return q;
}

/*
 * Read an ioctl argument whose first field is its size: older (shorter)
 * structs are refused below @min_size, newer ones must have a zero tail.
 */
static int vqchar_copy_in(void *karg, size_t ksize, size_t min_size,
			  void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (*usize < min_size)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

/* The first (API version 1) size of each struct that has grown since. */
#define VQCHAR_VERSION_SIZE_V1	offsetofend(struct vqchar_version, max_device)
#define VQCHAR_INFO_SIZE_V1	offsetofend(struct vqchar_queue_info, pool)
#define VQCHAR_STATS_SIZE_V1	offsetofend(struct vqchar_queue_stats, errors)
#define VQCHAR_STATUS_SIZE_V1	offsetofend(struct vqchar_queue_status, used_idx)

static int vqchar_copy_out(void __user *uarg, const void *karg, size_t ksize, u32 usize)
{
	if (copy_to_user(uarg, karg, min_t(size_t, ksize, usize)))
		return -EFAULT;
	return 0;
}

static int vqchar_ioctl_version(void __user *uarg)
{
	struct vqchar_version cmd;
	u32 usize;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), VQCHAR_VERSION_SIZE_V1, uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags)
		return -EINVAL;

	cmd.api_version = VQCHAR_API_VERSION;
	cmd.max_queues = vqchar_max_queues();
	cmd.features = VQCHAR_F_ALL;
	cmd.max_pool_bytes = vqchar_max_pool_bytes();
	cmd.max_ring_size = VQCHAR_MAX_RING_SIZE;
	cmd.max_device = VQCHAR_DEV_MAX;
	cmd.max_chain_segs = VQCHAR_MAX_SEGS;
	cmd.max_poll_usecs = vqchar_max_poll_usecs();
	return vqchar_copy_out(uarg, &cmd, sizeof(cmd), usize);
}

/* Take the create call's eventfds; the queue drops them when freed. */
static int vqchar_queue_attach_fds(struct vqchar_queue *q,
				   const struct vqchar_queue_create *cmd)
{
	struct eventfd_ctx *ctx;
	struct file *file;

	if (cmd->kick_fd != VQCHAR_FD_NONE) {
		file = eventfd_fget(cmd->kick_fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
		q->kick_file = file;
	}
	if (cmd->call_fd != VQCHAR_FD_NONE) {
		ctx = eventfd_ctx_fdget(cmd->call_fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		q->call = ctx;
	}
	if (cmd->err_fd != VQCHAR_FD_NONE) {
		ctx = eventfd_ctx_fdget(cmd->err_fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		q->err = ctx;
	}
	return 0;
}

static int vqchar_ioctl_create(struct vqchar_ctx *ctx, void __user *uarg)
{
	struct vqchar_queue_params p = {};
	struct vqchar_queue_create cmd;
	struct vqchar_queue *q;
	bool removed = false;
	u32 usize, id;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), sizeof(cmd), uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags || cmd.reserved)
		return -EINVAL;
	if (cmd.poll_usecs > vqchar_max_poll_usecs() ||
	    (cmd.poll_usecs && cmd.device == VQCHAR_DEV_EXTERNAL))
		return -EINVAL;
	if (cmd.device != VQCHAR_DEV_EXTERNAL && cmd.kick_fd == VQCHAR_FD_NONE)
		return -EINVAL;

	p.num = cmd.num;
	p.device = cmd.device;
	p.features = cmd.features;
	p.buf_count = cmd.buf_count;
	p.buf_size = cmd.buf_size;
	p.max_pool_bytes = vqchar_max_pool_bytes();
	p.io_base = cmd.io_base;
	p.poll_usecs = cmd.poll_usecs;
	p.max_locked_pages = vqchar_max_locked_pages();
	q = vqchar_queue_alloc(&p);
	if (IS_ERR(q))
		return PTR_ERR(q);
	ret = vqchar_queue_attach_fds(q, &cmd);
	if (ret) {
		vqchar_queue_put(q);
		return ret;
	}

	mutex_lock(&ctx->lock);
	ret = xa_alloc_cyclic(&ctx->queues, &id, q, XA_LIMIT(0, vqchar_max_queues() - 1),
			      &ctx->next_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		mutex_unlock(&ctx->lock);
		vqchar_queue_put(q);
		return ret == -EBUSY ? -ENOSPC : ret;
	}
	/* The table holds the first reference, this call a second one. */
	kref_get(&q->ref);
	q->id = id;
	vqchar_queue_start(q);
	mutex_unlock(&ctx->lock);

	cmd.queue_id = id;
	cmd.ring_off = q->off;
	cmd.ring.offset = vqchar_mmap_offset(id, VQCHAR_REGION_RING);
	cmd.ring.length = q->ring_mem.size;
	cmd.pool.offset = vqchar_mmap_offset(id, VQCHAR_REGION_POOL);
	cmd.pool.length = q->pool_mem.size;
	ret = vqchar_copy_out(uarg, &cmd, sizeof(cmd), usize);
	if (ret) {
		/* Nobody learnt the id: take the queue back unless it is gone. */
		mutex_lock(&ctx->lock);
		if (xa_load(&ctx->queues, id) == q) {
			xa_erase(&ctx->queues, id);
			removed = true;
		}
		mutex_unlock(&ctx->lock);
		if (removed) {
			vqchar_queue_stop(q);
			vqchar_queue_put(q);
		}
	}
	vqchar_queue_put(q);
	return ret;
}

static int vqchar_ioctl_destroy(struct vqchar_ctx *ctx, void __user *uarg)
{
	struct vqchar_queue_ref cmd;
	struct vqchar_queue *q;
	u32 usize;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), sizeof(cmd), uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags || cmd.reserved)
		return -EINVAL;

	mutex_lock(&ctx->lock);
	q = xa_erase(&ctx->queues, cmd.queue_id);
	mutex_unlock(&ctx->lock);
	if (!q)
		return -ENOENT;
	vqchar_queue_stop(q);
	vqchar_queue_put(q);
	return 0;
}

static int vqchar_ioctl_reset(struct vqchar_ctx *ctx, void __user *uarg)
{
	struct vqchar_queue_ref cmd;
	struct vqchar_queue *q;
	u32 usize;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), sizeof(cmd), uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags || cmd.reserved)
		return -EINVAL;

	q = vqchar_queue_get(ctx, cmd.queue_id);
	if (!q)
		return -ENOENT;
	vqchar_queue_reset(q);
	vqchar_queue_put(q);
	return 0;
}

static int vqchar_ioctl_info(struct vqchar_ctx *ctx, void __user *uarg)
{
	struct vqchar_queue_info cmd;
	struct vqchar_queue *q;
	u32 usize;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), VQCHAR_INFO_SIZE_V1, uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags || cmd.reserved0)
		return -EINVAL;

	q = vqchar_queue_get(ctx, cmd.queue_id);
	if (!q)
		return -ENOENT;
	vqchar_queue_get_info(q, &cmd);
	vqchar_queue_put(q);
	return vqchar_copy_out(uarg, &cmd, sizeof(cmd), usize);
}

static int vqchar_ioctl_stats(struct vqchar_ctx *ctx, void __user *uarg)
{
	struct vqchar_queue_stats cmd;
	struct vqchar_queue *q;
	u32 usize;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), VQCHAR_STATS_SIZE_V1, uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags || cmd.reserved0)
		return -EINVAL;

	q = vqchar_queue_get(ctx, cmd.queue_id);
	if (!q)
		return -ENOENT;
	vqchar_queue_get_stats(q, &cmd);
	vqchar_queue_put(q);
	return vqchar_copy_out(uarg, &cmd, sizeof(cmd), usize);
}

static int vqchar_ioctl_status(struct vqchar_ctx *ctx, void __user *uarg)
{
	struct vqchar_queue_status cmd;
	struct vqchar_queue *q;
	u32 usize;
	int ret;

	ret = vqchar_copy_in(&cmd, sizeof(cmd), VQCHAR_STATUS_SIZE_V1, uarg, &usize);
	if (ret)
		return ret;
	if (cmd.flags)
		return -EINVAL;

	q = vqchar_queue_get(ctx, cmd.queue_id);
	if (!q)
		return -ENOENT;
	vqchar_queue_get_status(q, &cmd);
	vqchar_queue_put(q);
	return vqchar_copy_out(uarg, &cmd, sizeof(cmd), usize);
}

/*
 * Commands match on type, number and direction; the size bits may be
 * those of any version of the struct (its own size field says which), but
 * not less than API version 1's.
 */
#define VQCHAR_IOC_BASE(cmd)	((cmd) & ~_IOC(0, 0, 0, _IOC_SIZEMASK))
static bool vqchar_ioc_is(unsigned int cmd, unsigned int ioc, size_t min_size)
{
	return VQCHAR_IOC_BASE(cmd) == VQCHAR_IOC_BASE(ioc) && _IOC_SIZE(cmd) >= min_size;
}

static long vqchar_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vqchar_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (vqchar_ioc_is(cmd, VQCHAR_IOC_GET_VERSION, VQCHAR_VERSION_SIZE_V1))
		return vqchar_ioctl_version(uarg);
	if (vqchar_ioc_is(cmd, VQCHAR_IOC_CREATE_QUEUE, sizeof(struct vqchar_queue_create)))
		return vqchar_ioctl_create(ctx, uarg);
	if (vqchar_ioc_is(cmd, VQCHAR_IOC_DESTROY_QUEUE, sizeof(struct vqchar_queue_ref)))
		return vqchar_ioctl_destroy(ctx, uarg);
	if (vqchar_ioc_is(cmd, VQCHAR_IOC_RESET_QUEUE, sizeof(struct vqchar_queue_ref)))
		return vqchar_ioctl_reset(ctx, uarg);
	if (vqchar_ioc_is(cmd, VQCHAR_IOC_QUEUE_INFO, VQCHAR_INFO_SIZE_V1))
		return vqchar_ioctl_info(ctx, uarg);
	if (vqchar_ioc_is(cmd, VQCHAR_IOC_QUEUE_STATS, VQCHAR_STATS_SIZE_V1))
		return vqchar_ioctl_stats(ctx, uarg);
	if (vqchar_ioc_is(cmd, VQCHAR_IOC_QUEUE_STATUS, VQCHAR_STATUS_SIZE_V1))
		return vqchar_ioctl_status(ctx, uarg);
	return -ENOIOCTLCMD;
}

/*
 * Map a queue region, or part of it starting at any of its pages, shared
 * and never executable.  Pages are inserted now and hold references, so
 * the mapping stays valid after its queue is destroyed.  The vma holds the
 * file, so release (and with it the end of every queue) waits for the last
 * munmap as well as the last close.
 */
static int vqchar_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vqchar_ctx *ctx = file->private_data;
	unsigned long first_page;
	struct vqchar_queue *q;
	u32 id, region;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (vqchar_mmap_decode(vma->vm_pgoff, &id, &region, &first_page))
		return -EINVAL;

	q = vqchar_queue_get(ctx, id);
	if (!q)
		return -EINVAL;
	vqchar_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYEXEC);
	ret = vqchar_mem_mmap(region == VQCHAR_REGION_RING ? &q->ring_mem : &q->pool_mem,
			      vma, first_page);
	vqchar_queue_put(q);
	return ret;
}

static int vqchar_open(struct inode *inode, struct file *file)
{
	struct vqchar_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	xa_init_flags(&ctx->queues, XA_FLAGS_ALLOC);
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

static int vqchar_release(struct inode *inode, struct file *file)
{
	struct vqchar_ctx *ctx = file->private_data;
	struct vqchar_queue *q;
	unsigned long id;

	/*
	 * The last reference to the file, the last close and the last
	 * munmap (each vma holds the file): nobody else can reach @ctx.
	 */
	xa_for_each(&ctx->queues, id, q) {
		xa_erase(&ctx->queues, id);
		vqchar_queue_stop(q);
		vqchar_queue_put(q);
	}
	xa_destroy(&ctx->queues);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static void vqchar_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct vqchar_ctx *ctx = file->private_data;
	struct vqchar_queue_status st;
	struct vqchar_queue_stats s;
	struct vqchar_queue *q;
	unsigned long id;

	/* The snapshots take only the queues' stat_lock: never a long wait. */
	mutex_lock(&ctx->lock);
	xa_for_each(&ctx->queues, id, q) {
		vqchar_queue_get_stats(q, &s);
		vqchar_queue_get_status(q, &st);
		seq_printf(m, "queue:\t%lu num=%u device=%u features=%#llx broken=%u error=%u\n",
			   id, q->num, q->device, q->features,
			   !!(st.status & VQCHAR_STATUS_BROKEN), st.error);
		seq_printf(m, "  avail=%u used=%u chains=%llu bytes_read=%llu bytes_written=%llu\n",
			   st.last_avail_idx, st.used_idx, s.chains, s.bytes_read,
			   s.bytes_written);
		seq_printf(m, "  kicks=%llu calls=%llu calls_suppressed=%llu batches=%llu errors=%llu polled=%llu\n",
			   s.kicks, s.calls, s.calls_suppressed, s.batches, s.errors, s.polled);
	}
	mutex_unlock(&ctx->lock);
}

static const struct file_operations vqchar_fops = {
	.owner		= THIS_MODULE,
	.open		= vqchar_open,
	.release	= vqchar_release,
	.unlocked_ioctl	= vqchar_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vqchar_mmap,
	.show_fdinfo	= vqchar_show_fdinfo,
};

static struct miscdevice vqchar_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "vqchar",
	.fops		= &vqchar_fops,
	.mode		= 0600,
};

/* Read when the device node is created, i.e. at load time. */
module_param_named(mode, vqchar_misc.mode, ushort, 0444);
MODULE_PARM_DESC(mode, "Permissions of /dev/vqchar (default 0600)");

module_misc_device(vqchar_misc);

MODULE_DESCRIPTION("Virtio split virtqueues with kernel-side memory and signalling");
MODULE_LICENSE("GPL");
