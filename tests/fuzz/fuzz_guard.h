/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Guarded allocations for the fuzz targets: the object ends (or, for
 * alignment, ends at most align - 1 bytes before) an inaccessible page, a
 * second inaccessible page sits in front, and every byte between them that
 * is not the object is poisoned for AddressSanitizer.
 * Any read or write outside [p, p + size) stops the run, however far it
 * strays, which malloc's redzones alone would not promise.
 */
#ifndef FUZZ_GUARD_H
#define FUZZ_GUARD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sanitizer/asan_interface.h>

struct fz_guarded {
	void *map;		/* the whole mapping, guard pages included */
	size_t map_len;
	size_t cap;		/* bytes between the guard pages */
	void *p;		/* the object */
	size_t size;
};

/* Smallest body of a guard: most inputs fit, so runs reuse one mapping. */
#define FZ_GUARD_MIN_CAP	(256u << 10)

static inline void fz_guard_free(struct fz_guarded *g)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	if (!g->map)
		return;
	ASAN_UNPOISON_MEMORY_REGION((uint8_t *)g->map + ps, g->cap);
	munmap(g->map, g->map_len);
	g->map = NULL;
}

/*
 * An object of @size bytes starting at a multiple of @align (a power of
 * two), kept across runs: the mapping is reused while the object fits,
 * only the object moves (so its end stays at the guard page) and the
 * poisoning follows it.  No system call and no page fault per run.
 */
static inline void *fz_guard_get(struct fz_guarded *g, size_t size, size_t align)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *body, *end, *p;

	if (!g->map || size + align - 1 > g->cap) {
		size_t cap = size + align - 1;

		fz_guard_free(g);
		if (cap < FZ_GUARD_MIN_CAP)
			cap = FZ_GUARD_MIN_CAP;
		cap = (cap + ps - 1) / ps * ps;
		g->map_len = cap + 2 * ps;
		g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (g->map == MAP_FAILED) {
			perror("fuzz: mmap");
			abort();
		}
		g->cap = cap;
		mprotect(g->map, ps, PROT_NONE);
		mprotect((uint8_t *)g->map + ps + cap, ps, PROT_NONE);
	}
	body = (uint8_t *)g->map + ps;
	end = body + g->cap;
	p = (uint8_t *)((uintptr_t)(end - size) & ~(uintptr_t)(align - 1));
	ASAN_POISON_MEMORY_REGION(body, (size_t)(p - body));
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	ASAN_POISON_MEMORY_REGION(p + size, (size_t)(end - (p + size)));
	g->p = p;
	g->size = size;
	return p;
}

/* True when [p, p + len) lies inside the object. */
static inline int fz_guard_contains(const struct fz_guarded *g, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)g->p;

	return a >= lo && a - lo <= g->size && len <= g->size - (a - lo);
}

/* Fuzz input consumed front to back; reads past the end give zeros. */
struct fz_input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline uint64_t fz_take(struct fz_input *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		uint64_t b = in->pos < in->size ? in->data[in->pos++] : 0;

		v |= b << (8 * i);
	}
	return v;
}

static inline void fz_take_bytes(struct fz_input *in, void *dst, size_t len)
{
	size_t have = in->pos < in->size ? in->size - in->pos : 0;
	size_t n = len < have ? len : have;

	memcpy(dst, in->data + in->pos, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->pos += n;
}

static inline int fz_left(const struct fz_input *in)
{
	return in->pos < in->size;
}

/* A broken invariant: say which, then crash so libFuzzer keeps the input. */
#define FZ_CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz: invariant broken: %s: ", #cond);	\
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
			abort();						\
		}								\
	} while (0)

#endif /* FUZZ_GUARD_H */
