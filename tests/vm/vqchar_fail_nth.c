// SPDX-License-Identifier: GPL-2.0
/*
 * vqchar under allocation failure, iommufd_fail_nth style: every call of
 * the ABI is run with its 1st, 2nd, ... fault-injection point failed
 * (/proc/self/task/<tid>/fail-nth, with failslab and fail_page_alloc
 * armed for sleeping allocations) until it runs without reaching the
 * point.  At each point the call must either succeed anyway (the failure
 * had a fallback) or return an errno from alloc_failure_errnos[]; then
 * the same call, without injection, must succeed and leave a working
 * queue.  kmemleak, scanned at the end of the guest run, checks that
 * nothing leaked; the kernel log scan that nothing splatted.
 *
 * Each sweep prints "# <call>: N failure points, R refused, A absorbed".
 * Needs the debug kernel (CONFIG_FAULT_INJECTION_DEBUG_FS, FAILSLAB,
 * FAIL_PAGE_ALLOC); elsewhere every test is a skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vq_test.h"

/*
 * What a call may return when an allocation inside it fails.  The header
 * documents ENOMEM for that; extend the table when the ABI documents more
 * (e.g. EAGAIN for a memlock limit, EINTR for a fatal signal).
 */
static const int alloc_failure_errnos[] = { ENOMEM };

/* More points than this in one call means the sweep is not converging. */
#define MAX_POINTS	2000
#define NUM		8
#define BUF_COUNT	4
#define BUF_SIZE	4096	/* a pool of several pages */

