// SPDX-License-Identifier: MIT
/*
 * vqctl: drive the vqchar module's in-kernel test devices from the shell.
 *
 *	vqctl run --device loopback|sink|source [options]
 *	vqctl info [--json]
 *	vqctl help
 *
 * "run" creates one /dev/vqchar queue with libvqchar, keeps its ring full
 * with chains offered in batches, checks every chain the device hands back
 * and reports rates and the kernel's notification counters.  See
 * vqctl_help() for the manual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <vqchar.h>
#include "vqctl_net.h"

#define VQCTL_DEV		"/dev/vqchar"
#define VQCTL_WAIT_MS		5000	/* no used chain for this long: stalled */
#define VQCTL_MAX_SIZE		(1U << 20)
#define VQCTL_BIG_BUF		65536	/* buffer size for chains above it */
#define VQCTL_MAX_REPORTS	5	/* verification failures printed */
#define VQCTL_MAX_BATCH		1024	/* chains per vqctl_offer() */

/* Exit statuses (EXIT STATUS in the manual). */
#define VQCTL_EXIT_OK		0
#define VQCTL_EXIT_VERIFY	1
#define VQCTL_EXIT_USAGE	2
#define VQCTL_EXIT_ENV		3

static const char *const vqctl_dev_names[] = {
	[VQCHAR_DEV_EXTERNAL] = "external",
	[VQCHAR_DEV_LOOPBACK] = "loopback",
	[VQCHAR_DEV_SINK] = "sink",
	[VQCHAR_DEV_SOURCE] = "source",
};

static const char *const vqctl_err_names[] = {
	[VQCHAR_ERR_NONE] = "none",
	[VQCHAR_ERR_AVAIL_IDX] = "available index ran more than a ring ahead",
	[VQCHAR_ERR_HEAD_INDEX] = "available ring entry out of range",
	[VQCHAR_ERR_DESC_INDEX] = "descriptor next index out of range",
	[VQCHAR_ERR_CHAIN_LOOP] = "descriptor chain loops",
	[VQCHAR_ERR_DESC_BOUNDS] = "descriptor outside the pool",
	[VQCHAR_ERR_RW_ORDER] = "readable descriptor after a writable one",
	[VQCHAR_ERR_INDIRECT_FEATURE] = "indirect descriptor without the feature",
	[VQCHAR_ERR_INDIRECT_LEN] = "bad indirect table length",
	[VQCHAR_ERR_INDIRECT_BOUNDS] = "indirect table outside the pool",
	[VQCHAR_ERR_INDIRECT_NESTED] = "nested indirect table",
	[VQCHAR_ERR_INDIRECT_NEXT] = "indirect descriptor with NEXT",
	[VQCHAR_ERR_CHAIN_TOO_LONG] = "chain longer than the device takes",
};

static void vqctl_help(FILE *f)
{
	fputs(
"NAME\n"
"    vqctl - exercise the vqchar module's in-kernel virtqueue devices\n"
"\n"
"SYNOPSIS\n"
"    vqctl run --device loopback|sink|source [--num N] [--chains N] [--size BYTES]\n"
"              [--batch N] [--event-idx] [--indirect] [--poll-usecs N] [--json]\n"
"              [--quiet]\n"
"    vqctl info [--json]\n"
"    vqctl net tx|rx [options]   (vqctl net --help)\n"
"    vqctl help | --help\n"
"\n"
"DESCRIPTION\n"
"    vqctl creates a virtio split virtqueue in /dev/vqchar through libvqchar,\n"
"    attaches one of the module's test devices to it and plays the driver.\n"
"\n"
"    run   Offers --chains chains in batches of --batch, keeping the ring full,\n"
"          and checks every chain the device returns:\n"
"            loopback  each chain carries --size readable bytes and as many\n"
"                      writable ones; the device copies one into the other and\n"
"                      the copy must match byte for byte (the first 8 bytes\n"
"                      hold the chain's number, the rest a fixed pattern);\n"
"            sink      each chain carries --size readable bytes; the device\n"
"                      consumes them and must report 0 bytes written;\n"
"            source    each chain carries writable buffers of at least --size\n"
"                      bytes; the device fills all of them with\n"
"                      VQCHAR_SOURCE_BYTE(seq, i) = (seq * 31 + i) & 0xff.\n"
"          Then it prints chains/s, bytes/s and the kernel's counters for the\n"
"          queue (VQCHAR_IOC_QUEUE_STATS): kicks received, calls sent, calls\n"
"          suppressed and errors, with the kicks the driver side sent and the\n"
"          ones the device suppressed.  On a terminal, runs longer than a\n"
"          second show a progress line on standard error.\n"
"\n"
"    info  Prints what the loaded module offers (VQCHAR_IOC_GET_VERSION):\n"
"          API version, ring features and limits.\n"
"\n"
"OPTIONS\n"
"    --device NAME  loopback, sink or source (required for run)\n"
"    --num N        ring size, a power of two up to 32768 (default 256)\n"
"    --chains N     chains to push through the device (default 10000)\n"
"    --size BYTES   payload bytes per chain, 1 to 1M; k and M suffixes\n"
"                   are accepted (default 1024)\n"
"    --batch N      chains per offer, with one kick each (default 32, at\n"
"                   most --num)\n"
"    --event-idx    negotiate VIRTIO_RING_F_EVENT_IDX on the ring\n"
"    --indirect     negotiate VIRTIO_RING_F_INDIRECT_DESC and put every\n"
"                   chain in an indirect table\n"
"    --poll-usecs N the device polls the available ring for N microseconds\n"
"                   after it runs dry before it sleeps, so a busy driver\n"
"                   needs no kicks (at most the module's max_poll_usecs;\n"
"                   default 0: sleep at once)\n"
"    --json         print one JSON object instead of text\n"
"    --quiet        print nothing but errors\n"
"    -h, --help     print this manual\n"
"\n"
"ENVIRONMENT\n"
"    VQCTL_TEST_CORRUPT=SEQ:BYTE  flip byte BYTE of chain SEQ's returned data\n"
"                   (loopback, source) before checking it: a test of the\n"
"                   verification, which must then fail with exit status 1\n"
"\n"
"EXIT STATUS\n"
"    0  success: every chain came back as expected\n"
"    1  verification failure: wrong data or length, the queue broke, or the\n"
"       device stopped returning chains\n"
"    2  usage error: unknown command or option, bad value\n"
"    3  vqctl could not run: /dev/vqchar missing or not accessible, or the\n"
"       module refused the queue\n"
"\n"
"EXAMPLES\n"
"    vqctl info\n"
"    vqctl run --device loopback --chains 100000 --size 4k\n"
"    vqctl run --device source --event-idx --json\n"
"    vqctl run --device sink --size 64 --batch 1 --quiet && echo ok\n",
	      f);
}

