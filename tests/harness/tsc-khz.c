// SPDX-License-Identifier: GPL-2.0
/*
 * Print the host's TSC frequency in kHz.  A QEMU TCG guest reads the host's
 * TSC, and its own calibration against emulated timers goes wrong on a
 * loaded host: boot.sh passes this value as tsc_early_khz instead.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A TSC reading and the time at it, the pair read as close as possible. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < 50; i++) {
		uint64_t t0 = __rdtsc(), n = now_ns(), t1 = __rdtsc();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = n;
		}
	}
}

int main(void)
{
	struct timespec pause = { 0, 200000000 };
	uint64_t t0, n0, t1, n1;

	sample(&t0, &n0);
	nanosleep(&pause, NULL);
	sample(&t1, &n1);
	printf("%llu\n", (unsigned long long)((t1 - t0) * 1000000 / (n1 - n0)));
	return 0;
}
