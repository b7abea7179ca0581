/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vqchar: virtio split virtqueues whose memory and signalling live in the
 * kernel, exposed through the misc device /dev/vqchar.
 *
 * One open file is one context holding several queues.  Each queue owns two
 * memory regions that userspace maps by the offsets the kernel returns
 * (as io_uring does): the split ring (descriptor table, available ring and
 * used ring, laid out as in the virtio 1.x specification, all little endian)
 * and a buffer pool.  Descriptor addresses are byte offsets into the pool:
 * the pool is the queue's I/O address space.
 *
 * Every ioctl argument starts with a __u32 "size" that userspace sets to
 * sizeof() of the struct it was built with; the kernel accepts newer
 * (longer) structs whose extra tail is zero, up to a page, and refuses a
 * non-zero tail or a larger size with E2BIG and a size below the first
 * version of the struct with EINVAL.  Unknown flags and non-zero reserved
 * fields are refused with EINVAL, unknown ioctls with ENOTTY, a bad
 * pointer with EFAULT, a queue id that names no queue of this file with
 * ENOENT, and a create beyond the file's queue limit with ENOSPC.
 *
 * Commands are matched on their type, number and direction; the size bits
 * may be those of any version of the struct (the struct's own size field
 * is what counts) but not less than the struct's API version 1 size.  A
 * command with another direction or a smaller size gets ENOTTY.
 *
 * Lifetime.  A queue lives until it is destroyed or its file is released.
 * As with io_uring, each mmap() of a queue region holds the file, so
 * close() alone is not teardown while mappings exist (in this process or
 * a child that inherited them): the queues, their kick hooks and device
 * workers go on until the last close() *and* the last munmap() of the
 * file.  Use DESTROY_QUEUE for an immediate stop; mappings of a destroyed
 * queue stay valid (its pages are freed at munmap) but it consumes no more.
 *
 * Queue ids are handed out cyclically: a destroyed queue's id is not
 * given again until the ids above it were used, so a stale id or mmap
 * offset gets ENOENT / EINVAL instead of reaching a newer queue.
 *
 * Resources.  An in-kernel device runs in a kernel thread of its own that
 * joins every cgroup of the creating task, so its CPU time is charged to,
 * and limited by, the creator's cgroups (as vhost's workers).  Ring and
 * pool pages count against the creating user's RLIMIT_MEMLOCK unless the
 * creator has CAP_IPC_LOCK (as io_uring's registered buffers), and
 * against the module-wide max_locked_bytes parameter; all allocations are
 * charged to the creator's memory cgroup.
 *
 * CREATE_QUEUE errors, in addition to the above:
 *	EINVAL	bad num, device, features, buf_count, buf_size, io_base
 *		range or poll_usecs; a pool (buf_count * buf_size) above
 *		max_pool_bytes; no kick_fd for an in-kernel device; an fd
 *		that is not an eventfd
 *	EBADF	kick_fd, call_fd or err_fd is not an open descriptor
 *	ENOMEM	the pages would pass the user's RLIMIT_MEMLOCK (without
 *		CAP_IPC_LOCK), or the kernel is out of memory
 *	EDQUOT	the pages would pass the module's max_locked_bytes
 *	EINTR	the caller was killed while the pool was allocated
 *	any error of joining the caller's cgroups (e.g. EAGAIN from the pids
 *	controller's limit)
 *
 * mmap() errors: EINVAL for a mapping that is not MAP_SHARED, an offset
 * that names no region of a queue of this file, or a range that runs past
 * the region; EPERM for PROT_EXEC.  Mappings are never executable:
 * mprotect() to PROT_EXEC fails with EACCES; growing one with mremap()
 * fails with EFAULT.
 *
 * Descriptors.  A descriptor's [addr, addr + len) must lie in
 * [io_base, io_base + buf_count * buf_size): the pool bound is the
 * buffers, not the region's length rounded up to a page.  A zero-length
 * descriptor is valid anywhere in that range, its end included, and moves
 * nothing.  Only the NEXT, WRITE and INDIRECT flag bits are interpreted;
 * other bits are ignored.
 */
