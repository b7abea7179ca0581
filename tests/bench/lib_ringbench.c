// SPDX-License-Identifier: MIT
/*
 * The library's equivalent of tools/virtio/ringtest's loop: a driver
 * thread offers one-buffer chains (batch at a time, one kick per batch)
 * and takes them back; a device thread pops, pushes and notifies once per
 * batch.  Anonymous backend, single-issuer queue.  Busy-polling by
 * default; --sleep waits on the eventfds instead (ringtest --sleep).
 * Prints the wall time in seconds for --run-cycles chains.
 *
 *   lib_ringbench [--run-cycles N] [--batch B] [--ring-size R] [--sleep] [--event-idx]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <vqchar.h>

static long cycles = 10000000;
static unsigned int batch = 1, ring = 256;
static int do_sleep, event_idx;
static atomic_int stop;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *device(void *arg)
{
	struct vqchar_queue *q = arg;
	struct vqchar_dev_chain c;
	struct iovec iov[2];

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned int n = 0;

		while (n < batch && vqchar_dev_pop(q, &c, iov, 2) == 1) {
			vqchar_dev_push(q, c.head, 0);
			n++;
		}
		if (n) {
			vqchar_dev_notify(q);
			continue;
		}
		if (do_sleep) {
			int ret = vqchar_dev_wait(q, 100);

			if (ret < 0 && ret != -ETIMEDOUT)
				break;
			vqchar_dev_disable_kicks(q);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct vqchar_params p;
	struct vqchar_queue *q;
	struct vqchar_used used[64];
	struct vqchar_stats st;
	long offered = 0, done = 0;
	pthread_t tid;
	double t0, t1;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--run-cycles") && i + 1 < argc)
			cycles = atol(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ring-size") && i + 1 < argc)
			ring = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sleep"))
			do_sleep = 1;
		else if (!strcmp(argv[i], "--event-idx"))
			event_idx = 1;
		else {
			fprintf(stderr, "usage: %s [--run-cycles N] [--batch B] [--ring-size R] "
				"[--sleep] [--event-idx]\n", argv[0]);
			return 2;
		}
	}
	if (batch < 1 || batch > 64)
		batch = batch < 1 ? 1 : 64;
	memset(&p, 0, sizeof(p));
	p.backend = VQCHAR_BACKEND_ANON;
	p.num = ring;
	p.buf_count = ring;
	p.buf_size = 64;
	p.features = event_idx ? VQCHAR_F_EVENT_IDX : 0;
	p.flags = VQCHAR_PARAMS_SINGLE_ISSUER;
	if (vqchar_queue_create(&p, &q)) {
		fprintf(stderr, "lib_ringbench: cannot create the queue\n");
		return 1;
	}
	if (!do_sleep) {
		vqchar_disable_calls(q);
		vqchar_dev_disable_kicks(q);
	}
	pthread_create(&tid, NULL, device, q);
	t0 = now();
	while (done < cycles) {
		unsigned int k = 0;
		int n;

		while (k < batch && offered < cycles &&
		       vqchar_offer(q, NULL, 0, 1, VQCHAR_OFFER_NO_KICK) >= 0) {
			offered++;
			k++;
		}
		if (k)
			vqchar_kick(q);
		n = vqchar_take_batch(q, used, 64);
		if (n < 0)
			break;
		for (i = 0; i < n; i++)
			vqchar_free(q, used[i].head);
		done += n;
		if (!n && !k && do_sleep && vqchar_wait_used(q, 1000) < 0)
			break;
	}
	t1 = now();
	atomic_store(&stop, 1);
	vqchar_queue_shutdown(q);	/* wakes the device thread's wait */
	pthread_join(tid, NULL);
	vqchar_get_stats(q, &st);
	printf("%.6f %.6f\n", t1 - t0, done ? (double)st.dev_calls / (double)done : 0.0);
	vqchar_queue_close(q);
	return done == cycles ? 0 : 1;
}
