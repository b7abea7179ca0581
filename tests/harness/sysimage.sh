#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the Debian 12 system image of the booted-system test
# (tests/harness/system.sh), or reuse the cached one.
#
# A minimal bookworm root (systemd, udev, a compiler, dkms, man-db) with the
# stock 6.1 and 6.12 kernels and their headers, made by mmdebstrap from the
# machine's own Debian sources.  Cached outside the checkout, keyed by a hash
# of this script (the recipe); built in a temporary directory and moved into
# place, with the ".vqchar-complete" stamp written last.
#
# The image runs whatever /run.sh it finds on its second disk (/dev/vdb),
# writing results to ttyS1, then powers off: the test itself lives in the
# checkout (tests/system/run.sh), not in the image.
#
# Prints the image directory: root.img (raw ext4), vmlinuz-KVER and
# initrd.img-KVER for each kernel, kernels (one KVER a line).
set -euo pipefail

cache=${VQCHAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqchar}
key=$(sha256sum "$0" | cut -c1-12)
out=$cache/sysimage-$key
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list

log() { echo "sysimage: $*" >&2; }

packages=(
	systemd systemd-sysv udev passwd kmod man-db
	gcc make libc6-dev pkg-config dkms
	initramfs-tools
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
)

mkdir -p "$cache"
exec 9>"$cache/.sysimage.lock"
flock 9

if [ -f "$out/.vqchar-complete" ]; then
	echo "$out"
	exit 0
fi

log "building the Debian 12 system image in $out; takes minutes the first time"
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp/root"

unit='[Unit]
Description=vqchar booted-system test
Requires=dev-vdb.device
After=dev-vdb.device systemd-udevd.service local-fs.target
ConditionPathExists=/dev/vdb

[Service]
Type=oneshot
ExecStart=/bin/sh -c "mkdir -p /run/systest && mount -o ro /dev/vdb /run/systest && exec /run/systest/run.sh /dev/ttyS1"
StandardOutput=journal+console
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Install]
WantedBy=multi-user.target'

mmdebstrap --mode=root --variant=apt --format=directory \
	--include="$(IFS=,; echo "${packages[*]}")" \
	--customize-hook='echo vqsys > "$1/etc/hostname"' \
	--customize-hook='echo "/dev/vda / ext4 rw 0 1" > "$1/etc/fstab"' \
	--customize-hook="printf '%s\n' '$unit' > \"\$1/etc/systemd/system/vqchar-systest.service\"" \
	--customize-hook='chroot "$1" systemctl enable vqchar-systest.service' \
	--customize-hook='chroot "$1" systemctl mask getty@tty1.service serial-getty@ttyS0.service' \
	--customize-hook='chroot "$1" useradd -m -s /bin/sh member' \
	--customize-hook='chroot "$1" useradd -m -s /bin/sh outsider' \
	bookworm "$tmp/root" "$sources" >&2

: > "$tmp/kernels"
for k in "$tmp"/root/boot/vmlinuz-*; do
	kver=${k##*/vmlinuz-}
	cp "$k" "$tmp/vmlinuz-$kver"
	cp "$tmp/root/boot/initrd.img-$kver" "$tmp/initrd.img-$kver"
	echo "$kver" >> "$tmp/kernels"
done
log "kernels: $(tr '\n' ' ' < "$tmp/kernels")"
# Room for the packages and two DKMS builds; the file is sparse.
mkfs.ext4 -q -F -L vqroot -d "$tmp/root" "$tmp/root.img" 6G >&2
rm -rf "$tmp/root"
rm -rf "$out"
mv "$tmp" "$out"
touch "$out/.vqchar-complete"
echo "$out"
