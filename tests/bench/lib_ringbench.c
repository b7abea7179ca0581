// SPDX-License-Identifier: MIT
/*
 * The library's equivalent of tools/virtio/ringtest's loop: a driver
 * offers one-buffer chains (batch at a time, one kick per batch) and
 * takes them back.  Single-issuer queue.  Busy-polling by default;
 * --sleep waits on the eventfds instead (ringtest --sleep).
 *
 * Two memory backends, one driver loop:
 *   anonymous (default)  a device thread of this program pops, pushes and
 *                        notifies once per batch;
 *   --kernel             the module's in-kernel loopback device on a
 *                        /dev/vqchar queue (each chain: --size readable
 *                        bytes and one writable buffer), optionally
 *                        polling the available ring (--poll-usecs).
 *
 * Other modes:
 *   --rtt                one chain in flight: offer, kick, wait, take
 *   --pingpong           no queue: two threads bounce an eventfd signal
 *   --driver-cpu, --device-cpu  pin the two threads (ringtest's
 *                        --guest-affinity, --host-affinity); the kernel
 *                        backend's device is the module's worker, unpinned
 *   --time CMD [ARG]...  run CMD, print its wall time (process start and
 *                        exit included) and its standard output, so that
 *                        this program and ringtest are timed alike
 *
 * Prints one JSON object.
 *
 *   lib_ringbench [--run-cycles N] [--batch B] [--ring-size R] [--sleep]
 *                 [--event-idx] [--kernel [--size BYTES] [--poll-usecs N]]
 *                 [--rtt | --pingpong] [--driver-cpu CPU] [--device-cpu CPU]
 *   lib_ringbench --time CMD [ARG]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <vqchar.h>

static long cycles = 10000000;
static unsigned int batch = 1, ring = 256, size = 16, poll_usecs;
static int do_sleep, event_idx, kernel, rtt, pingpong;
static int driver_cpu = -1, device_cpu = -1;
static atomic_int stop;

/* ringtest's --guest-affinity / --host-affinity: pin the calling thread. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "lib_ringbench: cannot pin a thread to CPU %d\n", cpu);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The anonymous backend's device: ringtest's host thread. */
static void *device(void *arg)
{
	struct vqchar_queue *q = arg;
	struct vqchar_dev_chain c;
	struct iovec iov[2];

	pin(device_cpu);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned int n = 0;

		/*
		 * As ringtest's device: busy, it takes all there is and never
		 * signals; notified, it signals once per batch.
		 */
		while ((!do_sleep || n < batch) && vqchar_dev_pop(q, &c, iov, 2) == 1) {
			vqchar_dev_push(q, c.head, 0);
			n++;
		}
		if (n) {
			if (do_sleep)
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

/*
 * The driver loop, the same for both backends: keep up to @batch chains
 * offered per kick, take what came back; with --sleep, wait for a call
 * when nothing moved.  --rtt is the same loop with one chain in flight.
 */
static long drive(struct vqchar_queue *q, const struct iovec *out, unsigned int out_cnt,
		  unsigned int in_bufs)
{
	struct vqchar_used used[64];
	long offered = 0, done = 0;
	int i;

	while (done < cycles) {
		unsigned int k = 0;
		int n;

		while (k < batch && offered < cycles && (!rtt || offered == done) &&
		       vqchar_offer(q, out, out_cnt, in_bufs, VQCHAR_OFFER_NO_KICK) >= 0) {
			offered++;
			k++;
		}
		/*
		 * ringtest busy-polls without kicking; so does the anonymous
		 * device here.  A polling kernel worker can still fall asleep:
		 * the library skips the kick while it asks not to be kicked.
		 */
		if (k && (do_sleep || kernel))
			vqchar_kick(q);
		n = vqchar_take_batch(q, used, 64);
		if (n < 0)
			break;
		for (i = 0; i < n; i++)
			vqchar_free(q, used[i].head);
		done += n;
		if (!n && (rtt || !k) && do_sleep && vqchar_wait_used(q, 5000) < 0)
			break;
	}
	return done;
}

static void *pong(void *arg)
{
	int *fd = arg;
	uint64_t v;
	long i;

	pin(device_cpu);
	for (i = 0; i < cycles; i++) {
		if (read(fd[0], &v, sizeof(v)) != sizeof(v) ||
		    write(fd[1], &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

/* Two threads, two eventfds: the round trip every notified ring pays. */
static int run_pingpong(void)
{
	int fd[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
	uint64_t v = 1;
	pthread_t tid;
	double t0, t1;
	long i;

	if (fd[0] < 0 || fd[1] < 0) {
		perror("lib_ringbench: eventfd");
		return 1;
	}
	pin(driver_cpu);
	pthread_create(&tid, NULL, pong, fd);
	t0 = now();
	for (i = 0; i < cycles; i++) {
		if (write(fd[0], &v, sizeof(v)) != sizeof(v) ||
		    read(fd[1], &v, sizeof(v)) != sizeof(v))
			break;
	}
	t1 = now();
	pthread_join(tid, NULL);
	printf("{\"mode\":\"pingpong\",\"chains\":%ld,\"seconds\":%.6f,\"ns_per_chain\":%.1f}\n",
	       i, t1 - t0, i ? (t1 - t0) * 1e9 / (double)i : 0.0);
	return i == cycles ? 0 : 1;
}

/* --time: fork, exec, wait; the child's output is passed through. */
static int run_timed(char **argv)
{
	char out[4096];
	size_t len = 0;
	ssize_t r;
	int pfd[2], status = 0;
	double t0, t1;
	pid_t pid;

	if (pipe(pfd)) {
		perror("lib_ringbench: pipe");
		return 1;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("lib_ringbench: fork");
		return 1;
	}
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	close(pfd[1]);
	while ((r = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0 ||
	       (r < 0 && errno == EINTR))
		len += r > 0 ? (size_t)r : 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	t1 = now();
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		len--;
	out[len] = 0;
	printf("{\"wall\":%.6f,\"status\":%d,\"out\":%s}\n", t1 - t0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       len && out[0] == '{' && !strchr(out, '\n') ? out : "null");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--run-cycles N] [--batch B] [--ring-size R] [--sleep] "
		"[--event-idx]\n"
		"       [--kernel [--size BYTES] [--poll-usecs N]] [--rtt | --pingpong]\n"
		"       [--driver-cpu CPU] [--device-cpu CPU]\n"
		"       %s --time CMD [ARG]...\n", prog, prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct vqchar_params p;
	struct vqchar_queue *q;
	struct vqchar_stats st;
	struct vqchar_queue_stats ks;
	struct iovec out = { 0 };
	char *payload = NULL;
	pthread_t tid;
	double t0, t1;
	long done;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--time") && i + 1 < argc)
			return run_timed(argv + i + 1);
		else if (!strcmp(argv[i], "--run-cycles") && i + 1 < argc)
			cycles = atol(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ring-size") && i + 1 < argc)
			ring = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--poll-usecs") && i + 1 < argc)
			poll_usecs = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--driver-cpu") && i + 1 < argc)
			driver_cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--device-cpu") && i + 1 < argc)
			device_cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--sleep"))
			do_sleep = 1;
		else if (!strcmp(argv[i], "--event-idx"))
			event_idx = 1;
		else if (!strcmp(argv[i], "--kernel"))
			kernel = 1;
		else if (!strcmp(argv[i], "--rtt"))
			rtt = 1;
		else if (!strcmp(argv[i], "--pingpong"))
			pingpong = 1;
		else
			return usage(argv[0]);
	}
	if (cycles < 1 || size < 1 || (poll_usecs && !kernel))
		return usage(argv[0]);
	if (pingpong)
		return run_pingpong();
	if (batch < 1 || batch > 64)
		batch = batch < 1 ? 1 : 64;
	memset(&p, 0, sizeof(p));
	p.num = ring;
	p.features = event_idx ? VQCHAR_F_EVENT_IDX : 0;
	p.flags = VQCHAR_PARAMS_SINGLE_ISSUER;
	if (kernel) {
		payload = calloc(1, size);
		if (!payload)
			return 1;
		out.iov_base = payload;
		out.iov_len = size;
		p.backend = VQCHAR_BACKEND_KERNEL;
		p.device = VQCHAR_DEV_LOOPBACK;
		p.buf_count = 2 * ring;
		p.buf_size = size;
		p.poll_usecs = poll_usecs;
	} else {
		p.backend = VQCHAR_BACKEND_ANON;
		p.buf_count = ring;
		p.buf_size = 64;
	}
	ret = vqchar_queue_create(&p, &q);
	if (ret) {
		fprintf(stderr, "lib_ringbench: cannot create the queue: %s\n", strerror(-ret));
		return 1;
	}
	if (!do_sleep) {
		vqchar_disable_calls(q);
		if (!kernel)
			vqchar_dev_disable_kicks(q);
	}
	pin(driver_cpu);
	if (!kernel)
		pthread_create(&tid, NULL, device, q);
	t0 = now();
	done = kernel ? drive(q, &out, 1, 1) : drive(q, NULL, 0, 1);
	t1 = now();
	if (!kernel) {
		atomic_store(&stop, 1);
		vqchar_queue_shutdown(q);	/* wakes the device thread's wait */
		pthread_join(tid, NULL);
	}
	vqchar_get_stats(q, &st);
	memset(&ks, 0, sizeof(ks));
	if (kernel)
		vqchar_queue_kstats(q, &ks);
	printf("{\"mode\":\"%s\",\"backend\":\"%s\",\"chains\":%ld,\"batch\":%u,\"sleep\":%s,"
	       "\"event_idx\":%s,\"poll_usecs\":%u,\"seconds\":%.6f,\"ns_per_chain\":%.1f,"
	       "\"kicks_sent\":%llu,\"kicks\":%llu,\"calls\":%llu}\n",
	       rtt ? "rtt" : "ring", kernel ? "kernel" : "anon", done, batch,
	       do_sleep ? "true" : "false", event_idx ? "true" : "false", poll_usecs, t1 - t0,
	       done ? (t1 - t0) * 1e9 / (double)done : 0.0, (unsigned long long)st.kicks,
	       (unsigned long long)(kernel ? ks.kicks : st.kicks),
	       (unsigned long long)(kernel ? ks.calls : st.dev_calls));
	vqchar_queue_close(q);
	free(payload);
	return done == cycles ? 0 : 1;
}
