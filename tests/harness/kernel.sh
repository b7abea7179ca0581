#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the vqchar debug kernel from linux-source-6.12, or reuse the cached one.
#
# The cache lives outside the checkout, keyed by the source package version
# and a hash of the config fragment, so every checkout and CI run on this
# machine shares one build.  A build directory only counts once it holds the
# ".vqchar-complete" stamp, written last: an interrupted build is thrown away.
#
# Prints the kernel build directory (usable as KDIR) on stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VQCHAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqchar}
fragment=$here/debug-kernel.config
tarball=/usr/src/linux-source-6.12.tar.xz
# Bump when the way the kernel is built changes, not only its config.
recipe=1

log() { echo "kernel: $*" >&2; }

[ -f "$tarball" ] || { log "missing $tarball (apt-get install linux-source-6.12)"; exit 1; }
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { cat "$fragment"; echo "recipe=$recipe"; } | sha256sum | cut -c1-12)
src=$cache/src/linux-source-$ver
out=$cache/linux-$ver-$key

mkdir -p "$cache/src"
exec 9>"$cache/.lock"
flock 9

if [ -f "$out/.vqchar-complete" ]; then
	echo "$out"
	exit 0
fi

if [ ! -f "$src/.vqchar-extracted" ]; then
	log "extracting $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.vqchar-extracted"
	mv "$src.tmp" "$src"
fi

log "building debug kernel $ver ($key) in $out; takes minutes the first time"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" ARCH=x86_64 KCONFIG_ALLCONFIG="$fragment" allnoconfig >&2

missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=y)
		if ! grep -qx "$line" "$out/.config"; then
			log "config lost (unmet dependency?): $line"
			missing=1
		fi
		;;
	esac
done < "$fragment"
[ "$missing" = 0 ] || exit 1

make -s -C "$out" ARCH=x86_64 -j"$(nproc)" bzImage modules >&2
touch "$out/.vqchar-complete"
echo "$out"
