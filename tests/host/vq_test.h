/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libvqchar host tests: queue creation and an
 * in-process device thread.  Helper threads never use the ASSERT/EXPECT macros
 * (the harness longjmps in the test's own thread): they record errors,
 * which the test checks after joining.
 */
#ifndef VQ_TEST_H
#define VQ_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <vqchar.h>

#define TEST_MAX_IOV	256

static inline int test_anon_flags(uint32_t num, uint32_t buf_count, uint32_t buf_size,
				  uint64_t features, uint32_t flags, struct vqchar_queue **q)
{
	struct vqchar_params p;

	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_ANON;
	p.num = num;
	p.buf_count = buf_count;
	p.buf_size = buf_size;
	p.features = features;
	p.flags = flags;
	return vqchar_queue_create(&p, q);
}

static inline int test_anon(uint32_t num, uint32_t buf_count, uint32_t buf_size,
			    uint64_t features, struct vqchar_queue **q)
{
	return test_anon_flags(num, buf_count, buf_size, features, 0, q);
}

/* Under valgrind everything is ~50x slower: tests may scale down loops. */
static inline int test_slow(void)
{
	return getenv("VQCHAR_TEST_SLOW") != NULL;
}

/* Copy the readable segments into the writable ones; returns bytes written. */
static inline uint32_t test_loopback(const struct vqchar_dev_chain *c, const struct iovec *iov)
{
	const struct iovec *out = iov, *in = iov + c->nr_out;
	uint32_t oi = 0, ii = 0;
	size_t ooff = 0, ioff = 0, total = 0;

	while (oi < c->nr_out && ii < c->nr_in) {
		size_t n = out[oi].iov_len - ooff;

		if (n > in[ii].iov_len - ioff)
			n = in[ii].iov_len - ioff;
		memcpy((char *)in[ii].iov_base + ioff, (const char *)out[oi].iov_base + ooff, n);
		ooff += n;
		ioff += n;
		total += n;
		if (ooff == out[oi].iov_len) {
			oi++;
			ooff = 0;
		}
		if (ioff == in[ii].iov_len) {
			ii++;
			ioff = 0;
		}
	}
	return (uint32_t)total;
}

struct test_dev;
typedef uint32_t (*test_dev_fn)(struct test_dev *d, const struct vqchar_dev_chain *c,
				const struct iovec *iov);

/* A device thread: pops everything available, runs @fn, pushes, notifies once. */
struct test_dev {
	struct vqchar_queue *q;
	pthread_t tid;
	atomic_int stop;
	test_dev_fn fn;		/* NULL: loopback */
	void *priv;
	unsigned int hold;	/* chains popped before pushing any (0: 1) */
	atomic_ulong chains;
	atomic_ulong batches;
	int err;		/* first error, read after join */
};

static inline void *test_dev_main(void *arg)
{
	struct test_dev *d = arg;
	struct iovec iov[TEST_MAX_IOV];
	struct vqchar_dev_chain c;

	while (!atomic_load(&d->stop)) {
		int n = vqchar_dev_wait(d->q, 20);

		if (n == -ETIMEDOUT)
			continue;
		if (n < 0) {
			d->err = n;
			break;
		}
		vqchar_dev_disable_kicks(d->q);
		for (;;) {
			uint32_t len;
			int ret = vqchar_dev_pop(d->q, &c, iov, TEST_MAX_IOV);

			if (!ret)
				break;
			if (ret < 0) {
				d->err = ret;
				return NULL;
			}
			len = d->fn ? d->fn(d, &c, iov) : test_loopback(&c, iov);
			ret = vqchar_dev_push(d->q, c.head, len);
			if (ret) {
				d->err = ret;
				return NULL;
			}
			atomic_fetch_add(&d->chains, 1);
		}
		atomic_fetch_add(&d->batches, 1);
		n = vqchar_dev_notify(d->q);
		if (n < 0) {
			d->err = n;
			break;
		}
	}
	return NULL;
}

static inline int test_dev_start(struct test_dev *d, struct vqchar_queue *q, test_dev_fn fn)
{
	memset(d, 0, sizeof(*d));
	d->q = q;
	d->fn = fn;
	return -pthread_create(&d->tid, NULL, test_dev_main, d);
}

static inline int test_dev_stop(struct test_dev *d)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->tid, NULL);
	return d->err;
}

static inline int test_count_fds(void)
{
	int n = 0, fd;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/*
 * Shared mappings of the process (rw-s, as the library's ring and pool
 * are).  Private ones are left out: malloc, ASan and valgrind change those.
 */
static inline int test_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perms[8];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %7s", perms) == 1 && perms[3] == 's')
			n++;
	}
	fclose(f);
	return n;
}

#endif /* VQ_TEST_H */