#ifndef _UAPI_LINUX_VQCHAR_H
#define _UAPI_LINUX_VQCHAR_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VQCHAR_API_VERSION	2

/* Largest ring the split format allows (virtio 1.x, 2.6 "Split Virtqueues"). */
#define VQCHAR_MAX_RING_SIZE	32768

/*
 * Most segments (descriptors, direct or in an indirect table) one chain may
 * have for an in-kernel device; GET_VERSION reports the module's value.
 */
#define VQCHAR_MAX_CHAIN_SEGS	1024

/*
 * Ring features, numbered as the virtio transport feature bits they mirror
 * (VIRTIO_RING_F_INDIRECT_DESC = 28, VIRTIO_RING_F_EVENT_IDX = 29).
 */
#define VQCHAR_F_INDIRECT_DESC	(1ULL << 28)
#define VQCHAR_F_EVENT_IDX	(1ULL << 29)
#define VQCHAR_F_ALL		(VQCHAR_F_INDIRECT_DESC | VQCHAR_F_EVENT_IDX)

/* Who consumes the available ring. */
#define VQCHAR_DEV_EXTERNAL	0	/* nobody in the kernel: another process */
#define VQCHAR_DEV_LOOPBACK	1	/* copies readable bytes into writable buffers */
#define VQCHAR_DEV_SINK		2	/* consumes readable bytes, writes nothing */
#define VQCHAR_DEV_SOURCE	3	/* fills writable buffers with a pattern */
#define VQCHAR_DEV_MAX		3

/*
 * The source device fills each chain with bytes of
 *	VQCHAR_SOURCE_BYTE(seq, i) = (seq * 31 + i) & 0xff
 * where seq counts chains from 0 since the queue was created or reset and i
 * is the byte's position within the chain.
 */
#define VQCHAR_SOURCE_BYTE(seq, i)	((__u8)(((seq) * 31u + (i)) & 0xffu))

/* Why a queue is broken (struct vqchar_queue_status.error). */
#define VQCHAR_ERR_NONE			0
#define VQCHAR_ERR_AVAIL_IDX		1	/* avail idx ran more than num ahead */
#define VQCHAR_ERR_HEAD_INDEX		2	/* avail ring entry >= num */
#define VQCHAR_ERR_DESC_INDEX		3	/* next index >= table size */
#define VQCHAR_ERR_CHAIN_LOOP		4	/* chain longer than its table */
#define VQCHAR_ERR_DESC_BOUNDS		5	/* addr + len outside the pool */
#define VQCHAR_ERR_RW_ORDER		6	/* readable after writable */
#define VQCHAR_ERR_INDIRECT_FEATURE	7	/* indirect without the feature */
#define VQCHAR_ERR_INDIRECT_LEN		8	/* length 0 or not a multiple of 16 */
#define VQCHAR_ERR_INDIRECT_BOUNDS	9	/* table outside the pool */
#define VQCHAR_ERR_INDIRECT_NESTED	10	/* indirect inside an indirect table */
#define VQCHAR_ERR_INDIRECT_NEXT	11	/* indirect descriptor also has NEXT */
#define VQCHAR_ERR_CHAIN_TOO_LONG	12	/* more segments than the device takes */
#define VQCHAR_ERR_MAX			12

/*
 * struct vqchar_queue_status.error_flags: VQCHAR_ERROR_F_INDIRECT says that
 * error_index is an entry of the indirect table that error_head points to,
 * not a slot of the ring's descriptor table.
 */
#define VQCHAR_ERROR_F_INDIRECT		(1U << 0)

/*
 * mmap offsets.  Never build them by hand: use the values returned in
 * struct vqchar_region.  The region id and queue id live in the offset's
 * high bits; a mapping may start at any page inside a region.
 */
#define VQCHAR_REGION_RING	0
#define VQCHAR_REGION_POOL	1

/* "No eventfd" in the create call's fd fields. */
#define VQCHAR_FD_NONE		0xffffffffU

