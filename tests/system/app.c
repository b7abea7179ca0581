// SPDX-License-Identifier: MIT
/*
 * What a user of libvqchar-dev writes first: one chain through the kernel's
 * loopback device.  Built in the booted-system test with
 * cc app.c $(pkg-config --cflags --libs libvqchar); exit 0 when the bytes
 * came back.
 */
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <vqchar.h>

int main(void)
{
	struct vqchar_params p = {
		.backend = VQCHAR_BACKEND_KERNEL,
		.num = 8,
		.buf_count = 8,
		.buf_size = 64,
		.device = VQCHAR_DEV_LOOPBACK,
	};
	static const char msg[] = "hello from a packaged libvqchar";
	struct iovec out = { (void *)msg, sizeof(msg) }, in[2];
	struct vqchar_queue *q;
	uint32_t len;
	int ret, head;

	ret = vqchar_queue_create(&p, &q);
	if (ret) {
		fprintf(stderr, "app: vqchar_queue_create: %s\n", strerror(-ret));
		return 1;
	}
	head = vqchar_offer(q, &out, 1, 1, 0);
	if (head < 0) {
		fprintf(stderr, "app: vqchar_offer: %s\n", strerror(-head));
		return 1;
	}
	ret = vqchar_wait(q, 10000, &len);
	if (ret != head || len != sizeof(msg)) {
		fprintf(stderr, "app: vqchar_wait: %d (head %d), len %u\n", ret, head, len);
		return 1;
	}
	ret = vqchar_chain_in(q, head, in, 2);
	if (ret < 1 || in[0].iov_len != sizeof(msg) || memcmp(in[0].iov_base, msg, sizeof(msg))) {
		fprintf(stderr, "app: the loopback device returned other bytes\n");
		return 1;
	}
	vqchar_free(q, head);
	vqchar_queue_close(q);
	printf("app: %u bytes came back\n", len);
	return 0;
}
