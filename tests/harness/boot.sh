#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test guest under QEMU and wait for it to end, with a hard timeout
# so a hung guest fails the run instead of hanging it.
#
# usage: boot.sh KERNEL INITRD LOGPREFIX TIMEOUT [APPEND...]
#        boot.sh --probe KERNEL INITRD   (prints kvm or tcg)
# Writes LOGPREFIX.console.log (kernel messages, ttyS0) and
# LOGPREFIX.results.log (test results, ttyS1).  Exits 0 when the guest
# reported "#VQ DONE", 1 otherwise.
#
# KVM is used when it really works: probed once per machine state with a
# short timeout (on some hosts /dev/kvm exists but guests hang in firmware).
set -uo pipefail

probe=0
if [ "${1:-}" = --probe ]; then
	probe=1
	shift
	set -- "$1" "$2" /dev/null 0
fi
kernel=$1
initrd=$2
prefix=$3
limit=$4
shift 4
# Under emulation the guest's timers are slow and uneven: tsc=reliable keeps
# the TSC as clocksource (else every clock read is an emulated HPET access),
# no_timer_check skips the IO-APIC timer probe that a loaded host can fail
# ("IO-APIC + timer doesn't work!" panics).
# tsc=reliable also turns off the watchdog that would catch a TSC the guest
# calibrated wrongly (seen: 254 MHz for a 2.6 GHz TSC on a loaded host, so
# guest time ran ten times fast): give it the host's frequency, which is
# what a TCG guest's TSC counts at.
tsc_khz=
tmp=$(mktemp -d)
if gcc -O2 -o "$tmp/tsc-khz" "$(dirname "$0")/tsc-khz.c" 2>/dev/null; then
	tsc_khz=$("$tmp/tsc-khz")
fi
rm -rf "$tmp"
# An emulated CPU can lose the host CPU for seconds: stall and lockup
# detectors wait 60 s (real lockups last for ever and are still caught).
append="console=ttyS0 panic=-1 oops=panic loglevel=7 tsc=reliable no_timer_check"
append="$append rcupdate.rcu_cpu_stall_timeout=60 watchdog_thresh=30"
[ -n "$tsc_khz" ] && append="$append tsc_early_khz=$tsc_khz"
append="$append $*"
bios=/usr/share/qemu/qboot.rom

qemu_run() {
	local accel=$1 secs=$2 log=$3 res=$4 init=$5 app=$6
	timeout --foreground -k 5 "$secs" qemu-system-x86_64 \
		-machine q35,accel="$accel" -cpu max -smp 2 -m 1G \
		-bios "$bios" -kernel "$kernel" -initrd "$init" -append "$app" \
		-display none -monitor none -no-reboot \
		-serial file:"$log" -serial file:"$res" </dev/null >/dev/null 2>&1
}

kvm_works() {
	[ -n "${VQCHAR_ACCEL:-}" ] && { [ "$VQCHAR_ACCEL" = kvm ]; return; }
	[ -w /dev/kvm ] || return 1
	local d ok=1
	d=$(mktemp -d)
	# The real initrd with rdinit=/bin/true-like behaviour: the guest's
	# /init prints "#VQ START" on ttyS1 almost at once.
	qemu_run kvm 20 "$d/c" "$d/r" "$initrd" "$append vqchar.mode=probe" && :
	grep -q "#VQ START" "$d/r" 2>/dev/null && ok=0
	rm -rf "$d"
	return $ok
}

accel=tcg
if kvm_works; then
	accel=kvm
fi
if [ $probe = 1 ]; then
	echo $accel
	exit 0
fi
echo "boot: $(basename "$kernel") under $accel (timeout ${limit}s)" >&2
: > "$prefix.console.log"
: > "$prefix.results.log"
qemu_run "$accel" "$limit" "$prefix.console.log" "$prefix.results.log" "$initrd" "$append"
rc=$?
if ! grep -q "^#VQ DONE" "$prefix.results.log"; then
	echo "boot: guest did not finish (qemu exit $rc; 124 means the ${limit}s timeout)" >&2
	exit 1
fi
exit 0
