#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make demo": boot the debug kernel, load vqchar and run the loopback demo.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/harness
out=$root/build/demo
cd "$root"
mkdir -p "$out"

"$here/deps.sh"
kdir=$("$here/kernel.sh")
rsync -a --delete --exclude build --exclude .git Kbuild kmod common include tests "$out/kmod/"
make -s -C "$kdir" M="$out/kmod" modules >&2
make -s lib vm-tests >&2
find "$out/kmod" -name vqchar_test.ko -delete
bins=()
for b in build/tools/* build/examples/*; do
	[ -f "$b" ] && bins+=(--bin "$b")
done
"$here/initramfs.sh" "$out/demo.cpio" "$out/kmod" "${bins[@]}"
echo "Booting a test kernel with vqchar loaded (takes a few seconds)..."
"$here/boot.sh" "$kdir/arch/x86/boot/bzImage" "$out/demo.cpio" "$out/demo" 300 vqchar.mode=demo ||
	{ echo "The guest did not finish; its console is in $out/demo.console.log" >&2; exit 1; }
grep -v '^#VQ' "$out/demo.results.log"
