/* SPDX-License-Identifier: MIT */
/*
 * The vqchar kernel ABI as <vqchar.h> includes it.  In the source tree it
 * is include/uapi/linux/vqchar.h; "make install" puts a copy of that file
 * here, as <vqchar/vqchar_uapi.h>, so it cannot collide with the system's
 * own <linux/...> headers (liburing installs liburing/io_uring.h the same
 * way).
 */
#include <linux/vqchar.h>