static void vqctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void vqctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vqctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: vqctl run --device loopback|sink|source [--num N] [--chains N]\n"
	      "                 [--size BYTES] [--batch N] [--event-idx] [--indirect]\n"
	      "                 [--poll-usecs N] [--json] [--quiet]\n"
	      "       vqctl info [--json]\n"
	      "Try 'vqctl --help' for the manual.\n", stderr);
}

/* Explain why /dev/vqchar could not be used, and what to do about it. */
static void vqctl_dev_error(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		fprintf(stderr, "vqctl: %s not found: the vqchar module is not loaded.\n"
			"Load it with: sudo insmod vqchar.ko\n", VQCTL_DEV);
		break;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, "vqctl: %s: permission denied.\n"
			"Run vqctl as root, or give your user access: load the module with\n"
			"'insmod vqchar.ko mode=0666', or install a udev rule such as\n"
			"SUBSYSTEM==\"misc\", KERNEL==\"vqchar\", GROUP=\"<group>\", MODE=\"0660\".\n",
			VQCTL_DEV);
		break;
	default:
		fprintf(stderr, "vqctl: cannot use %s: %s\n", VQCTL_DEV, strerror(-err));
		break;
	}
}

static int vqctl_open_dev(struct vqchar_version *v)
{
	int fd = open(VQCTL_DEV, O_RDWR | O_CLOEXEC), err;

	if (fd < 0) {
		err = -errno;
		vqctl_dev_error(err);
		return err;
	}
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	if (ioctl(fd, VQCHAR_IOC_GET_VERSION, v) < 0) {
		err = -errno;
		fprintf(stderr, "vqctl: %s does not answer VQCHAR_IOC_GET_VERSION (%s): "
			"is it really the vqchar module?\n", VQCTL_DEV, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static bool vqctl_parse_u64(const char *s, uint64_t max, bool suffix, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if (suffix && (*end == 'k' || *end == 'K')) {
		v <<= 10;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		v <<= 20;
		end++;
	}
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

static double vqctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- vqctl info ---- */

static int vqctl_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vqchar_version v;
	bool json = false;
	int c, fd;
	uint32_t d;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			vqctl_help(stdout);
			return VQCTL_EXIT_OK;
		default:
			vqctl_usage_error("info: unknown option '%s'", argv[optind - 1]);
			return VQCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vqctl_usage_error("info: unexpected argument '%s'", argv[optind]);
		return VQCTL_EXIT_USAGE;
	}
	fd = vqctl_open_dev(&v);
	if (fd < 0)
		return VQCTL_EXIT_ENV;
	close(fd);

	if (json) {
		printf("{\"api_version\":%u,\"features\":%" PRIu64
		       ",\"indirect_desc\":%s,\"event_idx\":%s,\"max_queues\":%u"
		       ",\"max_pool_bytes\":%" PRIu64 ",\"max_ring_size\":%u,\"max_device\":%u}\n",
		       v.api_version, (uint64_t)v.features,
		       v.features & VQCHAR_F_INDIRECT_DESC ? "true" : "false",
		       v.features & VQCHAR_F_EVENT_IDX ? "true" : "false",
		       v.max_queues, (uint64_t)v.max_pool_bytes, v.max_ring_size, v.max_device);
		return VQCTL_EXIT_OK;
	}
	printf("vqchar module at %s\n", VQCTL_DEV);
	printf("  API version:        %u (vqctl was built for %u)\n", v.api_version,
	       VQCHAR_API_VERSION);
	printf("  ring features:      0x%" PRIx64 "%s%s\n", (uint64_t)v.features,
	       v.features & VQCHAR_F_INDIRECT_DESC ? " indirect-descriptors" : "",
	       v.features & VQCHAR_F_EVENT_IDX ? " event-index" : "");
	printf("  queues per open:    %u\n", v.max_queues);
	printf("  pool per queue:     %" PRIu64 " bytes (%.1f MiB)\n", (uint64_t)v.max_pool_bytes,
	       (double)v.max_pool_bytes / (1 << 20));
	printf("  largest ring:       %u entries\n", v.max_ring_size);
	printf("  devices:           ");
	for (d = 0; d <= v.max_device; d++)
		printf(" %s", d < sizeof(vqctl_dev_names) / sizeof(vqctl_dev_names[0]) ?
		       vqctl_dev_names[d] : "(unknown)");
	printf("\n");
	return VQCTL_EXIT_OK;
}

/* ---- vqctl run ---- */

struct vqctl_run {
	/* options */
	uint32_t device;
	uint32_t num;
	uint64_t chains;
	uint32_t size;
	uint32_t batch;
	bool event_idx;
	bool indirect;
	bool json;
	bool quiet;
	uint32_t poll_usecs;
	/* VQCTL_TEST_CORRUPT: flip byte corrupt_byte of chain corrupt_seq */
	bool corrupt;
	uint64_t corrupt_seq;
	uint64_t corrupt_byte;

	/* shape of one chain */
	uint32_t buf_size;
	uint32_t out_bufs;
	uint32_t in_bufs;

	struct vqchar_queue *q;
	uint64_t *head_seq;	/* [num]: chain number of each head in flight */
	uint8_t *scratch;	/* [batch][size]: data being offered */
	/*
	 * What a chain must hold, compared with memcmp(): loopback and sink,
	 * the body every chain carries after its 8-byte number ([size]);
	 * source, 256 + capacity bytes of k & 0xff, chain seq's data
	 * starting at (seq * 31) & 0xff.
	 */
	uint8_t *expect;
	uint64_t waits;		/* vqchar_wait_used() calls */
	uint64_t offered;
	uint64_t completed;
	uint64_t verified;
	uint64_t failures;
	uint64_t bytes;
	bool progress_shown;
	bool tty;		/* draw progress: decided once, not per pump iteration */
};

#define VQCTL_SEQ_BYTES	8	/* a loopback/sink chain starts with its number */

/* Byte @i of every loopback/sink chain's body (not periodic, so a shift shows). */
static uint8_t vqctl_body(uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 8) + 1);
}

