/* SPDX-License-Identifier: MIT */
/*
 * System calls as the library uses them: each returns the result or
 * -errno, so errno never leaks into the API (liburing's
 * src/arch/generic/syscall.h does the same).
 */
#ifndef LIBVQCHAR_SYSCALL_H
#define LIBVQCHAR_SYSCALL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static inline int __sys_open(const char *path, int flags)
{
	int ret = open(path, flags);

	return ret < 0 ? -errno : ret;
}

static inline int __sys_close(int fd)
{
	int ret = close(fd);

	return ret < 0 ? -errno : 0;
}

static inline int __sys_dup_cloexec(int fd)
{
	int ret = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return ret < 0 ? -errno : ret;
}

static inline int __sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static inline void *__sys_mmap(void *addr, size_t len, int prot, int flags, int fd,
			       off_t off)
{
	void *ret = mmap(addr, len, prot, flags, fd, off);

	return ret == MAP_FAILED ? (void *)(intptr_t)-errno : ret;
}

static inline int __sys_munmap(void *addr, size_t len)
{
	int ret = munmap(addr, len);

	return ret < 0 ? -errno : 0;
}

static inline int __sys_eventfd(unsigned int flags)
{
	int ret = eventfd(0, flags);

	return ret < 0 ? -errno : ret;
}

static inline int __sys_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int ret = poll(fds, n, timeout);

	return ret < 0 ? -errno : ret;
}

/* Add 1 to an eventfd counter. */
static inline int __sys_eventfd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t ret = write(fd, &one, sizeof(one));

	if (ret < 0)
		return -errno;
	return ret == sizeof(one) ? 0 : -EIO;
}

/*
 * Reset an eventfd counter without blocking, whether or not the fd is
 * O_NONBLOCK (it may be the caller's own): read only when poll says so.
 */
static inline int __sys_eventfd_drain(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t val;
	ssize_t ret;

	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
		return 0;
	ret = read(fd, &val, sizeof(val));
	if (ret < 0)
		return errno == EAGAIN ? 0 : -errno;
	return 0;
}

#define IS_ERR_PTR(p)	((uintptr_t)(p) >= (uintptr_t)-4095)
#define PTR_ERR(p)	((int)(intptr_t)(p))

#endif /* LIBVQCHAR_SYSCALL_H */
