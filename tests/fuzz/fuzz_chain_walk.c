// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for vq_chain_walk() (common/vq_chain.c), the chain
 * validator every in-kernel device and libvqchar's device side run on
 * descriptors a hostile driver wrote.
 *
 * The contract checked: the walk reads nothing outside the descriptor
 * table, the indirect table it accepted and the pool, writes no more than
 * max_segs segments (all three live in guarded allocations), terminates,
 * and either returns 0 with every segment inside the pool, readable ones
 * first and the byte counts right, or returns -VQCHAR_ERR_* with
 * error_flags from the header.  A second, deliberately naive walk (a
 * visited map instead of a step count) must agree: the same segments on
 * success, the same error, index and table on a chain without a cycle.
 *
 * Input: a small header (ring size, features, head, max_segs, pool size,
 * I/O base), then the descriptor table, then the pool's bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vq_split.h"
#include "fuzz_guard.h"

/* The naive walk's verdict on a chain that visits an entry twice. */
#define REF_CYCLE	(-1000)

struct ref_result {
	int ret;
	uint32_t error_index;
	uint32_t error_flags;
	uint32_t nr_segs;
};

static bool ref_in_pool(const struct vq_pool *pool, uint64_t addr, uint64_t len, uint64_t *off)
{
	/* Plain 128-bit arithmetic: no cleverness to get wrong. */
	unsigned __int128 a = addr, l = len;

	if (a < pool->io_base || a - pool->io_base + l > pool->size)
		return false;
	*off = addr - pool->io_base;
	return true;
}

static void ref_walk(const struct vq_desc *ring_table, uint32_t num, const struct vq_pool *pool,
		     uint64_t features, uint16_t head, uint32_t max_segs, struct vq_seg *segs,
		     struct ref_result *res)
{
	const uint8_t *table = (const uint8_t *)ring_table;
	uint32_t n = num, i = head;
	bool indirect = false, seen_write = false;
	uint8_t *visited;

	memset(res, 0, sizeof(*res));
	if (head >= num) {
		res->ret = -VQCHAR_ERR_HEAD_INDEX;
		res->error_index = head;
		return;
	}
	visited = calloc(num, 1);
	for (;;) {
		struct vq_desc d;
		uint16_t flags;
		uint64_t addr, off;
		uint32_t len;
		int err = 0;

		if (visited[i]) {
			res->ret = REF_CYCLE;
			break;
		}
		visited[i] = 1;
		memcpy(&d, table + (size_t)i * sizeof(d), sizeof(d));
		flags = le16toh(d.flags);
		addr = le64toh(d.addr);
		len = le32toh(d.len);

		if (flags & VQ_DESC_F_INDIRECT) {
			if (!(features & VQCHAR_F_INDIRECT_DESC))
				err = VQCHAR_ERR_INDIRECT_FEATURE;
			else if (indirect)
				err = VQCHAR_ERR_INDIRECT_NESTED;
			else if (flags & VQ_DESC_F_NEXT)
				err = VQCHAR_ERR_INDIRECT_NEXT;
			else if (len == 0 || len % 16)
				err = VQCHAR_ERR_INDIRECT_LEN;
			else if (!ref_in_pool(pool, addr, len, &off))
				err = VQCHAR_ERR_INDIRECT_BOUNDS;
			if (!err) {
				table = (const uint8_t *)pool->base + off;
				n = len / 16;
				indirect = true;
				free(visited);
				visited = calloc(n, 1);
				i = 0;
				continue;
			}
		} else if (!ref_in_pool(pool, addr, len, &off)) {
			err = VQCHAR_ERR_DESC_BOUNDS;
		} else if (!(flags & VQ_DESC_F_WRITE) && seen_write) {
			err = VQCHAR_ERR_RW_ORDER;
		} else if (res->nr_segs >= max_segs) {
			err = VQCHAR_ERR_CHAIN_TOO_LONG;
		} else {
			if (flags & VQ_DESC_F_WRITE)
				seen_write = true;
			segs[res->nr_segs].addr = off;
			segs[res->nr_segs].len = len;
			segs[res->nr_segs].write = !!(flags & VQ_DESC_F_WRITE);
			res->nr_segs++;
			if (!(flags & VQ_DESC_F_NEXT))
				break;
			i = le16toh(d.next);
			if (i >= n)
				err = VQCHAR_ERR_DESC_INDEX;
		}
		if (err) {
			res->ret = -err;
			res->error_index = i;
			res->error_flags = indirect ? VQCHAR_ERROR_F_INDIRECT : 0;
			break;
		}
	}
	free(visited);
}

