#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build tools/virtio/ringtest's virtio_ring_0_9, the reference the ring
# bench compares libvqchar with, from linux-source-6.12: the tree the
# debug kernel is built from when it is unpacked, else the ringtest
# directory alone from /usr/src/linux-source-6.12.tar.xz.  Static, so
# that the bench guest can carry it; its Makefile's flags otherwise.
#
# usage: bench_ringtest.sh OUT   (exits non-zero when there is no source)
set -euo pipefail

out=$1
cache=${VQCHAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqchar}
# shellcheck disable=SC2012 # a glob, the first match
src=$(ls -d "$cache"/src/linux-source-*/tools/virtio/ringtest 2>/dev/null | head -n1 || true)
tmp=
if [ -z "$src" ]; then
	tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)
	[ -n "$tarball" ] || { echo "bench_ringtest: no linux-source-6.12" >&2; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$tarball" -C "$tmp" --wildcards '*/tools/virtio/ringtest/*'
	# shellcheck disable=SC2012
	src=$(ls -d "$tmp"/*/tools/virtio/ringtest | head -n1)
fi
mkdir -p "$(dirname "$out")"
cc -Wall -pthread -O2 -flto -fwhole-program -static -o "$out.tmp" \
	"$src/main.c" "$src/virtio_ring_0_9.c"
mv "$out.tmp" "$out"