static bool alloc_failure_errno(int err)
{
	unsigned int i;

	for (i = 0; i < sizeof(alloc_failure_errnos) / sizeof(alloc_failure_errnos[0]); i++)
		if (err == alloc_failure_errnos[i])
			return true;
	return false;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Let fail-nth fail sleeping allocations and order-0 pages too, and keep
 * the injected failures out of the kernel log (only real reports should
 * be there).  Global settings, but they only matter to a task whose
 * fail-nth is set: probability stays 0.
 */
static const char *setup_fault_injection(void)
{
	static const char *const quiet[] = {
		"/sys/kernel/debug/failslab/verbose",
		"/sys/kernel/debug/fail_page_alloc/verbose",
	};
	char path[64];
	unsigned int i;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	if (access(path, R_OK | W_OK))
		return "no fail-nth: the kernel lacks CONFIG_FAULT_INJECTION";
	if (write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"))
		return "no failslab in debugfs (CONFIG_FAILSLAB, FAULT_INJECTION_DEBUG_FS)";
	if (write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N") ||
	    write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N") ||
	    write_file("/sys/kernel/debug/fail_page_alloc/min-order", "0"))
		return "no fail_page_alloc in debugfs (CONFIG_FAIL_PAGE_ALLOC)";
	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (write_file(quiet[i], "0"))
			return "cannot quieten fault injection";
	return NULL;
}

/* The calling thread's fail-nth file. */
static int nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	return open(path, O_RDWR | O_CLOEXEC);
}

static int nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Disarm; true when the armed failure was injected (the counter ran down
 * to 0), false when the call finished before reaching it.
 */
static bool nth_disarm(int fd)
{
	char buf[16] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	/* Disarming can be refused while a failure is pending: retry. */
	while (pwrite(fd, "0", 1, 0) != 1)
		;
	return n > 0 && atoi(buf) == 0;
}

/* ---- the state a swept call works on ---- */

struct fctx {
	uint32_t device;
	uint64_t features;
	int fd;			/* a fresh /dev/vqchar context per point */
	int kick, call, err;	/* eventfds for creates, kept across points */
	struct vqt_queue q;	/* a queue made before the call, when it needs one */
	bool have_q;
	bool shared_q;		/* q belongs to another process: leave it alone */
	int expect_queues;	/* queues the context holds before a create */
	uint32_t new_id;	/* what a create made */
	bool created;
	void *map;		/* what an mmap made */
	size_t map_len;
	uint32_t region;	/* mmap: VQCHAR_REGION_* */
	bool partial;		/* mmap: the pool's second page only */
};

struct fcall {
	const char *name;
	bool needs_queue;	/* create and map a queue before the call */
	int (*op)(struct fctx *c);
	/* After the call succeeded: check what it made works, then undo it. */
	int (*check_undo)(struct fctx *c);
};

struct fcounts {
	unsigned int points, refused, absorbed;
	unsigned int violations;
	char first[160];
};

static void violation(struct fcounts *n, const char *fmt, int a, int b)
{
	if (!n->violations++)
		snprintf(n->first, sizeof(n->first), fmt, a, b);
}

/* One chain out and back through a loopback queue: 0 when it works. */
static int loop_round_trip(struct vqt_queue *q)
{
	uint32_t half = q->buf_count * q->buf_size / 2, id, len;
	uint16_t old = q->avail_idx;
	uint32_t i;

	for (i = 0; i < 64; i++)
		q->pool[i] = (uint8_t)(i * 5 + 3);
	memset(q->pool + half, 0, 64);
	vq_drv_desc_write(&q->r, 0, 0, 64, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q->r, 1, half, 64, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	if (vqt_publish(q, old))
		return -1;
	if (vqt_wait_used(q, 1) < 1)
		return -2;
	vq_drv_used_read(&q->r, q->last_used++, &id, &len);
	if (id != 0 || len != 64 || memcmp(q->pool, q->pool + half, 64))
		return -3;
	return 0;
}

static int op_open(struct fctx *c)
{
	int fd = vqt_open();

	if (fd < 0)
		return fd;
	c->map_len = (size_t)fd;	/* the new descriptor, for check_undo */
	return 0;
}

static int check_open(struct fctx *c)
{
	int fd = (int)c->map_len;
	struct vqt_queue q;
	int ret;

	ret = vqt_queue_create(fd, &q, NUM, VQCHAR_DEV_LOOPBACK, 0, BUF_COUNT, BUF_SIZE);
	if (!ret) {
		ret = loop_round_trip(&q);
		vqt_queue_destroy(&q);
	}
	close(fd);
	return ret;
}

static int op_create(struct fctx *c)
{
	struct vqchar_queue_create cr;
	int ret;

	vqt_create_args(&cr, NUM, c->device, c->features, BUF_COUNT, BUF_SIZE,
			c->kick, c->call, c->err);
	ret = vqt_ioctl(c->fd, VQCHAR_IOC_CREATE_QUEUE, &cr);
	if (!ret) {
		c->new_id = cr.queue_id;
		c->created = true;
	}
	return ret;
}

/* Queues a context holds, as its fdinfo lists them. */
static int count_queues(int fd)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "queue:", 6))
			n++;
	fclose(f);
	return n;
}

static int check_create(struct fctx *c)
{
	struct vqt_queue q;
	int ret;

	if (!c->created)
		return -100;
	c->created = false;
	/*
	 * A failed create before this one must have left no queue behind.
	 * Ids are allocated cyclically, so count the queues instead.
	 */
	if (count_queues(c->fd) != c->expect_queues + 1)
		return -101;
	ret = vqt_destroy(c->fd, c->new_id);
	if (ret)
		return ret;
	/* And the context still makes queues that work. */
	ret = vqt_queue_create(c->fd, &q, NUM, VQCHAR_DEV_LOOPBACK, c->features,
			       BUF_COUNT, BUF_SIZE);
	if (ret)
		return ret;
	ret = loop_round_trip(&q);
	vqt_queue_destroy(&q);
	return ret;
}

static int op_destroy(struct fctx *c)
{
	int ret = vqt_destroy(c->fd, c->q.id);

	if (!ret)
		c->have_q = false;
	return ret;
}

static int check_destroy(struct fctx *c)
{
	struct vqchar_queue_info info;

	return vqt_info(c->fd, c->q.id, &info) == -ENOENT ? 0 : -102;
}

