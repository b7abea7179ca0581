#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The host half of "make bench": tools/virtio/ringtest's virtio_ring_0_9
# (built from linux-source) beside tests/bench/lib_ringbench.c, the same
# loop on libvqchar's anonymous backend, alternating round by round.
# Prints, per configuration, the median of the per-round ratios
# ringtest time / libvqchar time (above 1: the library is faster) with
# their min-max, and the library's calls per chain.
#
# BENCH_ROUNDS (default 5), BENCH_CYCLES (default 200000) size the run;
# "make check" runs it tiny so that it cannot rot.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/bench/host
rounds=${BENCH_ROUNDS:-5}
cycles=${BENCH_CYCLES:-200000}
mkdir -p "$out"

make -s -C "$root/lib" all >&2
cc -O2 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -I"$root/include" -I"$root/include/uapi" \
	-pthread -o "$out/lib_ringbench" "$root/tests/bench/lib_ringbench.c" \
	"$root/build/lib/libvqchar.a"

ringtest=
src=$(ls -d "${VQCHAR_CACHE:-$HOME/.cache/vqchar}"/src/linux-source-*/tools/virtio/ringtest \
	2>/dev/null | head -n1 || true)
if [ -n "$src" ]; then
	rm -rf "$out/ringtest"
	cp -r "$src" "$out/ringtest"
	make -s -C "$out/ringtest" virtio_ring_0_9 >&2 2>/dev/null &&
		ringtest=$out/ringtest/virtio_ring_0_9
fi
[ -n "$ringtest" ] || echo "# bench: no linux-source ringtest; libvqchar only" >&2

# name, options common to both, library-only options
configs='
busy_batch_1	--batch 1	--event-idx
busy_batch_32	--batch 32	--event-idx
sleep_batch_1	--batch 1 --sleep	--event-idx
sleep_batch_32	--batch 32 --sleep	--event-idx
'
log=$out/results.log
: > "$log"
for ((r = 1; r <= rounds; r++)); do
	while IFS=$'\t' read -r name opts libopts; do
		[ -n "$name" ] || continue
		# Both timed the same way, process start and exit included.
		s=$(date +%s%N)
		# shellcheck disable=SC2086 # word lists
		calls=$("$out/lib_ringbench" --run-cycles "$cycles" $opts $libopts | cut -d' ' -f2)
		lib=$(($(date +%s%N) - s))
		rt=-
		if [ -n "$ringtest" ]; then
			s=$(date +%s%N)
			# shellcheck disable=SC2086
			"$ringtest" --run-cycles "$cycles" $opts > /dev/null
			rt=$(($(date +%s%N) - s))
		fi
		echo "$name $rt $lib $calls" >> "$log"
	done <<< "$configs"
done

python3 - "$log" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rt, lib, calls = line.split()
    rows.setdefault(name, []).append((rt, float(lib), float(calls)))
print("%-16s %8s %17s %10s" % ("configuration", "ratio", "min-max", "calls/chain"))
for name, rs in rows.items():
    calls = statistics.median(c for _, _, c in rs)
    if rs[0][0] == "-":
        print("%-16s %8s %17s %10.4f" % (name, "-", "-", calls))
        continue
    ratios = [float(rt) / lib for rt, lib, _ in rs if lib > 0]
    print("%-16s %8.2f %8.2f-%-8.2f %10.4f" % (name, statistics.median(ratios),
          min(ratios), max(ratios), calls))
PY
