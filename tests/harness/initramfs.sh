#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pack a test guest's initramfs: static busybox, the guest /init, the vqchar
# modules, the test programs and, for a distribution kernel, the modules of
# that kernel the tests need.
#
# usage: initramfs.sh OUT.cpio MODDIR [--deps KVER] [--bin PROG]... [TEST...]
# PROGs go to /bin; the one named vqchar-demo is what "make demo" runs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$1
moddir=$2
shift 2
deps_kver=
bins=()

while [ $# -gt 0 ]; do
	case "$1" in
	--deps) deps_kver=$2; shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	*) break ;;
	esac
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,tests,lib/vqchar/deps}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/guest-init" "$stage/init"
for ko in vqchar.ko vqchar_test.ko vqchar_leak_canary.ko; do
	found=$(find "$moddir" -name "$ko" | head -1)
	[ -n "$found" ] && cp "$found" "$stage/lib/vqchar/"
done
[ -f "$stage/lib/vqchar/vqchar.ko" ] || { echo "initramfs: no vqchar.ko in $moddir" >&2; exit 1; }
for b in "${bins[@]}"; do
	cp "$b" "$stage/bin/"
done
for t in "$@"; do
	cp "$t" "$stage/tests/"
done

if [ -n "$deps_kver" ]; then
	# tun, vhost and vhost_net with what they depend on, in load order.
	modules=/lib/modules/$deps_kver
	for m in tun vhost_net; do
		modprobe -S "$deps_kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r path; do
		name=$(basename "$path")
		case "$name" in
		*.xz) xz -dc "$path" > "$stage/lib/vqchar/deps/${name%.xz}"; name=${name%.xz} ;;
		*.zst) zstd -dqc "$path" > "$stage/lib/vqchar/deps/${name%.zst}"; name=${name%.zst} ;;
		*) cp "$path" "$stage/lib/vqchar/deps/" ;;
		esac
		echo "$name" >> "$stage/lib/vqchar/deps.list"
	done
	[ -d "$modules" ] || { echo "initramfs: no $modules" >&2; exit 1; }
fi

(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