static int op_reset(struct fctx *c)
{
	return vqt_reset(c->fd, c->q.id);
}

static int check_queue_works(struct fctx *c)
{
	struct vqchar_queue_status st;
	int ret;

	ret = vqt_status(c->fd, c->q.id, &st);
	if (ret)
		return ret;
	if (st.status & VQCHAR_STATUS_BROKEN)
		return -103;
	if (c->device != VQCHAR_DEV_LOOPBACK)
		return 0;
	/* A reset zeroes the indices: start again from 0. */
	vqt_reset(c->fd, c->q.id);
	c->q.avail_idx = 0;
	c->q.last_used = 0;
	return loop_round_trip(&c->q);
}

static int op_info(struct fctx *c)
{
	struct vqchar_queue_info info;

	return vqt_info(c->fd, c->q.id, &info);
}

static int op_stats(struct fctx *c)
{
	struct vqchar_queue_stats st;

	return vqt_stats(c->fd, c->q.id, &st);
}

static int op_status(struct fctx *c)
{
	struct vqchar_queue_status st;

	return vqt_status(c->fd, c->q.id, &st);
}

static int op_version(struct fctx *c)
{
	struct vqchar_version v;

	return vqt_get_version(c->fd, &v);
}

static int op_mmap(struct fctx *c)
{
	const struct vqchar_region *r = c->region == VQCHAR_REGION_RING ? &c->q.cr.ring
									: &c->q.cr.pool;
	long pg = vqt_page_size();
	uint64_t off = r->offset;
	size_t len = r->length;
	void *p;

	if (c->partial) {
		off += pg;
		len = pg;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, (off_t)off);
	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	c->map_len = len;
	return 0;
}

/* The new mapping shows the same bytes as the queue's own. */
static int check_mmap(struct fctx *c)
{
	const uint8_t *mine = c->region == VQCHAR_REGION_RING ? c->q.ring_map : c->q.pool;
	uint8_t *p = c->map;
	int ret = 0;

	if (c->partial)
		mine += vqt_page_size();
	p[0] = 0x5a;
	p[c->map_len - 1] = 0xa5;
	if (mine[0] != 0x5a || mine[c->map_len - 1] != 0xa5)
		ret = -104;
	munmap(c->map, c->map_len);
	c->map = NULL;
	return ret;
}

static const struct fcall call_open = { "open", false, op_open, check_open };
static const struct fcall call_create = { "create", false, op_create, check_create };
static const struct fcall call_destroy = { "destroy", true, op_destroy, check_destroy };
static const struct fcall call_reset = { "reset", true, op_reset, check_queue_works };
static const struct fcall call_info = { "info", true, op_info, check_queue_works };
static const struct fcall call_stats = { "stats", true, op_stats, check_queue_works };
static const struct fcall call_status = { "status", true, op_status, check_queue_works };
static const struct fcall call_version = { "version", true, op_version, check_queue_works };
static const struct fcall call_mmap = { "mmap", true, op_mmap, check_mmap };

static int prepare(struct fctx *c, const struct fcall *call, int dev_fd)
{
	int ret;

	c->fd = dev_fd >= 0 ? dup(dev_fd) : vqt_open();
	if (c->fd < 0)
		return -errno;
	c->created = false;
	if (!call->needs_queue || c->shared_q)
		return 0;
	ret = vqt_queue_create(c->fd, &c->q, NUM, c->device, c->features, BUF_COUNT, BUF_SIZE);
	if (ret)
		return ret;
	c->have_q = true;
	return 0;
}

static void cleanup(struct fctx *c)
{
	if (c->map)
		munmap(c->map, c->map_len);
	c->map = NULL;
	if (c->have_q) {
		vqt_queue_destroy(&c->q);
	} else if (!c->shared_q) {
		vqt_queue_unmap(&c->q);
		vqt_queue_close_fds(&c->q);
	}
	c->have_q = false;
	if (c->created)
		vqt_destroy(c->fd, c->new_id);
	c->created = false;
	close(c->fd);
}

