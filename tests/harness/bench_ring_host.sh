#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The host half of "make bench": tools/virtio/ringtest's virtio_ring_0_9
# (built from linux-source, bench_ringtest.sh) beside
# tests/bench/lib_ringbench.c, the same loop on libvqchar's anonymous
# backend, alternating round by round (tests/bench/bench_rounds.sh).
# Prints, per configuration, the median of the per-round ratios
# ringtest time / libvqchar time (above 1: the library is faster) with
# their min-max, the one-in-flight round trip against an eventfd
# ping-pong, and the library's calls per chain (tests/harness/bench.py).
#
# BENCH_ROUNDS (default 5), BENCH_CYCLES (default 200000) size the run;
# "make check" runs it tiny so that it cannot rot.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/bench/host
mkdir -p "$out"

make -s -C "$root/lib" all >&2
cc -O2 -std=gnu11 -Wall -Wextra -I"$root/include" -I"$root/include/uapi" \
	-pthread -o "$out/lib_ringbench" "$root/tests/bench/lib_ringbench.c" \
	"$root/build/lib/libvqchar.a"
"$root/tests/harness/bench_ringtest.sh" "$out/virtio_ring_0_9" >&2 ||
	echo "# bench: no linux-source ringtest; libvqchar only" >&2

# shellcheck source=tests/bench/bench_rounds.sh
. "$root/tests/bench/bench_rounds.sh"
ROUNDS=${BENCH_ROUNDS:-5}
cycles=${BENCH_CYCLES:-200000}
RB=$out/lib_ringbench
RT=$out/virtio_ring_0_9
T="$RB --time"
# Driver and device threads on CPUs 0 and 1, ringtest's and the library's.
PIN_RT="--guest-affinity 0 --host-affinity 1"
PIN="--driver-cpu 0 --device-cpu 1"
C="--run-cycles $cycles"
R="--run-cycles $((cycles / 10 > 0 ? cycles / 10 : 1))"
configs="
rt_busy_1	$T $RT $PIN_RT $C --batch 1
lib_busy_1	$T $RB $PIN $C --batch 1 --event-idx
rt_busy_32	$T $RT $PIN_RT $C --batch 32
lib_busy_32	$T $RB $PIN $C --batch 32 --event-idx
rt_sleep_1	$T $RT $PIN_RT $C --batch 1 --sleep
lib_sleep_1	$T $RB $PIN $C --batch 1 --sleep --event-idx
rt_sleep_32	$T $RT $PIN_RT $C --batch 32 --sleep
lib_sleep_32	$T $RB $PIN $C --batch 32 --sleep --event-idx
lib_sleep_64	$T $RB $PIN $C --batch 64 --sleep --event-idx
pingpong	$RB $PIN --pingpong $R
rtt_anon	$RB $PIN --rtt --sleep --event-idx $R
"
[ -x "$RT" ] || configs=$(echo "$configs" | grep -v '^rt_')
st=0
bench_rounds > "$out/results.log" || st=$?
python3 "$root/tests/harness/bench.py" --only-run "$out/results.log" || st=$?
exit "$st"
