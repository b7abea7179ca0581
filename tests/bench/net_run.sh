#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The net part of "make bench": boot the stock distribution kernel (or
# BENCH_KVER), load vqchar, tun and vhost_net, run tests/bench/net_bench.sh
# (vqctl net through vhost-net and through the tun fd, round by round) and
# print medians, spreads and the ratios against the targets of issue 11.
#
# BENCH_ROUNDS (default 5) and BENCH_FRAMES (default 50000) size the run.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/harness
out=$root/build/bench-net
cd "$root"
mkdir -p "$out"

"$here/deps.sh"
kver=${BENCH_KVER:-$("$here/stock-kernel.sh")} ||
	{ echo "net bench: no distribution kernel with headers installed" >&2; exit 1; }

rsync -a --delete --exclude build --exclude .git Kbuild kmod common include tests "$out/kmod/"
make -s -C "/usr/src/linux-headers-$kver" M="$out/kmod" modules >&2
make -s lib vm-tests >&2
# guest-init's bench mode runs /bin/vqchar-bench: here, the net bench.
mkdir -p "$out/bin"
cp tests/bench/net_bench.sh "$out/bin/vqchar-bench"
"$here/initramfs.sh" "$out/bench.cpio" "$out/kmod" --deps "$kver" \
	--bin build/tools/vqctl --bin "$out/bin/vqchar-bench" \
	--bin tests/bench/bench_rounds.sh
echo "net bench: booting $kver; ${BENCH_ROUNDS:-5} rounds of 19 configurations" >&2
"$here/slot.sh" "$here/boot.sh" "/boot/vmlinuz-$kver" "$out/bench.cpio" "$out/bench" 3600 vqchar.mode=bench \
	"vqchar.rounds=${BENCH_ROUNDS:-5}" "vqchar.chains=${BENCH_FRAMES:-50000}" ||
	{ echo "net bench: the guest did not finish; see $out/bench.console.log" >&2; exit 1; }
echo "net bench: $kver, $(grep -c '^BENCH ' "$out/bench.results.log") runs" >&2
python3 "$root/tests/bench/net_report.py" "$out/bench.results.log"