/**
 * struct vqchar_region - one mmap-able memory region of a queue
 * @offset: the mmap offset of the region's first byte
 * @length: the region's length in bytes (a multiple of the page size)
 */
struct vqchar_region {
	__aligned_u64 offset;
	__aligned_u64 length;
};

/**
 * struct vqchar_ring_offsets - where each ring field lives, in bytes from
 *	the start of the ring region
 * @desc: descriptor table, 16 bytes per entry (16-byte aligned)
 * @avail_flags: __le16 available ring flags (2-byte aligned)
 * @avail_idx: __le16 available ring index
 * @avail_ring: __le16 ring[num]
 * @used_event: __le16, written by the driver (VQCHAR_F_EVENT_IDX)
 * @used_flags: __le16 used ring flags (4-byte aligned)
 * @used_idx: __le16 used ring index
 * @used_ring: struct { __le32 id; __le32 len; } ring[num]
 * @avail_event: __le16, written by the device (VQCHAR_F_EVENT_IDX)
 * @ring_bytes: bytes of the region used by the ring
 */
struct vqchar_ring_offsets {
	__u32 desc;
	__u32 avail_flags;
	__u32 avail_idx;
	__u32 avail_ring;
	__u32 used_event;
	__u32 used_flags;
	__u32 used_idx;
	__u32 used_ring;
	__u32 avail_event;
	__u32 ring_bytes;
};

/**
 * struct vqchar_version - VQCHAR_IOC_GET_VERSION
 * @size: sizeof(struct vqchar_version)
 * @flags: must be 0
 * @api_version: out, VQCHAR_API_VERSION of the running module
 * @max_queues: out, queues one open file may hold
 * @features: out, ring features the module supports (VQCHAR_F_*)
 * @max_pool_bytes: out, largest buffer pool of one queue
 * @max_ring_size: out, largest ring (VQCHAR_MAX_RING_SIZE)
 * @max_device: out, highest VQCHAR_DEV_* the module knows
 * @max_chain_segs: out, most segments of one chain an in-kernel device
 *	takes (VQCHAR_MAX_CHAIN_SEGS); longer chains break the queue with
 *	VQCHAR_ERR_CHAIN_TOO_LONG (since API version 2)
 * @max_poll_usecs: out, largest poll_usecs a queue may be created with,
 *	the module's max_poll_usecs parameter (since API version 2)
 */
struct vqchar_version {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 max_queues;
	__aligned_u64 features;
	__aligned_u64 max_pool_bytes;
	__u32 max_ring_size;
	__u32 max_device;
	__u32 max_chain_segs;
	__u32 max_poll_usecs;
};

/**
 * struct vqchar_queue_create - VQCHAR_IOC_CREATE_QUEUE
 * @size: sizeof(struct vqchar_queue_create)
 * @flags: must be 0
 * @num: ring size, a power of two from 1 to VQCHAR_MAX_RING_SIZE
 * @device: VQCHAR_DEV_*
 * @features: VQCHAR_F_* to enable on this ring
 * @buf_count: number of buffers in the pool (at least 1)
 * @buf_size: bytes per buffer (at least 1); the pool holds buf_count *
 *	buf_size bytes, rounded up to a page
 * @kick_fd: in, eventfd the driver writes to notify the device; required
 *	for an in-kernel device, VQCHAR_FD_NONE allowed for an external one
 * @call_fd: in, eventfd the kernel signals when its device published used
 *	entries, or VQCHAR_FD_NONE
 * @err_fd: in, eventfd signalled when the queue becomes broken, or
 *	VQCHAR_FD_NONE; signalled after the chains consumed before the bad
 *	one are published in the used ring
 * @queue_id: out, the queue's id inside this open file
 * @ring_off: out, layout of the ring region
 * @ring: out, the ring region
 * @pool: out, the buffer pool region
 * @io_base: the I/O address of the pool's first byte: descriptors carry
 *	io_base + pool offset, so queues with disjoint I/O ranges can share
 *	one address space (one vhost memory table).  io_base + buf_count *
 *	buf_size must fit in 64 bits, else EINVAL.  0 in API version 1.
 * @poll_usecs: in-kernel devices only: after the available ring runs dry
 *	the device keeps polling it for up to this many microseconds before
 *	it re-enables kicks and sleeps (vhost-net's busyloop_timeout, io_uring's
 *	sq_thread_idle); 0 sleeps at once.  At most max_poll_usecs, and 0
 *	for VQCHAR_DEV_EXTERNAL (EINVAL).  While the device polls, kicks
 *	stay disabled in the ring (no notify flag / avail_event), so a driver
 *	that honours them makes no kick; QUEUE_STATS.polled counts the
 *	times polling found new chains.  The budget is wall time spent by
 *	the worker, charged to the creator's cgroup like all device work.
 * @reserved: must be 0
 *
 * The eventfds come from userspace, as with vhost's VHOST_SET_VRING_KICK:
 * the kernel offers modules no way to create an eventfd file.  The kernel
 * holds its own reference, so the caller may close its descriptors; the
 * same eventfds can be handed to another process (SCM_RIGHTS) that plays
 * the device for an external queue.  The kernel hooks the kick eventfd's
 * wait queue and signals the call and error eventfds itself.
 */
