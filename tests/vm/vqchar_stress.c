// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded random stress of the whole vqchar ABI.  Worker processes, each
 * with several threads, make random calls on shared contexts: create
 * (valid and invalid), destroy, reset, info, stats, status, version;
 * mmap, munmap and mremap of any part of any region; fork with children
 * that use the inherited mappings and descriptors; kicks, well-formed
 * chains and random bytes written to ring and pool memory; eventfds
 * closed while the kernel holds them; contexts and eventfds passed over
 * SCM_RIGHTS to a helper and closed there.  The supervisor SIGKILLs
 * workers mid-flight and starts new ones.
 *
 * Invariants: every call returns 0 or an errno the ABI documents for it
 * (accepted[] below); a mapping of a queue's region stays readable until
 * munmap, even after destroy (a SIGBUS there is a violation); nothing
 * hangs (every worker exits within a bound after SIGKILL); afterwards a
 * fresh loopback queue makes a clean round trip.  The kernel log scan and
 * the rmmod at the end of the guest run check the rest.
 *
 * Seeded: the seed is printed, VQCHAR_STRESS_SEED=N replays the same
 * random choices (thread interleaving aside).  VQCHAR_STRESS_SECONDS sets
 * the budget (default 45; raise VQ_TIMEOUT with it for long runs).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "vq_test.h"

#define WORKERS		2	/* processes at a time */
#define THREADS		3	/* per worker */
#define CTXS		2	/* /dev/vqchar contexts per worker */
#define SLOTS		8	/* queues a worker tracks per context */
#define MAPS		16	/* mappings a worker tracks */
#define MAX_REPORTS	8	/* violations printed in full */
#define EXIT_GRACE_S	30	/* a SIGKILLed worker must be gone by then */

/* ---- what each call may return (include/uapi/linux/vqchar.h) ---- */

enum call {
	C_OPEN, C_VERSION, C_CREATE, C_DESTROY, C_RESET, C_INFO, C_STATS, C_STATUS,
	C_MMAP, C_MUNMAP, C_MREMAP, C_KICK, C_NR
};

/*
 * The errnos each call may return in this test.  The header's general
 * rules give EINVAL, E2BIG, EFAULT, ENOENT, ENOSPC, ENOTTY; creates also
 * meet ENOMEM and a descriptor that is not an eventfd (EBADF, EINVAL);
 * mmap meets EINVAL for a region that is not there and EPERM for PROT_EXEC;
 * mremap refuses growing a VM_DONTEXPAND mapping with EFAULT.  EINTR is
 * what a call interrupted by SIGKILL returns, which the dying caller never
 * sees.  Extend here when the ABI documents more (EAGAIN for a memlock
 * limit, EPERM/EACCES for a permission check).
 */
static const struct {
	const char *name;
	int errs[8];
} accepted[C_NR] = {
	[C_OPEN]	= { "open", { ENOMEM, EMFILE, ENFILE } },
	[C_VERSION]	= { "version", { 0 } },
	[C_CREATE]	= { "create", { EINVAL, E2BIG, ENOSPC, ENOMEM, EBADF, EAGAIN } },
	[C_DESTROY]	= { "destroy", { ENOENT, EINVAL } },
	[C_RESET]	= { "reset", { ENOENT, EINVAL } },
	[C_INFO]	= { "info", { ENOENT, EINVAL } },
	[C_STATS]	= { "stats", { ENOENT, EINVAL } },
	[C_STATUS]	= { "status", { ENOENT, EINVAL } },
	[C_MMAP]	= { "mmap", { EINVAL, ENOMEM, EPERM, EAGAIN } },
	[C_MUNMAP]	= { "munmap", { 0 } },
	[C_MREMAP]	= { "mremap", { EFAULT, EINVAL, ENOMEM } },
	[C_KICK]	= { "kick", { EAGAIN } },
};