/*
 * Fail the 1st, 2nd, ... injection point of @call until it runs without
 * reaching the armed one.  @dev_fd: a context to work in (dup'ed per
 * point), or -1 for a fresh open per point.
 */
static void sweep(const struct fcall *call, struct fctx *c, int dev_fd, struct fcounts *n)
{
	unsigned int nth;
	int nfd = nth_open();

	memset(n, 0, sizeof(*n));
	if (nfd < 0) {
		violation(n, "cannot open fail-nth: %d%d", -errno, 0);
		return;
	}
	for (nth = 1; nth <= MAX_POINTS; nth++) {
		bool injected;
		int ret, again;

		ret = prepare(c, call, dev_fd);
		if (ret) {
			violation(n, "setup before point %d: %d", (int)nth, ret);
			break;
		}
		nth_arm(nfd, nth);
		ret = call->op(c);
		injected = nth_disarm(nfd);
		if (!injected) {
			/* Ran past every point: the plain call must work. */
			if (ret)
				violation(n, "without injection: %d (point %d)", ret, (int)nth);
			else if ((again = call->check_undo(c)))
				violation(n, "uninjected call made something broken: %d%d", again, 0);
			cleanup(c);
			break;
		}
		n->points++;
		again = 0;
		if (ret) {
			n->refused++;
			if (!alloc_failure_errno(-ret))
				violation(n, "point %d: undocumented errno %d", (int)nth, -ret);
			/* The same call, now without injection, succeeds. */
			again = call->op(c);
			if (again)
				violation(n, "point %d: the call then fails with %d", (int)nth, again);
		} else {
			n->absorbed++;
		}
		if (!again && (again = call->check_undo(c)))
			violation(n, "point %d: what the call made does not work: %d", (int)nth, again);
		cleanup(c);
	}
	if (nth > MAX_POINTS)
		violation(n, "more than %d failure points%d", MAX_POINTS, 0);
	close(nfd);
}

static void report(const char *call, const char *variant, const struct fcounts *n)
{
	printf("# %s/%s: %u failure points, %u refused with an errno, %u absorbed, %u violations\n",
	       call, variant, n->points, n->refused, n->absorbed, n->violations);
	if (n->violations)
		printf("# %s/%s: first violation: %s\n", call, variant, n->first);
	fflush(stdout);
}

FIXTURE(nth)
{
	struct fctx c;
};

FIXTURE_VARIANT(nth)
{
	const char *name;	/* for the counts lines */
	uint32_t device;
	uint64_t features;
};

FIXTURE_VARIANT_ADD(nth, external) {
	.name = "external", .device = VQCHAR_DEV_EXTERNAL };
FIXTURE_VARIANT_ADD(nth, external_all) {
	.name = "external_all", .device = VQCHAR_DEV_EXTERNAL, .features = VQCHAR_F_ALL };
FIXTURE_VARIANT_ADD(nth, loopback) {
	.name = "loopback", .device = VQCHAR_DEV_LOOPBACK };
FIXTURE_VARIANT_ADD(nth, loopback_indirect) {
	.name = "loopback_indirect", .device = VQCHAR_DEV_LOOPBACK, .features = VQCHAR_F_INDIRECT_DESC };
FIXTURE_VARIANT_ADD(nth, loopback_event_idx) {
	.name = "loopback_event_idx", .device = VQCHAR_DEV_LOOPBACK, .features = VQCHAR_F_EVENT_IDX };
FIXTURE_VARIANT_ADD(nth, loopback_all) {
	.name = "loopback_all", .device = VQCHAR_DEV_LOOPBACK, .features = VQCHAR_F_ALL };
FIXTURE_VARIANT_ADD(nth, sink) {
	.name = "sink", .device = VQCHAR_DEV_SINK };
FIXTURE_VARIANT_ADD(nth, sink_all) {
	.name = "sink_all", .device = VQCHAR_DEV_SINK, .features = VQCHAR_F_ALL };