/* Byte @i of chain @seq: the slow form of what the checks compare, for reports. */
static uint8_t vqctl_expected(const struct vqctl_run *r, uint64_t seq, uint64_t i)
{
	if (r->device == VQCHAR_DEV_SOURCE)
		return VQCHAR_SOURCE_BYTE((uint32_t)seq, (uint32_t)i);
	if (i < VQCTL_SEQ_BYTES)
		return (uint8_t)(seq >> (8 * i));
	return vqctl_body(i);
}

/* Fill the pattern buffers once; offers and checks then only copy and compare. */
static int vqctl_patterns(struct vqctl_run *r)
{
	uint64_t cap = (uint64_t)r->in_bufs * r->buf_size, i;
	uint32_t k;

	if (r->device == VQCHAR_DEV_SOURCE) {
		r->expect = malloc(cap + 256);
		if (!r->expect)
			return -ENOMEM;
		for (i = 0; i < cap + 256; i++)
			r->expect[i] = (uint8_t)i;
		return 0;
	}
	r->expect = malloc(r->size);
	r->scratch = malloc((size_t)r->batch * r->size);
	if (!r->expect || !r->scratch)
		return -ENOMEM;
	for (i = 0; i < r->size; i++)
		r->expect[i] = vqctl_body(i);
	for (k = 0; k < r->batch; k++)
		memcpy(r->scratch + (size_t)k * r->size, r->expect, r->size);
	return 0;
}

/* Compare @len bytes at @p with chain @seq's bytes from @pos; 0 when equal. */
static int vqctl_cmp(const struct vqctl_run *r, uint64_t seq, uint64_t pos, const uint8_t *p,
		     size_t len)
{
	if (r->device == VQCHAR_DEV_SOURCE)
		return memcmp(p, r->expect + ((seq * 31) & 0xff) + pos, len);
	while (len && pos < VQCTL_SEQ_BYTES) {
		if (*p != (uint8_t)(seq >> (8 * pos)))
			return 1;
		p++, pos++, len--;
	}
	return memcmp(p, r->expect + pos, len);
}

