#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make bench's guest script (tests/bench/ring_bench.sh), tiny: one round of
# a few chains, so that the benchmark cannot rot between runs of make bench.
# busybox sh; prints TAP.
BENCH=${BENCH:-/bin/vqchar-bench}
out=${TMPDIR:-/tmp}/bench_smoke.$$
trap 'rm -f "$out"' EXIT

echo "TAP version 13"
echo "1..3"
ROUNDS=1 CHAINS=64 "$BENCH" > "$out" 2>&1
st=$?
if [ "$st" = 0 ]; then echo "ok 1 bench script exits 0"; else echo "not ok 1 bench script exits 0 (exit $st)"; fi

runs=$(grep -c '^BENCH [a-z_0-9]* {.*"verify_failures":0[,}]' "$out")
if [ "$runs" = 8 ]; then
	echo "ok 2 eight configurations, each one JSON line with every chain verified"
else
	echo "not ok 2 eight configurations, each one JSON line with every chain verified ($runs)"
	sed 's/^/# /' "$out" | head -20
fi

if grep -q '^BENCH-FAILED' "$out"; then
	echo "not ok 3 no configuration failed"
	grep '^BENCH-FAILED' "$out" | sed 's/^/# /'
else
	echo "ok 3 no configuration failed"
fi