static void check_contract(const struct vq_chain *c, int ret, const struct vq_pool *pool,
			   uint64_t features)
{
	uint64_t out = 0, in = 0;
	uint32_t k;

	if (ret) {
		FZ_CHECK(ret < 0 && -ret >= 1 && -ret <= VQCHAR_ERR_MAX, "ret %d", ret);
		FZ_CHECK(!(c->error_flags & ~VQCHAR_ERROR_F_INDIRECT), "flags %#x", c->error_flags);
		FZ_CHECK(!(c->error_flags & VQCHAR_ERROR_F_INDIRECT) ||
			 (features & VQCHAR_F_INDIRECT_DESC), "indirect error without the feature");
		return;
	}
	FZ_CHECK(c->nr_segs >= 1 && c->nr_segs <= c->max_segs, "nr_segs %u max %u",
		 c->nr_segs, c->max_segs);
	FZ_CHECK(c->nr_out + c->nr_in == c->nr_segs, "out %u in %u segs %u",
		 c->nr_out, c->nr_in, c->nr_segs);
	for (k = 0; k < c->nr_segs; k++) {
		const struct vq_seg *s = &c->segs[k];

		FZ_CHECK(s->addr <= pool->size && s->len <= pool->size - s->addr,
			 "segment %u [%llu, +%u) outside a pool of %llu", k,
			 (unsigned long long)s->addr, s->len, (unsigned long long)pool->size);
		FZ_CHECK(s->write == (k >= c->nr_out), "segment %u direction", k);
		if (s->write)
			in += s->len;
		else
			out += s->len;
	}
	FZ_CHECK(out == c->out_bytes && in == c->in_bytes, "byte counts");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in = { data, size, 0 };
	static struct fz_guarded gtable, gpool, gsegs;
	struct vq_seg *ref_segs;
	struct ref_result ref;
	struct vq_chain c;
	struct vq_pool pool;
	struct vq_ring r;
	uint32_t num, max_segs, k;
	uint64_t features;
	uint16_t head;
	uint8_t flags;
	int ret;

	num = 1u << (fz_take(&in, 1) % 9);
	flags = (uint8_t)fz_take(&in, 1);
	features = (flags & 1 ? VQCHAR_F_INDIRECT_DESC : 0) | (flags & 2 ? VQCHAR_F_EVENT_IDX : 0);
	head = (uint16_t)fz_take(&in, 2);
	/* Around the kernel's VQCHAR_MAX_CHAIN_SEGS, and small ones. */
	max_segs = (uint32_t)(fz_take(&in, 2) % (VQCHAR_MAX_CHAIN_SEGS + 64));
	pool.size = fz_take(&in, 2) + ((flags & 4) ? 65536 : 0);
	pool.io_base = (flags & 8) ? fz_take(&in, 8) : 0;
	if (pool.size > UINT64_MAX - pool.io_base)
		pool.io_base = UINT64_MAX - pool.size;

	memset(&r, 0, sizeof(r));
	r.num = num;
	r.desc = fz_guard_get(&gtable, (size_t)num * sizeof(struct vq_desc), 16);
	fz_take_bytes(&in, r.desc, (size_t)num * sizeof(struct vq_desc));
	pool.base = fz_guard_get(&gpool, pool.size, 1);
	fz_take_bytes(&in, (void *)pool.base, pool.size);

	memset(&c, 0xa5, sizeof(c));
	c.segs = fz_guard_get(&gsegs, (size_t)max_segs * sizeof(struct vq_seg), 8);
	c.max_segs = max_segs;
	ret = vq_chain_walk(&r, &pool, features, head, &c);
	check_contract(&c, ret, &pool, features);

	ref_segs = calloc(max_segs + 1, sizeof(*ref_segs));
	ref_walk(r.desc, num, &pool, features, head, max_segs, ref_segs, &ref);
	if (ref.ret == REF_CYCLE) {
		FZ_CHECK(ret == -VQCHAR_ERR_CHAIN_LOOP || ret == -VQCHAR_ERR_RW_ORDER ||
			 ret == -VQCHAR_ERR_CHAIN_TOO_LONG, "cycle, walker says %d", ret);
	} else {
		FZ_CHECK(ret == ref.ret, "walker %d, reference %d", ret, ref.ret);
		if (ret) {
			FZ_CHECK(c.error_index == ref.error_index && c.error_flags == ref.error_flags,
				 "error at %u/%#x, reference %u/%#x", c.error_index, c.error_flags,
				 ref.error_index, ref.error_flags);
		} else {
			FZ_CHECK(c.nr_segs == ref.nr_segs, "%u segments, reference %u",
				 c.nr_segs, ref.nr_segs);
			for (k = 0; k < c.nr_segs; k++)
				FZ_CHECK(c.segs[k].addr == ref_segs[k].addr &&
					 c.segs[k].len == ref_segs[k].len &&
					 c.segs[k].write == ref_segs[k].write, "segment %u differs", k);
		}
	}
	free(ref_segs);
	return 0;
}
