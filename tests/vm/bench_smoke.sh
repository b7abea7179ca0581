#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench's guest script (tests/bench/ring_bench.sh), tiny: one round of
# a few chains, so that the benchmark cannot rot between runs of make bench.
# busybox sh; prints TAP.
BENCH=${BENCH:-/bin/vqchar-bench}
out=${TMPDIR:-/tmp}/bench_smoke.$$
trap 'rm -f "$out"' EXIT

echo "TAP version 13"
echo "1..4"
ROUNDS=1 CHAINS=64 "$BENCH" > "$out" 2>&1
st=$?
if [ "$st" = 0 ]; then echo "ok 1 bench script exits 0"; else echo "not ok 1 bench script exits 0 (exit $st)"; fi

# 24 configurations, 28 with ringtest (carried when make bench built it).
want=24
[ -x "$(dirname "$BENCH")/virtio_ring_0_9" ] && want=28
runs=$(grep -c '^BENCH [a-z_0-9]* {' "$out")
if [ "$runs" = "$want" ]; then
	echo "ok 2 $want configurations, each one JSON line"
else
	echo "not ok 2 $want configurations, each one JSON line ($runs)"
	sed 's/^/# /' "$out" | head -40
fi

# Eight vqctl configurations and three beside the library loops.
runs=$(grep -c '^BENCH [a-z_0-9]* {.*"verify_failures":0[,}]' "$out")
if [ "$runs" = 11 ]; then
	echo "ok 3 eleven vqctl runs, every chain verified"
else
	echo "not ok 3 eleven vqctl runs, every chain verified ($runs)"
fi

if grep -q '^BENCH-FAILED' "$out"; then
	echo "not ok 4 no configuration failed"
	grep -A5 '^BENCH-FAILED' "$out" | sed 's/^/# /'
else
	echo "ok 4 no configuration failed"
fi