static void vqctl_fail(struct vqctl_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vqctl_fail(struct vqctl_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failures++ >= VQCTL_MAX_REPORTS)
		return;
	fputs("vqctl: verification failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (r->failures == VQCTL_MAX_REPORTS)
		fputs("vqctl: (further failures are counted, not printed)\n", stderr);
}

/* The VQCTL_TEST_CORRUPT hook: flip one byte of the chain's data. */
static void vqctl_corrupt(struct vqctl_run *r, struct iovec *iov, int n)
{
	uint64_t at = r->corrupt_byte;
	int i;

	for (i = 0; i < n; i++) {
		if (at < iov[i].iov_len) {
			((uint8_t *)iov[i].iov_base)[at] ^= 0x20;
			return;
		}
		at -= iov[i].iov_len;
	}
}

/* Check one used chain against what its device must have done. */
static void vqctl_verify(struct vqctl_run *r, unsigned int head, uint32_t len)
{
	struct iovec iov[64];	/* in segments: at most 1M / VQCTL_BIG_BUF */
	uint64_t seq = r->head_seq[head], pos = 0;
	uint64_t cap = (uint64_t)r->in_bufs * r->buf_size;
	int n, i;

	switch (r->device) {
	case VQCHAR_DEV_SINK:
		if (len) {
			vqctl_fail(r, "chain %" PRIu64 ": the sink reported %u bytes written, 0 expected",
				   seq, len);
			return;
		}
		r->bytes += r->size;
		r->verified++;
		return;
	case VQCHAR_DEV_LOOPBACK:
		if (len != r->size) {
			vqctl_fail(r, "chain %" PRIu64 ": loopback echoed %u bytes, %u expected",
				   seq, len, r->size);
			return;
		}
		break;
	case VQCHAR_DEV_SOURCE:
		if (len != cap) {
			vqctl_fail(r, "chain %" PRIu64 ": source wrote %u bytes into %" PRIu64
				   " writable bytes", seq, len, cap);
			return;
		}
		break;
	}

	/* One look at the chain's in buffers, then a memcmp() per segment. */
	n = vqchar_chain_in(r->q, head, iov, sizeof(iov) / sizeof(iov[0]));
	if (n < 0 || n > (int)(sizeof(iov) / sizeof(iov[0]))) {
		vqctl_fail(r, "chain %" PRIu64 ": cannot read its buffers (%s)", seq,
			   n < 0 ? strerror(-n) : "too many segments");
		return;
	}
	if (r->corrupt && seq == r->corrupt_seq)
		vqctl_corrupt(r, iov, n);
	for (i = 0; i < n; pos += iov[i].iov_len, i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t j;

		if (!vqctl_cmp(r, seq, pos, p, iov[i].iov_len))
			continue;
		/* Wrong somewhere: find the first bad byte for the report. */
		for (j = 0; j < iov[i].iov_len; j++) {
			uint8_t want = vqctl_expected(r, seq, pos + j);

			if (p[j] != want) {
				vqctl_fail(r, "chain %" PRIu64 ": byte %" PRIu64
					   " is 0x%02x, 0x%02x expected (%s)", seq, pos + j,
					   p[j], want, r->device == VQCHAR_DEV_SOURCE ?
					   "source pattern" : "the data sent");
				return;
			}
		}
	}
	if (pos != len) {
		vqctl_fail(r, "chain %" PRIu64 ": %" PRIu64 " bytes in its buffers, %u reported",
			   seq, pos, len);
		return;
	}
	r->bytes += len;
	r->verified++;
}

/* Offer up to one batch; returns chains offered (0 when full) or -errno. */
static int vqctl_offer(struct vqctl_run *r)
{
	struct vqchar_chain_req reqs[VQCTL_MAX_BATCH];
	struct iovec iov[sizeof(reqs) / sizeof(reqs[0])];
	unsigned int heads[sizeof(reqs) / sizeof(reqs[0])];
	uint64_t k = r->chains - r->offered;
	unsigned int flags = r->indirect ? VQCHAR_OFFER_INDIRECT : 0;
	int ret, i;

	if (k > r->batch)
		k = r->batch;
	for (i = 0; i < (int)k; i++) {
		reqs[i].in_bufs = r->in_bufs;
		reqs[i].out = NULL;
		reqs[i].out_cnt = 0;
		if (r->device != VQCHAR_DEV_SOURCE) {
			uint8_t *p = r->scratch + (size_t)i * r->size;
			uint64_t seq = r->offered + i, j;

			/* The body is in place since vqctl_patterns(): the number only. */
			for (j = 0; j < VQCTL_SEQ_BYTES && j < r->size; j++)
				p[j] = (uint8_t)(seq >> (8 * j));
			iov[i].iov_base = p;
			iov[i].iov_len = r->size;
			reqs[i].out = &iov[i];
			reqs[i].out_cnt = 1;
		}
	}
	ret = vqchar_offer_batch(r->q, reqs, (unsigned int)k, heads, flags);
	if (ret == -ENOSPC)
		return 0;
	if (ret < 0)
		return ret;
	for (i = 0; i < ret; i++)
		r->head_seq[heads[i]] = r->offered + i;
	r->offered += (uint64_t)ret;
	return ret;
}

/* Take and check what the device returned; returns chains taken or -errno. */
static int vqctl_complete(struct vqctl_run *r)
{
	struct vqchar_used used[64];
	int n, i, ret;

	n = vqchar_take_batch(r->q, used, 64);
	if (n <= 0)
		return n;
	for (i = 0; i < n; i++) {
		vqctl_verify(r, used[i].head, used[i].len);
		ret = vqchar_free(r->q, used[i].head);
		if (ret)
			return ret;
	}
	r->completed += (uint64_t)n;
	return n;
}

static void vqctl_progress(struct vqctl_run *r, double start, double *last, bool done)
{
	double now = vqctl_now();

	if (!r->tty)
		return;
	if (done) {
		if (r->progress_shown)
			fputs("\r\033[K", stderr);
		return;
	}
	if (now - start < 1.0 || now - *last < 0.25)
		return;
	*last = now;
	r->progress_shown = true;
	fprintf(stderr, "\rvqctl: %s: %" PRIu64 "/%" PRIu64 " chains (%.0f%%), %.0f chains/s",
		vqctl_dev_names[r->device], r->completed, r->chains,
		100.0 * (double)r->completed / (double)r->chains,
		(double)r->completed / (now - start));
}

/* The queue broke: say why, from the kernel's status. */
static void vqctl_broken(struct vqctl_run *r)
{
	struct vqchar_queue_status s;

	memset(&s, 0, sizeof(s));
	if (!vqchar_queue_kstatus(r->q, &s) && (s.status & VQCHAR_STATUS_BROKEN)) {
		fprintf(stderr, "vqctl: the kernel marked the queue broken: %s (error %u, index %u)\n",
			s.error < sizeof(vqctl_err_names) / sizeof(vqctl_err_names[0]) ?
			vqctl_err_names[s.error] : "unknown", s.error, s.error_index);
		return;
	}
	fprintf(stderr, "vqctl: the device returned a used entry that matches no chain in flight: "
		"the queue is broken\n");
}

static int vqctl_pump(struct vqctl_run *r)
{
	double start = vqctl_now(), last = 0;
	int ret;

	while (r->completed < r->chains) {
		int progress = 0;

		if (r->offered < r->chains) {
			ret = vqctl_offer(r);
			if (ret == -EIO) {
				vqctl_broken(r);
				return VQCTL_EXIT_VERIFY;
			}
			if (ret < 0) {
				fprintf(stderr, "vqctl: offering chains failed: %s\n", strerror(-ret));
				return VQCTL_EXIT_VERIFY;
			}
			progress |= ret > 0;
		}
		ret = vqctl_complete(r);
		if (ret < 0) {
			if (ret == -EIO)
				vqctl_broken(r);
			else
				fprintf(stderr, "vqctl: taking used chains failed: %s\n",
					strerror(-ret));
			return VQCTL_EXIT_VERIFY;
		}
		progress |= ret > 0;
		vqctl_progress(r, start, &last, false);
		if (progress)
			continue;
		r->waits++;
		ret = vqchar_wait_used(r->q, VQCTL_WAIT_MS);
		if (ret == -ETIMEDOUT) {
			vqctl_progress(r, start, &last, true);
			fprintf(stderr, "vqctl: no chain came back for %d s (%" PRIu64 " offered, %"
				PRIu64 " returned): the %s device stalled\n", VQCTL_WAIT_MS / 1000,
				r->offered, r->completed, vqctl_dev_names[r->device]);
			return VQCTL_EXIT_VERIFY;
		}
		if (ret == -EIO) {
			vqctl_progress(r, start, &last, true);
			vqctl_broken(r);
			return VQCTL_EXIT_VERIFY;
		}
		if (ret < 0) {
			fprintf(stderr, "vqctl: waiting for the device failed: %s\n", strerror(-ret));
			return VQCTL_EXIT_VERIFY;
		}
	}
	vqctl_progress(r, start, &last, true);
	return VQCTL_EXIT_OK;
}

/*
 * read(2)- and write(2)-family calls this process made so far
 * (/proc/self/io, CONFIG_TASK_IO_ACCOUNTING), or -1: the run reports how
 * many its loop made, to show that it makes none per chain beyond kicks
 * and waits for calls.
 */
static int64_t vqctl_rw_syscalls(void)
{
	char buf[512];
	long long cr = -1, cw = -1;
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "syscr:");
	if (p)
		cr = strtoll(p + 6, NULL, 10);
	p = strstr(buf, "syscw:");
	if (p)
		cw = strtoll(p + 6, NULL, 10);
	return cr < 0 || cw < 0 ? -1 : cr + cw;
}

