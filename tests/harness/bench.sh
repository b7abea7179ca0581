#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": boot the stock distribution kernel (no debug checks to
# distort the numbers), load vqchar and run tests/bench/ring_bench.sh: the
# vqctl configurations, and ringtest beside libvqchar's loops on both
# backends, alternating round by round in that one boot.  Prints each
# configuration's median over the rounds and its ratio to the baseline,
# then each comparison as the median of its per-round ratios with their
# min-max (bench.py); the absolute numbers depend on the machine (and on
# emulation when KVM is not usable), the ratios much less.
#
# BENCH_ROUNDS (default 5) and BENCH_CHAINS (default 100000) size the run.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/harness
out=$root/build/bench
cd "$root"
mkdir -p "$out"

"$here/deps.sh"
# The host half first: ringtest beside the anonymous backend, no VM.
echo "bench: host, ringtest vs libvqchar (anonymous backend)" >&2
"$here/bench_ring_host.sh"
kver=$("$here/stock-kernel.sh") ||
	{ echo "bench: no distribution kernel with headers installed" >&2; exit 1; }

rsync -a --delete --exclude build --exclude .git Kbuild kmod common include tests "$out/kmod/"
make -s -C "/usr/src/linux-headers-$kver" M="$out/kmod" modules >&2
make -s lib vm-tests >&2
bins=(--bin build/tools/vqctl --bin build/tools/vqchar-bench --bin build/tools/bench_rounds.sh
	--bin build/tools/lib_ringbench)
if "$here/bench_ringtest.sh" build/tools/virtio_ring_0_9 >&2; then
	bins+=(--bin build/tools/virtio_ring_0_9)
else
	echo "bench: no linux-source ringtest; the guest runs libvqchar only" >&2
fi
"$here/initramfs.sh" "$out/bench.cpio" "$out/kmod" --deps "$kver" "${bins[@]}"
echo "bench: booting $kver; ${BENCH_ROUNDS:-5} rounds of $(grep -c '^[a-z_0-9][a-z_0-9]*	' \
	tests/bench/ring_bench.sh) configurations" >&2
"$here/slot.sh" "$here/boot.sh" "/boot/vmlinuz-$kver" "$out/bench.cpio" "$out/bench" 1800 vqchar.mode=bench \
	"vqchar.rounds=${BENCH_ROUNDS:-5}" "vqchar.chains=${BENCH_CHAINS:-100000}" ||
	{ echo "bench: the guest did not finish; see $out/bench.console.log" >&2; exit 1; }
echo "bench: guest, $kver: vqctl, then ringtest vs libvqchar (anonymous and kernel backends)"
python3 "$here/bench.py" "$out/bench.results.log"
# The net API against the tun fd (tests/bench/net_run.sh): a guest of its own.
"$root/tests/bench/net_run.sh"