FIXTURE_VARIANT_ADD(nth, source) {
	.name = "source", .device = VQCHAR_DEV_SOURCE };
FIXTURE_VARIANT_ADD(nth, source_all) {
	.name = "source_all", .device = VQCHAR_DEV_SOURCE, .features = VQCHAR_F_ALL };

FIXTURE_SETUP(nth)
{
	const char *why;
	int fd;

	memset(&self->c, 0, sizeof(self->c));
	self->c.fd = -1;
	self->c.kick = self->c.call = self->c.err = -1;
	why = setup_fault_injection();
	if (why)
		SKIP(return, "%s", why);
	fd = vqt_open();
	if (fd < 0)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	close(fd);
	self->c.device = variant->device;
	self->c.features = variant->features;
	self->c.kick = vqt_eventfd();
	self->c.call = vqt_eventfd();
	self->c.err = vqt_eventfd();
	ASSERT_LE(0, self->c.kick);
	ASSERT_LE(0, self->c.call);
	ASSERT_LE(0, self->c.err);
}

FIXTURE_TEARDOWN(nth)
{
	if (self->c.kick >= 0)
		close(self->c.kick);
	if (self->c.call >= 0)
		close(self->c.call);
	if (self->c.err >= 0)
		close(self->c.err);
}

static void run_sweep(struct __test_metadata *_metadata, FIXTURE_DATA(nth) *self,
		      const char *variant, const struct fcall *call, const char *label,
		      bool must_have_points)
{
	struct fcounts n;

	sweep(call, &self->c, -1, &n);
	report(label ? label : call->name, variant, &n);
	EXPECT_EQ(0, n.violations) {
		TH_LOG("%s: %s", call->name, n.first);
	}
	/* A call that allocates and shows no point: the injection is not armed. */
	if (must_have_points)
		EXPECT_LT(0, n.points);
}

TEST_F_TIMEOUT(nth, create, 240)
{
	run_sweep(_metadata, self, variant->name, &call_create, NULL, true);
}

TEST_F_TIMEOUT(nth, destroy, 120)
{
	run_sweep(_metadata, self, variant->name, &call_destroy, NULL, false);
}

TEST_F_TIMEOUT(nth, reset, 120)
{
	run_sweep(_metadata, self, variant->name, &call_reset, NULL, false);
}

TEST_F_TIMEOUT(nth, info, 120)
{
	run_sweep(_metadata, self, variant->name, &call_info, NULL, false);
}

TEST_F_TIMEOUT(nth, stats, 120)
{
	run_sweep(_metadata, self, variant->name, &call_stats, NULL, false);
}

TEST_F_TIMEOUT(nth, status, 120)
{
	run_sweep(_metadata, self, variant->name, &call_status, NULL, false);
}

TEST_F_TIMEOUT(nth, mmap_ring, 120)
{
	self->c.region = VQCHAR_REGION_RING;
	run_sweep(_metadata, self, variant->name, &call_mmap, "mmap_ring", true);
}

TEST_F_TIMEOUT(nth, mmap_pool, 120)
{
	self->c.region = VQCHAR_REGION_POOL;
	run_sweep(_metadata, self, variant->name, &call_mmap, "mmap_pool", true);
}

TEST_F_TIMEOUT(nth, mmap_pool_second_page, 120)
{
	self->c.region = VQCHAR_REGION_POOL;
	self->c.partial = true;
	run_sweep(_metadata, self, variant->name, &call_mmap, "mmap_pool_page", true);
}

/* Calls that do not depend on the queue's kind: once, not per variant. */
FIXTURE(nth1)
{
	struct fctx c;
};

FIXTURE_SETUP(nth1)
{
	const char *why = setup_fault_injection();
	int fd;

	memset(&self->c, 0, sizeof(self->c));
	self->c.fd = -1;
	self->c.kick = self->c.call = self->c.err = -1;
	if (why)
		SKIP(return, "%s", why);
	fd = vqt_open();
	if (fd < 0)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	close(fd);
	self->c.device = VQCHAR_DEV_LOOPBACK;
}

