#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the build and the test harness need, when
# they are missing.  Needs root (apt-get) only when something is missing.
set -euo pipefail

packages=(
	build-essential make gcc bc flex bison libelf-dev libssl-dev dwarves
	cpio xz-utils python3 kmod libkmod-dev valgrind rsync pkg-config
	qemu-system-x86 busybox-static
	clang libclang-rt-14-dev
	sparse
	linux-source-6.12 linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
	mmdebstrap debhelper dh-dkms lintian qemu-utils e2fsprogs # make deb, system.sh
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; run: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