struct vqchar_queue_create {
	__u32 size;
	__u32 flags;
	__u32 num;
	__u32 device;
	__aligned_u64 features;
	__u32 buf_count;
	__u32 buf_size;
	__u32 kick_fd;
	__u32 call_fd;
	__u32 err_fd;
	__u32 queue_id;
	struct vqchar_ring_offsets ring_off;
	struct vqchar_region ring;
	struct vqchar_region pool;
	__aligned_u64 io_base;
	__u32 poll_usecs;
	__u32 reserved;
};

/**
 * struct vqchar_queue_ref - VQCHAR_IOC_DESTROY_QUEUE, VQCHAR_IOC_RESET_QUEUE
 * @size: sizeof(struct vqchar_queue_ref)
 * @flags: must be 0
 * @queue_id: the queue
 * @reserved: must be 0
 *
 * Destroy removes the queue; existing mappings stay valid until munmap.
 * Reset stops the device, zeroes the ring, clears the broken state and the
 * device's indices, so the driver can start again from index 0.  Reset
 * keeps the statistics (QUEUE_STATS counts from create).
 */
struct vqchar_queue_ref {
	__u32 size;
	__u32 flags;
	__u32 queue_id;
	__u32 reserved;
};

/**
 * struct vqchar_queue_info - VQCHAR_IOC_QUEUE_INFO
 * @size: sizeof(struct vqchar_queue_info)
 * @flags: must be 0
 * @queue_id: in, the queue
 * @num: out, ring size
 * @features: out, enabled ring features
 * @device: out, VQCHAR_DEV_*
 * @buf_count: out, buffers in the pool
 * @buf_size: out, bytes per buffer
 * @reserved0: must be 0
 * @ring_off: out, layout of the ring region
 * @ring: out, the ring region
 * @pool: out, the buffer pool region
 * @io_base: out, the I/O address of the pool's first byte (API version 2)
 * @poll_usecs: out, the queue's poll budget (API version 2)
 * @reserved1: out, 0
 *
 * For a second process that received the vqchar fd: everything it needs to
 * map the queue again.  The eventfds are passed separately (SCM_RIGHTS).
 */
struct vqchar_queue_info {
	__u32 size;
	__u32 flags;
	__u32 queue_id;
	__u32 num;
	__aligned_u64 features;
	__u32 device;
	__u32 buf_count;
	__u32 buf_size;
	__u32 reserved0;
	struct vqchar_ring_offsets ring_off;
	struct vqchar_region ring;
	struct vqchar_region pool;
	__aligned_u64 io_base;
	__u32 poll_usecs;
	__u32 reserved1;
};