/* VQCTL_TEST_CORRUPT=SEQ:BYTE (see the manual); 0 or an exit status. */
static int vqctl_corrupt_env(struct vqctl_run *r)
{
	const char *env = getenv("VQCTL_TEST_CORRUPT");
	char *end;

	if (!env || !*env)
		return VQCTL_EXIT_OK;
	errno = 0;
	r->corrupt_seq = strtoull(env, &end, 10);
	if (!errno && *end == ':' && end[1]) {
		r->corrupt_byte = strtoull(end + 1, &end, 10);
		if (!errno && !*end) {
			r->corrupt = true;
			return VQCTL_EXIT_OK;
		}
	}
	vqctl_usage_error("VQCTL_TEST_CORRUPT takes SEQ:BYTE, not '%s'", env);
	return VQCTL_EXIT_USAGE;
}

static void vqctl_report(const struct vqctl_run *r, double secs, int64_t rw,
			 const struct vqchar_stats *ls, const struct vqchar_queue_stats *ks)
{
	double cps = secs > 0 ? (double)r->completed / secs : 0;
	double bps = secs > 0 ? (double)r->bytes / secs : 0;

	if (r->json) {
		printf("{\"device\":\"%s\",\"num\":%u,\"chains\":%" PRIu64 ",\"size\":%u,"
		       "\"batch\":%u,\"event_idx\":%s,\"indirect\":%s,\"poll_usecs\":%u,"
		       "\"seconds\":%.6f,"
		       "\"chains_per_sec\":%.1f,\"bytes_per_sec\":%.1f,\"bytes\":%" PRIu64 ","
		       "\"verified\":%" PRIu64 ",\"verify_failures\":%" PRIu64 ","
		       "\"kicks\":%" PRIu64 ",\"kicks_sent\":%" PRIu64 ","
		       "\"kicks_suppressed\":%" PRIu64 ",\"calls\":%" PRIu64 ","
		       "\"calls_suppressed\":%" PRIu64 ",\"call_wakeups\":%" PRIu64 ","
		       "\"device_chains\":%" PRIu64 ",\"device_batches\":%" PRIu64 ","
		       "\"bytes_read\":%" PRIu64 ",\"bytes_written\":%" PRIu64 ","
		       "\"errors\":%" PRIu64 ",\"waits\":%" PRIu64 ",\"rw_syscalls\":%" PRId64 "}\n",
		       vqctl_dev_names[r->device], r->num, r->completed, r->size, r->batch,
		       r->event_idx ? "true" : "false", r->indirect ? "true" : "false",
		       r->poll_usecs, secs,
		       cps, bps, r->bytes, r->verified, r->failures,
		       (uint64_t)ks->kicks, ls->kicks, ls->kicks_suppressed, (uint64_t)ks->calls,
		       (uint64_t)ks->calls_suppressed, ls->call_wakeups, (uint64_t)ks->chains,
		       (uint64_t)ks->batches, (uint64_t)ks->bytes_read,
		       (uint64_t)ks->bytes_written, (uint64_t)ks->errors, r->waits, rw);
		return;
	}
	if (r->quiet)
		return;
	printf("vqctl: %s device, ring of %u%s%s: %" PRIu64 " chains of %u bytes in batches of %u\n",
	       vqctl_dev_names[r->device], r->num, r->event_idx ? ", event index" : "",
	       r->indirect ? ", indirect tables" : "", r->completed, r->size, r->batch);
	if (r->poll_usecs)
		printf("  polling:       the device polls %u us before it sleeps\n", r->poll_usecs);
	printf("  time:          %.3f s: %.0f chains/s, %.2f MB/s of payload\n", secs, cps,
	       bps / 1e6);
	if (!r->failures)
		printf("  verified:      all %" PRIu64 " chains came back as expected (%s)\n",
		       r->verified,
		       r->device == VQCHAR_DEV_LOOPBACK ? "data echoed byte for byte" :
		       r->device == VQCHAR_DEV_SINK ? "consumed, nothing written" :
		       "source pattern byte for byte");
	else
		printf("  verified:      %" PRIu64 " chains good, %" PRIu64 " FAILED\n",
		       r->verified, r->failures);
	printf("  kicks:         %" PRIu64 " sent by vqctl, %" PRIu64 " received by the kernel, %"
	       PRIu64 " not needed (the device asked not to be kicked)\n",
	       ls->kicks, (uint64_t)ks->kicks, ls->kicks_suppressed);
	printf("  calls:         %" PRIu64 " sent by the kernel, %" PRIu64
	       " suppressed (vqctl did not ask), %" PRIu64 " woke vqctl\n",
	       (uint64_t)ks->calls, (uint64_t)ks->calls_suppressed, ls->call_wakeups);
	printf("  device:        %" PRIu64 " chains in %" PRIu64 " batches, %" PRIu64
	       " bytes read, %" PRIu64 " bytes written, %" PRIu64 " errors\n",
	       (uint64_t)ks->chains, (uint64_t)ks->batches, (uint64_t)ks->bytes_read,
	       (uint64_t)ks->bytes_written, (uint64_t)ks->errors);
}