/* Counters shared by every process (MAP_SHARED, set up before forking). */
struct shared {
	atomic_ulong ops[C_NR];
	atomic_ulong errors[C_NR];	/* documented errnos seen */
	atomic_ulong violations;
	atomic_ulong chains, ring_scribbles, forks, passes, kills, fd_closes;
	atomic_uint reports;
	atomic_int stop;
	char report[MAX_REPORTS][200];
};

static struct shared *sh;
static unsigned long long seed;

static void violate(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void violate(const char *fmt, ...)
{
	unsigned int slot = atomic_fetch_add(&sh->reports, 1);
	va_list ap;

	atomic_fetch_add(&sh->violations, 1);
	if (slot >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(sh->report[slot], sizeof(sh->report[slot]), fmt, ap);
	va_end(ap);
}

/* Account one call's result (0 or -errno). */
static int note(enum call c, int ret)
{
	unsigned int i;

	atomic_fetch_add(&sh->ops[c], 1);
	if (!ret)
		return 0;
	for (i = 0; i < 8 && accepted[c].errs[i]; i++) {
		if (-ret == accepted[c].errs[i]) {
			atomic_fetch_add(&sh->errors[c], 1);
			return ret;
		}
	}
	violate("%s returned undocumented errno %d (%s)", accepted[c].name, -ret, strerror(-ret));
	return ret;
}

/* xorshift64*: per thread, derived from the seed. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static inline uint32_t below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

/* ---- one worker process ---- */

struct slot {
	bool used;
	uint32_t id;
	uint32_t device;
	uint64_t features;
	int kick, call, err;	/* ours; -1 once closed */
	struct vqchar_queue_create cr;
};

struct mapping {
	uint8_t *p;
	size_t len;		/* bytes of region behind it: safe to touch */
	size_t map_len;
};

struct worker {
	int ctx[CTXS];
	pthread_mutex_t lock;	/* slots, maps, and fd use against closes */
	struct slot slots[CTXS][SLOTS];
	struct mapping maps[MAPS];
	int helper_sock;	/* SCM_RIGHTS to the helper, or -1 */
	pid_t helper;
	uint64_t seed;
};

static struct worker W;
static __thread sigjmp_buf *touch_env;

static void on_sigbus(int sig)
{
	if (touch_env)
		siglongjmp(*touch_env, sig);
	_exit(99);
}

/* Read and write a few bytes of a mapping; a fault there is a violation. */
static void touch(uint64_t *rs, struct mapping *m, bool scribble)
{
	sigjmp_buf env;
	size_t off = below(rs, (uint32_t)m->len);

	if (sigsetjmp(env, 1)) {
		touch_env = NULL;
		violate("fault touching byte %zu of a %zu-byte mapping", off, m->len);
		return;
	}
	touch_env = &env;
	(void)*(volatile uint8_t *)(m->p + off);
	if (scribble)
		*(volatile uint8_t *)(m->p + off) = (uint8_t)rnd(rs);
	touch_env = NULL;
}

static int open_eventfd_or_none(uint64_t *rs, bool allow_none)
{
	if (allow_none && !below(rs, 4))
		return -1;
	return vqt_eventfd();
}

static void op_create(uint64_t *rs, int ci)
{
	struct vqchar_queue_create cr;
	struct slot s = { .used = true };
	int k, ret, i;

	s.device = below(rs, VQCHAR_DEV_MAX + 1);
	s.features = rnd(rs) & VQCHAR_F_ALL;
	s.kick = open_eventfd_or_none(rs, s.device == VQCHAR_DEV_EXTERNAL);
	s.call = open_eventfd_or_none(rs, true);
	s.err = open_eventfd_or_none(rs, true);
	vqt_create_args(&cr, 1u << below(rs, 9), s.device, s.features, 1 + below(rs, 32),
			1 + below(rs, 8192), s.kick, s.call, s.err);
	/* Now and then (a third of the time) a request the kernel must refuse. */
	switch (below(rs, 30)) {
	case 0: cr.num = 3; break;
	case 1: cr.flags = 1u << below(rs, 32); break;
	case 2: cr.reserved = 1; break;
	case 3: cr.kick_fd = W.ctx[ci]; break;		/* not an eventfd */
	case 4: cr.call_fd = 100000; break;		/* no such descriptor */
	case 5: cr.features |= 1ULL << below(rs, 64); break;
	case 6: cr.device = VQCHAR_DEV_MAX + 1 + below(rs, 4); break;
	case 7: cr.io_base = rnd(rs); break;
	case 8: cr.buf_count = 0xffffffffu; cr.buf_size = 0xffffffffu; break;
	case 9: cr.poll_usecs = below(rs, 100); break;
	default: break;
	}
	ret = note(C_CREATE, vqt_ioctl(W.ctx[ci], VQCHAR_IOC_CREATE_QUEUE, &cr));
	if (ret) {
		for (k = 0; k < 3; k++) {
			int fd = k == 0 ? s.kick : k == 1 ? s.call : s.err;

			if (fd >= 0)
				close(fd);
		}
		return;
	}
	s.id = cr.queue_id;
	s.cr = cr;
	pthread_mutex_lock(&W.lock);
	for (i = 0; i < SLOTS && W.slots[ci][i].used; i++)
		;
	if (i == SLOTS) {
		/* No room to track it: let the context's close take it. */
		pthread_mutex_unlock(&W.lock);
		for (k = 0; k < 3; k++) {
			int fd = k == 0 ? s.kick : k == 1 ? s.call : s.err;

			if (fd >= 0)
				close(fd);
		}
		return;
	}
	W.slots[ci][i] = s;
	pthread_mutex_unlock(&W.lock);
}

/* A random tracked queue of context @ci, copied; false when there is none. */
static bool pick(uint64_t *rs, int ci, struct slot *out, int *idx)
{
	int i = below(rs, SLOTS);

	pthread_mutex_lock(&W.lock);
	*out = W.slots[ci][i];
	pthread_mutex_unlock(&W.lock);
	*idx = i;
	return out->used;
}

/* Holds W.lock. */
static void slot_forget_locked(int ci, int i, uint32_t id)
{
	struct slot *s = &W.slots[ci][i];

	if (s->used && s->id == id) {
		if (s->kick >= 0)
			close(s->kick);
		if (s->call >= 0)
			close(s->call);
		if (s->err >= 0)
			close(s->err);
		s->used = false;
	}
}

static void slot_forget(int ci, int i, uint32_t id)
{
	pthread_mutex_lock(&W.lock);
	slot_forget_locked(ci, i, id);
	pthread_mutex_unlock(&W.lock);
}

static void op_ref(uint64_t *rs, int ci, enum call c)
{
	struct slot s;
	uint32_t id;
	int i, ret;

	id = pick(rs, ci, &s, &i) && below(rs, 8) ? s.id : below(rs, 80);
	switch (c) {
	case C_DESTROY:
		ret = note(c, vqt_destroy(W.ctx[ci], id));
		if (!ret && s.used && s.id == id)
			slot_forget(ci, i, id);
		break;
	case C_RESET:
		note(c, vqt_reset(W.ctx[ci], id));
		break;
	case C_INFO: {
		struct vqchar_queue_info info;

		ret = note(c, vqt_info(W.ctx[ci], id, &info));
		if (!ret && (info.num < 1 || info.num > VQCHAR_MAX_RING_SIZE ||
			     info.device > VQCHAR_DEV_MAX || info.reserved1))
			violate("info of queue %u: num %u device %u", id, info.num, info.device);
		break;
	}
	case C_STATS: {
		struct vqchar_queue_stats st;

		note(c, vqt_stats(W.ctx[ci], id, &st));
		break;
	}
	default: {
		struct vqchar_queue_status st;

		ret = note(C_STATUS, vqt_status(W.ctx[ci], id, &st));
		if (!ret && (st.error > VQCHAR_ERR_MAX || (st.status & ~VQCHAR_STATUS_BROKEN)))
			violate("status of queue %u: status %#x error %u", id, st.status, st.error);
		break;
	}
	}
}

static void op_mmap(uint64_t *rs, int ci)
{
	struct slot s;
	const struct vqchar_region *r;
	long pg = vqt_page_size();
	size_t pages, first, n;
	int i, prot = PROT_READ | PROT_WRITE;
	bool shared;
	uint8_t *p;

	if (!pick(rs, ci, &s, &i))
		return;
	r = below(rs, 2) ? &s.cr.ring : &s.cr.pool;
	pages = r->length / pg;
	first = below(rs, (uint32_t)pages);
	n = 1 + below(rs, (uint32_t)(pages - first));
	if (!below(rs, 16))
		n += 1 + below(rs, 4);		/* past the region's end */
	if (!below(rs, 32))
		prot |= PROT_EXEC;
	shared = below(rs, 16);
	p = mmap(NULL, n * pg, prot, shared ? MAP_SHARED : MAP_PRIVATE, W.ctx[ci],
		 (off_t)(r->offset + first * pg));
	if (note(C_MMAP, p == MAP_FAILED ? -errno : 0))
		return;
	/*
	 * Only what holds whatever the queue behind the id is now (another
	 * thread may have destroyed it, or replaced the whole context).
	 */
	if ((prot & PROT_EXEC) || !shared)
		violate("mmap with prot %#x, %s accepted", prot, shared ? "shared" : "private");
	pthread_mutex_lock(&W.lock);
	for (i = 0; i < MAPS && W.maps[i].p; i++)
		;
	if (i < MAPS) {
		W.maps[i] = (struct mapping){ p, n * pg, n * pg };
		p = NULL;
	}
	pthread_mutex_unlock(&W.lock);
	if (p)
		note(C_MUNMAP, munmap(p, n * pg) ? -errno : 0);
}

/* Take a tracked mapping out of the table (the caller owns it then). */
static bool take_map(uint64_t *rs, struct mapping *m)
{
	int i = below(rs, MAPS);

	pthread_mutex_lock(&W.lock);
	*m = W.maps[i];
	W.maps[i].p = NULL;
	pthread_mutex_unlock(&W.lock);
	return m->p != NULL;
}

static void put_map(const struct mapping *m)
{
	int i;

	pthread_mutex_lock(&W.lock);
	for (i = 0; i < MAPS && W.maps[i].p; i++)
		;
	if (i < MAPS)
		W.maps[i] = *m;
	pthread_mutex_unlock(&W.lock);
	if (i == MAPS)
		note(C_MUNMAP, munmap(m->p, m->map_len) ? -errno : 0);
}

static void op_map_use(uint64_t *rs, int how)
{
	long pg = vqt_page_size();
	struct mapping m;
	void *np;

	if (!take_map(rs, &m))
		return;
	switch (how) {
	case 0:
		note(C_MUNMAP, munmap(m.p, m.map_len) ? -errno : 0);
		return;
	case 1: /* grow: a VM_DONTEXPAND mapping refuses */
		np = mremap(m.p, m.map_len, m.map_len + pg, MREMAP_MAYMOVE);
		if (!note(C_MREMAP, np == MAP_FAILED ? -errno : 0)) {
			violate("mremap grew a queue mapping from %zu bytes", m.map_len);
			m.p = np;
			m.map_len += pg;
		}
		break;
	case 2: /* move, keeping the size */
		np = mremap(m.p, m.map_len, m.map_len, MREMAP_MAYMOVE);
		if (!note(C_MREMAP, np == MAP_FAILED ? -errno : 0))
			m.p = np;
		break;
	case 3: /* shrink */
		if (m.map_len > (size_t)pg) {
			np = mremap(m.p, m.map_len, m.map_len - pg, 0);
			if (!note(C_MREMAP, np == MAP_FAILED ? -errno : 0)) {
				m.map_len -= pg;
				if (m.len > m.map_len)
					m.len = m.map_len;
			}
		}
		break;
	default:
		touch(rs, &m, true);
		break;
	}
	put_map(&m);
}

/* Chains: well formed for the in-kernel devices, or random bytes. */
static void op_ring(uint64_t *rs, int ci)
{
	struct slot s;
	struct vqchar_ring_offsets *o;
	uint8_t *ring;
	struct vq_ring r;
	uint32_t num, k, n;
	uint16_t idx;
	int i;

	if (!pick(rs, ci, &s, &i))
		return;
	ring = mmap(NULL, s.cr.ring.length, PROT_READ | PROT_WRITE, MAP_SHARED, W.ctx[ci],
		    (off_t)s.cr.ring.offset);
	if (note(C_MMAP, ring == MAP_FAILED ? -errno : 0))
		return;
	o = &s.cr.ring_off;
	num = s.cr.num;
	vq_ring_init(&r, ring, num, o);
	if (below(rs, 4)) {
		uint64_t pool = (uint64_t)s.cr.buf_count * s.cr.buf_size;

		idx = le16toh(*r.avail_idx);
		n = 1 + below(rs, num);
		for (k = 0; k < n; k++) {
			uint16_t d = (uint16_t)((idx + k) & (num - 1));
			uint64_t a = below(rs, (uint32_t)pool);

			vq_drv_desc_write(&r, d, s.cr.io_base + a, below(rs, (uint32_t)(pool - a)) + 1,
					  below(rs, 3) ? 0 : VQ_DESC_F_WRITE, 0);
			vq_drv_avail_fill(&r, (uint16_t)(idx + k), d);
		}
		vq_drv_avail_publish(&r, (uint16_t)(idx + n));
		atomic_fetch_add(&sh->chains, n);
	} else {
		for (k = 0; k < 16; k++)
			ring[below(rs, o->ring_bytes)] = (uint8_t)rnd(rs);
		atomic_fetch_add(&sh->ring_scribbles, 1);
	}
	munmap(ring, s.cr.ring.length);
	/* Kick under the lock: the eventfd cannot be closed meanwhile. */
	pthread_mutex_lock(&W.lock);
	if (W.slots[ci][i].used && W.slots[ci][i].id == s.id && W.slots[ci][i].kick >= 0)
		note(C_KICK, vqt_signal(W.slots[ci][i].kick));
	pthread_mutex_unlock(&W.lock);
}

/* Close one of a live queue's eventfds: the kernel holds its own reference. */
static void op_close_eventfd(uint64_t *rs, int ci)
{
	struct slot *s = &W.slots[ci][below(rs, SLOTS)];
	int *fd;

	pthread_mutex_lock(&W.lock);
	fd = below(rs, 3) == 0 ? &s->kick : below(rs, 2) ? &s->call : &s->err;
	if (s->used && *fd >= 0) {
		close(*fd);
		*fd = -1;
		atomic_fetch_add(&sh->fd_closes, 1);
	}
	pthread_mutex_unlock(&W.lock);
}

/* Pass a context and a queue's eventfds to the helper, which uses and closes them. */
static void op_pass(uint64_t *rs, int ci)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))] = { 0 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	struct { uint32_t id; uint32_t nfds; } hdr;
	int fds[4], n = 1;
	struct slot *s;

	if (W.helper_sock < 0)
		return;
	pthread_mutex_lock(&W.lock);
	s = &W.slots[ci][below(rs, SLOTS)];
	fds[0] = W.ctx[ci];
	hdr.id = s->used ? s->id : 0;
	if (s->used) {
		if (s->kick >= 0)
			fds[n++] = s->kick;
		if (s->call >= 0)
			fds[n++] = s->call;
	}
	hdr.nfds = n;
	iov = (struct iovec){ &hdr, sizeof(hdr) };
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	if (sendmsg(W.helper_sock, &msg, MSG_DONTWAIT) == sizeof(hdr))
		atomic_fetch_add(&sh->passes, 1);
	pthread_mutex_unlock(&W.lock);
}