/**
 * struct vqchar_queue_stats - VQCHAR_IOC_QUEUE_STATS
 * @size: sizeof(struct vqchar_queue_stats)
 * @flags: must be 0
 * @queue_id: in, the queue
 * @reserved0: must be 0
 * @chains: out, chains consumed by the in-kernel device
 * @bytes_read: out, bytes the device read from readable buffers
 * @bytes_written: out, bytes the device wrote into writable buffers
 * @kicks: out, kick eventfd signals the kernel received
 * @calls: out, call eventfd signals sent
 * @calls_suppressed: out, calls not sent (NO_INTERRUPT or used_event)
 * @batches: out, times the device drained the available ring
 * @errors: out, times the queue became broken
 * @polled: out, times a polling device found new chains without a kick
 *	(API version 2)
 *
 * The counters, and QUEUE_STATUS's indices, are those after the device's
 * last finished batch: reading them never waits for a device that is busy
 * with a long chain.
 */
struct vqchar_queue_stats {
	__u32 size;
	__u32 flags;
	__u32 queue_id;
	__u32 reserved0;
	__aligned_u64 chains;
	__aligned_u64 bytes_read;
	__aligned_u64 bytes_written;
	__aligned_u64 kicks;
	__aligned_u64 calls;
	__aligned_u64 calls_suppressed;
	__aligned_u64 batches;
	__aligned_u64 errors;
	__aligned_u64 polled;
};

#define VQCHAR_STATUS_BROKEN	(1U << 0)

/**
 * struct vqchar_queue_status - VQCHAR_IOC_QUEUE_STATUS
 * @size: sizeof(struct vqchar_queue_status)
 * @flags: must be 0
 * @queue_id: in, the queue
 * @status: out, VQCHAR_STATUS_*
 * @error: out, VQCHAR_ERR_* that broke the queue, else VQCHAR_ERR_NONE
 * @error_index: out, what error names: the device's last_avail_idx for
 *	VQCHAR_ERR_AVAIL_IDX; the avail ring position (free-running, not
 *	masked) of the bad entry for VQCHAR_ERR_HEAD_INDEX; the bad next
 *	index for VQCHAR_ERR_DESC_INDEX; for the other errors the descriptor
 *	that caused it.  Descriptor indices are of the ring's table, or of
 *	the indirect table when error_flags has VQCHAR_ERROR_F_INDIRECT.
 * @last_avail_idx: out, the device's next avail ring position
 * @used_idx: out, the device's used idx
 * @error_flags: out, VQCHAR_ERROR_F_* qualifying error_index (API version 2)
 * @error_head: out, head of the chain that broke the queue, for the
 *	descriptor errors (API version 2)
 */
struct vqchar_queue_status {
	__u32 size;
	__u32 flags;
	__u32 queue_id;
	__u32 status;
	__u32 error;
	__u32 error_index;
	__u32 last_avail_idx;
	__u32 used_idx;
	__u32 error_flags;
	__u32 error_head;
};

/* 0xB7 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define VQCHAR_IOC_MAGIC	0xB7

#define VQCHAR_IOC_GET_VERSION	_IOWR(VQCHAR_IOC_MAGIC, 0x00, struct vqchar_version)
#define VQCHAR_IOC_CREATE_QUEUE	_IOWR(VQCHAR_IOC_MAGIC, 0x01, struct vqchar_queue_create)
#define VQCHAR_IOC_DESTROY_QUEUE _IOW(VQCHAR_IOC_MAGIC, 0x02, struct vqchar_queue_ref)
#define VQCHAR_IOC_RESET_QUEUE	_IOW(VQCHAR_IOC_MAGIC, 0x03, struct vqchar_queue_ref)
#define VQCHAR_IOC_QUEUE_INFO	_IOWR(VQCHAR_IOC_MAGIC, 0x04, struct vqchar_queue_info)
#define VQCHAR_IOC_QUEUE_STATS	_IOWR(VQCHAR_IOC_MAGIC, 0x05, struct vqchar_queue_stats)
#define VQCHAR_IOC_QUEUE_STATUS	_IOWR(VQCHAR_IOC_MAGIC, 0x06, struct vqchar_queue_status)

#endif /* _UAPI_LINUX_VQCHAR_H */
