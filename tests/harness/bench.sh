#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": boot the stock distribution kernel (no debug checks to
# distort the numbers), load vqchar and run tests/bench/ring_bench.sh.
# Prints each configuration's median over the rounds and its ratio to the
# baseline; the absolute numbers depend on the machine (and on emulation
# when KVM is not usable), the ratios much less.
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
"$here/initramfs.sh" "$out/bench.cpio" "$out/kmod" --deps "$kver" \
	--bin build/tools/vqctl --bin build/tools/vqchar-bench
echo "bench: booting $kver; ${BENCH_ROUNDS:-5} rounds of 8 configurations" >&2
"$here/boot.sh" "/boot/vmlinuz-$kver" "$out/bench.cpio" "$out/bench" 1800 vqchar.mode=bench \
	"vqchar.rounds=${BENCH_ROUNDS:-5}" "vqchar.chains=${BENCH_CHAINS:-100000}" ||
	{ echo "bench: the guest did not finish; see $out/bench.console.log" >&2; exit 1; }
python3 "$here/bench.py" "$out/bench.results.log"
# The net API against the tun fd (tests/bench/net_run.sh): a guest of its own.
"$root/tests/bench/net_run.sh"