/* Pick buffer size and counts so a chain fits the ring, the pool and indirect rules. */
static int vqctl_shape(struct vqctl_run *r, const struct vqchar_version *v, uint32_t *buf_count)
{
	uint64_t per_chain, count, max_bufs;
	uint32_t segs;

	r->buf_size = r->size <= VQCTL_BIG_BUF ? r->size : VQCTL_BIG_BUF;
	segs = (r->size + r->buf_size - 1) / r->buf_size;
	r->out_bufs = r->device == VQCHAR_DEV_SOURCE ? 0 : segs;
	r->in_bufs = r->device == VQCHAR_DEV_SINK ? 0 : segs;
	if (r->indirect) {
		/* The table sits in one pool buffer: 16 bytes per descriptor. */
		uint32_t table = 16 * (r->out_bufs + r->in_bufs);

		r->buf_size = (r->buf_size + 15) & ~15U;
		if (r->buf_size < table)
			r->buf_size = table;
	}
	if (r->out_bufs + r->in_bufs > r->num && !r->indirect) {
		vqctl_usage_error("a chain of %u bytes needs %u descriptors, more than --num %u "
				  "(use a larger ring or --indirect)", r->size,
				  r->out_bufs + r->in_bufs, r->num);
		return VQCTL_EXIT_USAGE;
	}
	per_chain = r->out_bufs + r->in_bufs + (r->indirect ? 1 : 0);
	count = per_chain * r->num;
	max_bufs = v->max_pool_bytes / r->buf_size;
	if (count > max_bufs)
		count = max_bufs - max_bufs % per_chain;	/* fewer chains in flight */
	if (count < per_chain) {
		fprintf(stderr, "vqctl: one chain of %u bytes does not fit the module's pool limit "
			"of %" PRIu64 " bytes; use a smaller --size or load the module with a "
			"larger max_pool_bytes\n", r->size, (uint64_t)v->max_pool_bytes);
		return VQCTL_EXIT_ENV;
	}
	*buf_count = (uint32_t)count;
	return VQCTL_EXIT_OK;
}

