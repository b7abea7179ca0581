/* SPDX-License-Identifier: MIT */
/*
 * An anonymous-backend libvqchar queue whose ring and pool are moved into
 * guarded allocations (fuzz_guard.h), for the library fuzz targets.  The
 * library is compiled into the target, so its internals are reachable.
 */
#ifndef FUZZ_LIB_H
#define FUZZ_LIB_H

#include <errno.h>

#include "vqchar_int.h"
#include "fuzz_guard.h"

struct fz_queue {
	struct vqchar_queue *q;
	void *lib_ring;		/* the library's own mappings, restored at close */
	uint8_t *lib_pool;
};

static struct fz_guarded fz_ring_guard, fz_pool_guard;

/* @flags: VQCHAR_PARAMS_SINGLE_ISSUER puts the inline calls of vqchar.h under test. */
static inline void fz_queue_open(struct fz_queue *f, uint32_t num, uint32_t buf_count,
				 uint32_t buf_size, uint64_t features, uint32_t flags)
{
	struct vqchar_params p = {
		.backend = VQCHAR_BACKEND_ANON,
		.num = num,
		.buf_count = buf_count,
		.buf_size = buf_size,
		.features = features,
		.flags = flags,
	};
	struct vqchar_queue *q;
	void *ring;
	int ret;

	ret = vqchar_queue_create(&p, &f->q);
	FZ_CHECK(ret == 0, "anon queue create: %d", ret);
	q = f->q;
	f->lib_ring = q->ring_mem;
	f->lib_pool = q->pool;
	ring = fz_guard_get(&fz_ring_guard, q->off.ring_bytes, 16);
	memcpy(ring, q->ring_mem, q->off.ring_bytes);
	q->ring_mem = ring;
	vq_ring_init(&q->ring, ring, q->num, &q->off);
	q->pool = fz_guard_get(&fz_pool_guard, q->pool_size, 1);
	memset(q->pool, 0, q->pool_size);
	__vqchar_hot_init(q);
}

static inline void fz_queue_close(struct fz_queue *f)
{
	f->q->ring_mem = f->lib_ring;
	f->q->pool = f->lib_pool;
	vq_ring_init(&f->q->ring, f->q->ring_mem, f->q->num, &f->q->off);
	__vqchar_hot_init(f->q);
	FZ_CHECK(vqchar_queue_close(f->q) == 0, "close");
}

/* Where iov[0..n) point: each entry inside the pool. */
static inline void fz_check_iov(const struct iovec *iov, unsigned int n, uint64_t *total)
{
	unsigned int i;

	*total = 0;
	for (i = 0; i < n; i++) {
		FZ_CHECK(fz_guard_contains(&fz_pool_guard, iov[i].iov_base, iov[i].iov_len),
			 "iov %u (%p, %zu) outside the pool", i, iov[i].iov_base, iov[i].iov_len);
		*total += iov[i].iov_len;
	}
}

#endif /* FUZZ_LIB_H */
