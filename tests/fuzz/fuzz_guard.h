/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Guarded allocations for the fuzz targets: the object ends (or, for
 * alignment, ends at most 15 bytes before) an inaccessible page, a second
 * inaccessible page sits in front, and every byte of the two pages'
 * neighbourhood that is not the object is poisoned for AddressSanitizer.
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
	void *p;		/* the object */
	size_t size;
	size_t align;
};

/* An object of @size bytes starting at a multiple of @align (a power of two). */
static inline void *fz_guard_alloc(struct fz_guarded *g, size_t size, size_t align)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (size + align - 1 + ps - 1) / ps * ps;
	uint8_t *base, *end, *p;

	if (!body)
		body = ps;
	g->map_len = body + 2 * ps;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		perror("fuzz: mmap");
		abort();
	}
	base = g->map;
	end = base + ps + body;
	mprotect(base, ps, PROT_NONE);
	mprotect(end, ps, PROT_NONE);
	p = (uint8_t *)((uintptr_t)(end - size) & ~(uintptr_t)(align - 1));
	ASAN_POISON_MEMORY_REGION(base + ps, (size_t)(p - (base + ps)));
	ASAN_POISON_MEMORY_REGION(p + size, (size_t)(end - (p + size)));
	g->p = p;
	g->size = size;
	g->align = align;
	return p;
}

static inline void fz_guard_free(struct fz_guarded *g);

/*
 * fz_guard_alloc() for a guard kept across runs: the mapping is reused when
 * the size and alignment have not changed, which saves four system calls
 * per run for inputs that mutate the contents only.
 */
static inline void *fz_guard_get(struct fz_guarded *g, size_t size, size_t align)
{
	if (g->map && g->size == size && g->align == align)
		return g->p;
	fz_guard_free(g);
	return fz_guard_alloc(g, size, align);
}

static inline void fz_guard_free(struct fz_guarded *g)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	if (!g->map)
		return;
	ASAN_UNPOISON_MEMORY_REGION((uint8_t *)g->map + ps, g->map_len - 2 * ps);
	munmap(g->map, g->map_len);
	g->map = NULL;
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