static int vqctl_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "num", required_argument, NULL, 'n' },
		{ "chains", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "event-idx", no_argument, NULL, 'e' },
		{ "indirect", no_argument, NULL, 'i' },
		{ "poll-usecs", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vqctl_run r = {
		.device = VQCHAR_DEV_EXTERNAL, .num = 256, .chains = 10000, .size = 1024,
		.batch = 32,
	};
	bool batch_set = false;
	struct vqchar_version v;
	struct vqchar_params p;
	struct vqchar_stats ls;
	struct vqchar_queue_stats ks;
	double start, secs;
	int64_t rw_start, rw;
	uint64_t val;
	int c, fd, ret, status;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "loopback")) {
				r.device = VQCHAR_DEV_LOOPBACK;
			} else if (!strcmp(optarg, "sink")) {
				r.device = VQCHAR_DEV_SINK;
			} else if (!strcmp(optarg, "source")) {
				r.device = VQCHAR_DEV_SOURCE;
			} else {
				vqctl_usage_error("unknown device '%s': choose loopback, sink or source",
						  optarg);
				return VQCTL_EXIT_USAGE;
			}
			break;
		case 'n':
			if (!vqctl_parse_u64(optarg, VQCHAR_MAX_RING_SIZE, false, &val) ||
			    !val || (val & (val - 1))) {
				vqctl_usage_error("--num takes a power of two from 1 to %u, not '%s'",
						  VQCHAR_MAX_RING_SIZE, optarg);
				return VQCTL_EXIT_USAGE;
			}
			r.num = (uint32_t)val;
			break;
		case 'c':
			if (!vqctl_parse_u64(optarg, UINT64_MAX / 2, false, &val) || !val) {
				vqctl_usage_error("--chains takes a positive number, not '%s'", optarg);
				return VQCTL_EXIT_USAGE;
			}
			r.chains = val;
			break;
		case 's':
			if (!vqctl_parse_u64(optarg, VQCTL_MAX_SIZE, true, &val) || !val) {
				vqctl_usage_error("--size takes 1 to 1M bytes, not '%s'", optarg);
				return VQCTL_EXIT_USAGE;
			}
			r.size = (uint32_t)val;
			break;
		case 'b':
			if (!vqctl_parse_u64(optarg, VQCHAR_MAX_RING_SIZE, false, &val) || !val) {
				vqctl_usage_error("--batch takes a number from 1 to --num, not '%s'",
						  optarg);
				return VQCTL_EXIT_USAGE;
			}
			r.batch = (uint32_t)val;
			batch_set = true;
			break;
		case 'e':
			r.event_idx = true;
			break;
		case 'i':
			r.indirect = true;
			break;
		case 'p':
			if (!vqctl_parse_u64(optarg, UINT32_MAX, false, &val)) {
				vqctl_usage_error("--poll-usecs takes a number of microseconds, "
						  "not '%s'", optarg);
				return VQCTL_EXIT_USAGE;
			}
			r.poll_usecs = (uint32_t)val;
			break;
		case 'j':
			r.json = true;
			break;
		case 'q':
			r.quiet = true;
			break;
		case 'h':
			vqctl_help(stdout);
			return VQCTL_EXIT_OK;
		case ':':
			vqctl_usage_error("option '%s' needs a value", argv[optind - 1]);
			return VQCTL_EXIT_USAGE;
		default:
			vqctl_usage_error("unknown option '%s'", argv[optind - 1]);
			return VQCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vqctl_usage_error("unexpected argument '%s'", argv[optind]);
		return VQCTL_EXIT_USAGE;
	}
	if (r.device == VQCHAR_DEV_EXTERNAL) {
		vqctl_usage_error("run needs --device loopback, sink or source");
		return VQCTL_EXIT_USAGE;
	}
	if (r.batch > r.num) {
		if (batch_set) {
			vqctl_usage_error("--batch %u is larger than the ring (--num %u)", r.batch,
					  r.num);
			return VQCTL_EXIT_USAGE;
		}
		r.batch = r.num;
	}
	if (r.batch > VQCTL_MAX_BATCH)
		r.batch = VQCTL_MAX_BATCH;

	fd = vqctl_open_dev(&v);
	if (fd < 0)
		return VQCTL_EXIT_ENV;
	if ((r.event_idx && !(v.features & VQCHAR_F_EVENT_IDX)) ||
	    (r.indirect && !(v.features & VQCHAR_F_INDIRECT_DESC))) {
		fprintf(stderr, "vqctl: the loaded module does not offer %s (see 'vqctl info')\n",
			r.event_idx && !(v.features & VQCHAR_F_EVENT_IDX) ?
			"the event index" : "indirect descriptors");
		close(fd);
		return VQCTL_EXIT_ENV;
	}
	if (r.num > v.max_ring_size) {
		fprintf(stderr, "vqctl: the module's largest ring is %u entries\n", v.max_ring_size);
		close(fd);
		return VQCTL_EXIT_ENV;
	}
	if (r.poll_usecs > v.max_poll_usecs) {
		fprintf(stderr, "vqctl: the module polls at most %u microseconds (its "
			"max_poll_usecs parameter)\n", v.max_poll_usecs);
		close(fd);
		return VQCTL_EXIT_ENV;
	}
	status = vqctl_corrupt_env(&r);
	if (status) {
		close(fd);
		return status;
	}

	memset(&p, 0, sizeof(p));
	status = vqctl_shape(&r, &v, &p.buf_count);
	if (status) {
		close(fd);
		return status;
	}
	p.backend = VQCHAR_BACKEND_KERNEL;
	p.num = r.num;
	p.buf_size = r.buf_size;
	p.features = (r.event_idx ? VQCHAR_F_EVENT_IDX : 0) |
		     (r.indirect ? VQCHAR_F_INDIRECT_DESC : 0);
	p.device = r.device;
	p.dev_fd = fd;
	p.poll_usecs = r.poll_usecs;
	/* One thread drives the queue: the lock-free single-issuer path. */
	p.flags = VQCHAR_PARAMS_DEV_FD | VQCHAR_PARAMS_SINGLE_ISSUER;
	r.tty = !r.quiet && isatty(STDERR_FILENO);
	ret = vqchar_queue_create(&p, &r.q);
	close(fd);
	if (ret) {
		if (ret == -ENOENT || ret == -EACCES || ret == -EPERM)
			vqctl_dev_error(ret);
		else
			fprintf(stderr, "vqctl: the module refused the queue (ring %u, %u buffers of %u "
				"bytes): %s%s\n", r.num, p.buf_count, p.buf_size, strerror(-ret),
				ret == -ENOSPC || ret == -EMFILE ?
				" (too many queues open? see max_queues in 'vqctl info')" : "");
		return VQCTL_EXIT_ENV;
	}

	r.head_seq = calloc(r.num, sizeof(*r.head_seq));
	if (!r.head_seq || vqctl_patterns(&r)) {
		fprintf(stderr, "vqctl: out of memory\n");
		status = VQCTL_EXIT_ENV;
		goto out;
	}

	rw_start = vqctl_rw_syscalls();
	start = vqctl_now();
	status = vqctl_pump(&r);
	secs = vqctl_now() - start;
	rw = vqctl_rw_syscalls();
	rw = rw < 0 || rw_start < 0 ? -1 : rw - rw_start;

	memset(&ls, 0, sizeof(ls));
	memset(&ks, 0, sizeof(ks));
	vqchar_get_stats(r.q, &ls);
	ret = vqchar_queue_kstats(r.q, &ks);
	if (ret)
		fprintf(stderr, "vqctl: VQCHAR_IOC_QUEUE_STATS failed: %s\n", strerror(-ret));
	if (r.failures && status == VQCTL_EXIT_OK)
		status = VQCTL_EXIT_VERIFY;
	if (status == VQCTL_EXIT_OK || status == VQCTL_EXIT_VERIFY)
		vqctl_report(&r, secs, rw, &ls, &ks);
out:
	free(r.head_seq);
	free(r.scratch);
	free(r.expect);
	vqchar_queue_close(r.q);
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		vqctl_usage_error("no command given");
		return VQCTL_EXIT_USAGE;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		vqctl_help(stdout);
		return VQCTL_EXIT_OK;
	}
	if (!strcmp(cmd, "run"))
		return vqctl_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return vqctl_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "net"))
		return vqctl_net(argc - 1, argv + 1);
	vqctl_usage_error("unknown command '%s'", cmd);
	return VQCTL_EXIT_USAGE;
}
