// SPDX-License-Identifier: GPL-2.0
/*
 * Memory shared with userspace: page arrays mapped into the kernel with
 * vmap() and into processes with vm_insert_pages(), as io_uring/memmap.c
 * does.  Each mapped page holds a reference, so a mapping outlives a
 * destroyed queue until it is unmapped (the file it holds keeps the other
 * queues alive meanwhile).
 */
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "queue.h"

/**
 * vqchar_mem_alloc() - allocate zeroed, page-aligned shared memory
 * @m: filled on success
 * @bytes: bytes needed, at least one; rounded up to a page
 * @kmap: map the pages into the kernel too (@m->vaddr); without it the
 *	kernel never touches their contents
 *
 * Everything is charged to the caller's memory cgroup.  A caller that is
 * being killed stops early, as vmalloc() does: a large pool is many pages.
 *
 * Return: 0, -EINVAL for a size out of range, -ENOMEM, or -EINTR when a
 * fatal signal is pending.
 */
int vqchar_mem_alloc(struct vqchar_mem *m, u64 bytes, bool kmap)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;
	unsigned long i, nr;
	int ret = -ENOMEM;

	memset(m, 0, sizeof(*m));
	if (!bytes || bytes > VQCHAR_MAX_REGION_BYTES)
		return -EINVAL;
	nr = DIV_ROUND_UP(bytes, PAGE_SIZE);

	m->pages = kvmalloc_array(nr, sizeof(*m->pages), GFP_KERNEL_ACCOUNT);
	if (!m->pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err;
		}
		m->pages[i] = alloc_page(gfp);
		if (!m->pages[i])
			goto err;
		cond_resched();
	}
	if (kmap) {
		m->vaddr = vmap(m->pages, nr, VM_MAP, PAGE_KERNEL);
		if (!m->vaddr)
			goto err;
	}
	m->nr_pages = nr;
	m->size = nr << PAGE_SHIFT;
	return 0;

err:
	while (i--)
		put_page(m->pages[i]);
	kvfree(m->pages);
	m->pages = NULL;
	return ret;
}

/**
 * vqchar_mem_free() - drop the kernel's hold on shared memory
 * @m: memory from vqchar_mem_alloc(), or zeroed
 *
 * Pages still mapped by a process are freed when it unmaps them.
 */
void vqchar_mem_free(struct vqchar_mem *m)
{
	unsigned long i;

	if (!m->pages)
		return;
	if (m->vaddr)
		vunmap(m->vaddr);
	for (i = 0; i < m->nr_pages; i++)
		put_page(m->pages[i]);
	kvfree(m->pages);
	memset(m, 0, sizeof(*m));
}

/**
 * vqchar_mem_mmap() - map part of a region into a vma
 * @m: the region
 * @vma: the mapping, its flags already checked and set by the caller
 * @first_page: the region's page the mapping starts at
 *
 * Return: 0, -EINVAL when the mapping reaches past the region, or the
 * error of vm_insert_pages().
 */
int vqchar_mem_mmap(const struct vqchar_mem *m, struct vm_area_struct *vma,
		    unsigned long first_page)
{
	unsigned long nr = vma_pages(vma);

	if (first_page >= m->nr_pages || nr > m->nr_pages - first_page)
		return -EINVAL;
	return vm_insert_pages(vma, vma->vm_start, m->pages + first_page, &nr);
}

/**
 * vqchar_mmap_offset() - the mmap offset of a region's first byte
 * @queue_id: the queue, below VQCHAR_MAX_QUEUES
 * @region: VQCHAR_REGION_RING or VQCHAR_REGION_POOL
 *
 * Return: the offset userspace passes to mmap().
 */
u64 vqchar_mmap_offset(u32 queue_id, u32 region)
{
	return ((u64)queue_id << VQCHAR_MMAP_QUEUE_SHIFT) |
	       ((u64)region << VQCHAR_MMAP_REGION_SHIFT);
}

/**
 * vqchar_mmap_decode() - split a vma's page offset
 * @pgoff: vma->vm_pgoff
 * @queue_id: the queue
 * @region: VQCHAR_REGION_*
 * @first_page: the page inside the region
 *
 * Return: 0, or -EINVAL for a queue id no queue can have.
 */
int vqchar_mmap_decode(unsigned long pgoff, u32 *queue_id, u32 *region,
		       unsigned long *first_page)
{
	const unsigned int region_shift = VQCHAR_MMAP_REGION_SHIFT - PAGE_SHIFT;
	const unsigned int queue_shift = VQCHAR_MMAP_QUEUE_SHIFT - PAGE_SHIFT;
	unsigned long id = pgoff >> queue_shift;

	if (id >= VQCHAR_MAX_QUEUES)
		return -EINVAL;
	*queue_id = id;
	*region = (pgoff >> region_shift) & 1;
	*first_page = pgoff & ((1UL << region_shift) - 1);
	return 0;
}