/* The helper: receives contexts and eventfds, pokes at them, closes them. */
static void helper_main(int sock, uint64_t hs)
{
	for (;;) {
		char cbuf[CMSG_SPACE(4 * sizeof(int))];
		struct { uint32_t id; uint32_t nfds; } hdr;
		struct iovec iov = { &hdr, sizeof(hdr) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct vqchar_queue_info info;
		struct cmsghdr *cm;
		int fds[4] = { -1, -1, -1, -1 }, n, k;

		if (recvmsg(sock, &msg, 0) != sizeof(hdr))
			_exit(0);
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		if (!note(C_INFO, vqt_info(fds[0], hdr.id, &info)) && below(&hs, 2)) {
			void *p = mmap(NULL, info.pool.length, PROT_READ | PROT_WRITE, MAP_SHARED,
				       fds[0], (off_t)info.pool.offset);

			if (!note(C_MMAP, p == MAP_FAILED ? -errno : 0)) {
				memset(p, (int)rnd(&hs), info.pool.length < 64 ? info.pool.length : 64);
				munmap(p, info.pool.length);
			}
		}
		for (k = 1; k < n; k++)
			note(C_KICK, vqt_signal(fds[k]));
		if (!below(&hs, 4))
			note(C_DESTROY, vqt_destroy(fds[0], hdr.id));
		for (k = 0; k < n; k++)
			close(fds[k]);
	}
}

/* A forked child: uses what it inherited, then exits or is killed. */
static void op_fork(uint64_t *rs, int ci)
{
	uint64_t cs = rnd(rs) | 1;
	struct vqchar_version v;
	pid_t pid;

	/*
	 * Fork under W.lock: the child's copy of the tables then matches its
	 * descriptors (no close half done).  The child never takes the lock
	 * (its copy stays held); nothing else runs in it.
	 */
	pthread_mutex_lock(&W.lock);
	pid = fork();
	if (pid)
		pthread_mutex_unlock(&W.lock);
	if (pid < 0)
		return;
	if (!pid) {
		struct mapping *m = &W.maps[below(&cs, MAPS)];
		const struct slot *sl = &W.slots[ci][below(&cs, SLOTS)];
		struct vqchar_queue_status st;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (m->p)
			touch(&cs, m, below(&cs, 2));
		note(C_VERSION, vqt_get_version(W.ctx[ci], &v));
		if (sl->used) {
			note(C_STATUS, vqt_status(W.ctx[ci], sl->id, &st));
			if (sl->kick >= 0)
				note(C_KICK, vqt_signal(sl->kick));
			if (!below(&cs, 4))
				note(C_DESTROY, vqt_destroy(W.ctx[ci], sl->id));
		}
		_exit(0);
	}
	atomic_fetch_add(&sh->forks, 1);
	if (!below(rs, 3))
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void *worker_thread(void *arg)
{
	uint64_t rs = (uint64_t)(uintptr_t)arg;

	while (!atomic_load(&sh->stop)) {
		int ci = below(&rs, CTXS);
		uint32_t op = below(&rs, 100);

		if (op < 12)
			op_create(&rs, ci);
		else if (op < 18)
			op_ref(&rs, ci, C_DESTROY);
		else if (op < 22)
			op_ref(&rs, ci, C_RESET);
		else if (op < 34)
			op_ref(&rs, ci, (enum call)(C_INFO + below(&rs, 3)));
		else if (op < 36) {
			struct vqchar_version v;

			note(C_VERSION, vqt_get_version(W.ctx[ci], &v));
		} else if (op < 50)
			op_mmap(&rs, ci);
		else if (op < 66)
			op_map_use(&rs, below(&rs, 6));
		else if (op < 86)
			op_ring(&rs, ci);
		else if (op < 90)
			op_close_eventfd(&rs, ci);
		else if (op < 95)
			op_pass(&rs, ci);
		else if (op < 97)
			op_fork(&rs, ci);
		else {
			/* A context closed under the others, and a new one. */
			int fd = vqt_open();

			if (!note(C_OPEN, fd < 0 ? fd : 0) && below(&rs, 2)) {
				pthread_mutex_lock(&W.lock);
				if (dup2(fd, W.ctx[ci]) >= 0) {
					int k;

					for (k = 0; k < SLOTS; k++)
						slot_forget_locked(ci, k, W.slots[ci][k].id);
				}
				pthread_mutex_unlock(&W.lock);
			}
			if (fd >= 0)
				close(fd);
		}
	}
	return NULL;
}

static void worker_main(uint64_t wseed)
{
	pthread_t th[THREADS];
	struct sigaction sa = { .sa_handler = on_sigbus };
	int sv[2], i;

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	memset(&W, 0, sizeof(W));
	pthread_mutex_init(&W.lock, NULL);
	W.seed = wseed;
	for (i = 0; i < CTXS; i++) {
		W.ctx[i] = vqt_open();
		if (W.ctx[i] < 0)
			_exit(2);
	}
	W.helper_sock = -1;
	if (!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		W.helper = fork();
		if (!W.helper) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(sv[0]);
			helper_main(sv[1], wseed ^ 0x5bd1e995);
		}
		close(sv[1]);
		W.helper_sock = W.helper > 0 ? sv[0] : -1;
	}
	for (i = 0; i < THREADS; i++) {
		uint64_t ts = wseed * (i + 1) * 0x9e3779b97f4a7c15ULL | 1;

		pthread_create(&th[i], NULL, worker_thread, (void *)(uintptr_t)ts);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	if (W.helper_sock >= 0)
		close(W.helper_sock);
	if (W.helper > 0)
		waitpid(W.helper, NULL, 0);
	_exit(0);
}

static pid_t spawn_worker(uint64_t wseed)
{
	pid_t pid = fork();

	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		worker_main(wseed);
	}
	return pid;
}

/* Wait for @pid up to @secs; false when it is still there. */
static bool reap(pid_t pid, int secs)
{
	uint64_t deadline = vqt_now_ms() + secs * 1000ULL;

	while (vqt_now_ms() < deadline) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return true;
		vqt_sleep_ms(20);
	}
	return false;
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* A fresh loopback queue carries one chain out and back. */
static int clean_round_trip(void)
{
	struct vqt_queue q;
	uint32_t id, len, i;
	uint16_t old;
	int fd = vqt_open(), ret;

	if (fd < 0)
		return fd;
	ret = vqt_queue_create(fd, &q, 16, VQCHAR_DEV_LOOPBACK, VQCHAR_F_EVENT_IDX, 4, 256);
	if (ret) {
		close(fd);
		return ret;
	}
	for (i = 0; i < 256; i++)
		q.pool[i] = (uint8_t)(i ^ 0x5a);
	old = q.avail_idx;
	vq_drv_desc_write(&q.r, 0, 0, 256, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 512, 256, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
	ret = vqt_publish(&q, old);
	if (!ret && vqt_wait_used(&q, 1) < 1)
		ret = -ETIMEDOUT;
	if (!ret) {
		vq_drv_used_read(&q.r, q.last_used, &id, &len);
		if (id != 0 || len != 256 || memcmp(q.pool, q.pool + 512, 256))
			ret = -EPROTO;
	}
	vqt_queue_destroy(&q);
	close(fd);
	return ret;
}

int main(void)
{
	unsigned long secs = env_ul("VQCHAR_STRESS_SECONDS", 45);
	uint64_t s, deadline, next_kill;
	pid_t workers[WORKERS];
	unsigned long total = 0, spawned = 0, hung = 0;
	unsigned int i;
	int fd, ret;

	ksft_print_header();
	fd = vqt_open();
	if (fd < 0)
		ksft_exit_skip(VQT_DEV " not present (module not loaded)\n");
	close(fd);
	ksft_set_plan(4);

	seed = env_ul("VQCHAR_STRESS_SEED", 0);
	if (!seed)
		seed = ((uint64_t)time(NULL) << 16 ^ (uint64_t)getpid()) | 1;
	ksft_print_msg("seed %llu (replay: VQCHAR_STRESS_SEED=%llu), %lu s, %d workers x %d threads\n",
		       seed, seed, secs, WORKERS, THREADS);
	s = seed;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	fflush(stdout);

	for (i = 0; i < WORKERS; i++) {
		workers[i] = spawn_worker(rnd(&s) | 1);
		spawned++;
	}
	deadline = vqt_now_ms() + secs * 1000;
	next_kill = vqt_now_ms() + 500 + below(&s, 3000);
	while (vqt_now_ms() < deadline) {
		vqt_sleep_ms(50);
		for (i = 0; i < WORKERS; i++) {
			if (waitpid(workers[i], NULL, WNOHANG) == workers[i]) {
				workers[i] = spawn_worker(rnd(&s) | 1);
				spawned++;
			}
		}
		if (vqt_now_ms() < next_kill)
			continue;
		/* SIGKILL one mid-flight; it must be gone promptly. */
		i = below(&s, WORKERS);
		kill(workers[i], SIGKILL);
		atomic_fetch_add(&sh->kills, 1);
		if (!reap(workers[i], EXIT_GRACE_S)) {
			hung++;
			violate("worker %d still there %d s after SIGKILL", workers[i], EXIT_GRACE_S);
		}
		workers[i] = spawn_worker(rnd(&s) | 1);
		spawned++;
		next_kill = vqt_now_ms() + 500 + below(&s, 3000);
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i < WORKERS; i++) {
		/* Threads stop at their next call; then the helper and the worker go. */
		if (!reap(workers[i], EXIT_GRACE_S)) {
			kill(workers[i], SIGKILL);
			if (!reap(workers[i], EXIT_GRACE_S)) {
				hung++;
				violate("worker %d does not exit, even on SIGKILL", workers[i]);
			}
		}
	}
	/*
	 * Forked children and helpers of killed workers were reparented here
	 * (the subreaper): all must end too, or their references keep the
	 * module busy.
	 */
	{
		uint64_t until = vqt_now_ms() + EXIT_GRACE_S * 1000ULL;
		pid_t p;

		while ((p = waitpid(-1, NULL, WNOHANG)) >= 0 && vqt_now_ms() < until)
			if (!p)
				vqt_sleep_ms(20);
		if (p >= 0 && errno != ECHILD) {
			hung++;
			violate("descendants still running %d s after the end", EXIT_GRACE_S);
		}
	}

	for (i = 0; i < C_NR; i++) {
		total += sh->ops[i];
		ksft_print_msg("%-8s %8lu calls, %lu documented errors\n", accepted[i].name,
			       (unsigned long)sh->ops[i], (unsigned long)sh->errors[i]);
	}
	ksft_print_msg("stress: %lu operations, %lu chains offered, %lu ring scribbles, %lu forks, "
		       "%lu fd passes, %lu eventfds closed, %lu workers started, %lu SIGKILLed\n",
		       total, (unsigned long)sh->chains, (unsigned long)sh->ring_scribbles,
		       (unsigned long)sh->forks, (unsigned long)sh->passes,
		       (unsigned long)sh->fd_closes, spawned, (unsigned long)sh->kills);
	ksft_print_msg("stress: %lu invariant violations, %lu hangs (seed %llu)\n",
		       (unsigned long)sh->violations, hung, seed);
	for (i = 0; i < MAX_REPORTS && i < sh->reports; i++)
		ksft_print_msg("violation: %s\n", sh->report[i]);

	ksft_test_result(total > 0 && sh->ops[C_CREATE] > 0 && sh->ops[C_MMAP] > 0,
			 "stress_ran\n");
	ksft_test_result(sh->violations == 0, "every_call_documented_result\n");
	ksft_test_result(hung == 0, "no_hang\n");
	ret = clean_round_trip();
	if (ret)
		ksft_print_msg("round trip after the stress: %d\n", ret);
	ksft_test_result(ret == 0, "clean_round_trip_after\n");
	ksft_finished();
}