FIXTURE_TEARDOWN(nth1)
{
}

TEST_F_TIMEOUT(nth1, open, 120)
{
	struct fcounts n;

	sweep(&call_open, &self->c, -1, &n);
	report("open", "-", &n);
	EXPECT_EQ(0, n.violations) {
		TH_LOG("%s", n.first);
	}
	EXPECT_LT(0, n.points);
}

TEST_F_TIMEOUT(nth1, version, 120)
{
	struct fcounts n;

	sweep(&call_version, &self->c, -1, &n);
	report("version", "-", &n);
	EXPECT_EQ(0, n.violations) {
		TH_LOG("%s", n.first);
	}
}

/* ---- the context passed to a second process ---- */

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * In the second process: the calls it can make on the queue it received
 * (info, stats, status, mmap of both regions), and creates in the shared
 * context.  Returns the number of violations.
 */
static unsigned int passed_child(int sock, uint32_t queue_id, uint32_t device)
{
	static const struct fcall *const calls[] = {
		&call_info, &call_stats, &call_status, &call_mmap, &call_mmap, &call_create,
	};
	struct vqchar_queue_info info;
	unsigned int i, bad = 0;
	struct fctx c;
	int fd = recv_fd(sock);

	if (fd < 0 || vqt_info(fd, queue_id, &info))
		return 1;
	memset(&c, 0, sizeof(c));
	c.device = device;
	c.kick = vqt_eventfd();
	c.call = vqt_eventfd();
	c.err = vqt_eventfd();
	c.shared_q = true;
	c.expect_queues = 1;
	c.q.fd = fd;
	c.q.id = queue_id;
	c.q.num = info.num;
	c.q.features = info.features;
	c.q.buf_count = info.buf_count;
	c.q.buf_size = info.buf_size;
	c.q.kick = c.q.call = c.q.err = -1;
	c.q.cr.ring_off = info.ring_off;
	c.q.cr.ring = info.ring;
	c.q.cr.pool = info.pool;
	if (vqt_queue_map(&c.q))
		return 1;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct fcounts n;

		c.region = i == 3 ? VQCHAR_REGION_RING : VQCHAR_REGION_POOL;
		/* check_queue_works() would reset the parent's queue: not here. */
		c.device = calls[i] == &call_create ? device : VQCHAR_DEV_EXTERNAL;
		sweep(calls[i], &c, fd, &n);
		report(i == 3 ? "mmap_ring" : i == 4 ? "mmap_pool" : calls[i]->name, "passed_fd", &n);
		bad += n.violations;
		if ((calls[i] == &call_mmap || calls[i] == &call_create) && !n.points)
			bad++;
	}
	vqt_queue_unmap(&c.q);
	close(fd);
	return bad;
}

TEST_F_TIMEOUT(nth, passed_fd, 240)
{
	struct vqt_queue q;
	int sv[2], status, fd;
	pid_t pid;

	fd = vqt_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vqt_queue_create(fd, &q, NUM, variant->device, variant->features,
				      BUF_COUNT, BUF_SIZE));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		_exit(passed_child(sv[1], q.id, variant->device) ? 1 : 0);
	}
	close(sv[1]);
	ASSERT_EQ(0, send_fd(sv[0], fd));
	/* The second process works on its own reference: ours can go. */
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
	vqt_queue_unmap(&q);
	vqt_queue_close_fds(&q);
}

/*
 * Without fault injection nothing here can run: one skip, instead of a
 * hundred tests forked only to skip (which costs minutes under emulation).
 */
int main(int argc, char **argv)
{
	const char *why = setup_fault_injection();

	if (why) {
		printf("TAP version 13\n1..1\nok 1 fail_nth # SKIP %s\n", why);
		return KSFT_PASS;
	}
	return test_harness_run(argc, argv);
}
