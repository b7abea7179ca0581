#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The booted-system test: build the Debian packages (make deb), then boot
# the cached Debian 12 image (sysimage.sh) once per stock kernel, side by
# side, and let tests/system/guest.sh install, use and purge the packages
# in it.  Each boot starts from a fresh qcow2 overlay of the cached image.
#
# usage: system.sh OUTDIR
# Prints one "PASS|FAIL|SKIP system/... [:: why]" line per step on stdout
# (check.sh adds them to make check's results); logs go to
# OUTDIR/system-*.log.  VQCHAR_SYSTEM_TIMEOUT bounds each boot (seconds);
# VQCHAR_SYSTEM_KERNELS (a regex, e.g. "6.1\\.") picks kernels while developing.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/harness
out=$1
limit=${VQCHAR_SYSTEM_TIMEOUT:-1500}
mkdir -p "$out"
cd "$root" || exit 1

result() { # STATUS NAME [WHY]
	local line="$1 $2"
	[ -n "${3:-}" ] && line="$line :: $3"
	echo "$line"
}
say() { echo "system: $*" >&2; }

t0=$(date +%s)
if ! make -s deb-build > "$out/system-deb.log" 2>&1; then
	result FAIL system/deb/build "make deb failed, see $out/system-deb.log"
	exit 0
fi
result PASS system/deb/build
if lintian --fail-on error,warning build/deb/vqchar_*.changes > "$out/system-lintian.log" 2>&1; then
	result PASS system/deb/lintian
else
	result FAIL system/deb/lintian "$(grep -m2 '^[EW]:' "$out/system-lintian.log" | tr '\n' ' ')"
fi

# The packaged DKMS source, built by dkms.conf's own MAKE line against the
# debug kernel (which has KUnit and kmemleak): vqchar.ko and nothing else.
# Beside the guests, on the host.
dkms_driver_only() {
	local ver kdir src tree kos
	ver=$(cat VERSION)
	src=build/deb/vqchar-$ver/debian/vqchar-dkms/usr/src/vqchar-$ver
	tree=$out/system-dkms
	kdir=$("$here/kernel.sh" 2> /dev/null) || { result FAIL system/dkms/driver-only "no debug kernel"; return; }
	rm -rf "$tree" && mkdir -p "$tree/vqchar/$ver" && cp -r "$src" "$tree/vqchar/$ver/build"
	# dkms.conf reads kernel_source_dir and dkms_tree, as DKMS sets them.
	# shellcheck disable=SC2034,SC1090
	if ! ( kernel_source_dir=$kdir dkms_tree=$(cd "$tree" && pwd)
		. "$tree/vqchar/$ver/build/dkms.conf" && eval "${MAKE[0]}" ) > "$out/system-dkms.log" 2>&1; then
		result FAIL system/dkms/driver-only "dkms.conf's MAKE failed on the packaged source, see $out/system-dkms.log"
		return
	fi
	kos=$(cd "$tree/vqchar/$ver/build" && find . -name '*.ko' | sort | tr '\n' ' ')
	if [ "$kos" = "./kmod/vqchar.ko " ]; then
		result PASS system/dkms/driver-only
	else
		result FAIL system/dkms/driver-only "built: $kos"
	fi
}
dkms_driver_only > "$out/system-dkms.result" &

if ! image=$("$here/sysimage.sh" 2> "$out/system-image.log"); then
	result FAIL system/image "building the Debian 12 image failed, see $out/system-image.log"
	wait
	cat "$out/system-dkms.result"
	exit 0
fi
say "image ready after $(($(date +%s) - t0)) s"

# The test disk: the guest script, the program it compiles, the packages.
disk=$out/system-disk
rm -rf "$disk" && mkdir -p "$disk/debs"
cp tests/system/guest.sh "$disk/run.sh"
cp tests/system/app.c "$disk/"
cp build/deb/*.deb "$disk/debs/"
mkfs.ext4 -q -F -d "$disk" "$out/system-disk.img" 64M > /dev/null 2>&1

boot() { # KVER TAG
	local kver=$1 tag=$2 log=$out/system-$2
	qemu-img create -q -f qcow2 -F raw -b "$image/root.img" "$log.qcow2"
	: > "$log.results.log"
	"$here/slot.sh" timeout --foreground -k 5 "$limit" qemu-system-x86_64 \
		-machine q35,accel=tcg -cpu max -smp 2 -m 1536 \
		-kernel "$image/vmlinuz-$kver" -initrd "$image/initrd.img-$kver" \
		-append "root=/dev/vda rw console=ttyS0 tsc=reliable no_timer_check rcupdate.rcu_cpu_stall_timeout=60 watchdog_thresh=30 panic=-1 systemd.show_status=0" \
		-drive file="$log.qcow2",if=virtio,format=qcow2,cache=unsafe \
		-drive file="$out/system-disk.img",if=virtio,format=raw,readonly=on \
		-nic none -display none -monitor none -no-reboot \
		-serial file:"$log.console.log" -serial file:"$log.results.log" \
		< /dev/null > "$log.qemu.log" 2>&1
	echo $? > "$log.rc"
	rm -f "$log.qcow2"
}

tags=()
while read -r kver; do
	tag=$(echo "$kver" | cut -d. -f1,2)
	say "booting Debian 12 with $kver"
	boot "$kver" "$tag" &
	tags+=("$tag")
done < <(grep -E "^${VQCHAR_SYSTEM_KERNELS:-.}" "$image/kernels")
wait
cat "$out/system-dkms.result"

for tag in "${tags[@]}"; do
	log=$out/system-$tag
	sed -n -E "s@^(PASS|FAIL|SKIP) @\1 system/$tag/@p" "$log.results.log"
	grep '^# ' "$log.results.log" | sed "s@^# @system/$tag: @" >&2
	if grep -q '^#VQ DONE' "$log.results.log"; then
		result PASS "system/$tag/finished"
	else
		result FAIL "system/$tag/finished" "guest did not finish (qemu exit $(cat "$log.rc"); 124 is the ${limit}s timeout), see $log.console.log"
	fi
	bad=$(grep -m1 -E 'BUG:|WARNING:|UBSAN:|Oops|general protection fault|Kernel panic|Call Trace:' "$log.console.log")
	if [ -z "$bad" ]; then
		result PASS "system/$tag/kernel-log-clean"
	else
		result FAIL "system/$tag/kernel-log-clean" "$bad"
	fi
done
say "done after $(($(date +%s) - t0)) s"
