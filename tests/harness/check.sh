#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make check": build everything, run the host tests, then boot the debug
# kernel and the stock distribution kernel and run the KUnit suites and the
# userspace tests inside each.  One line per test, then
# "N passed, N failed, N skipped"; exit status 1 on any failure.
# Results: build/check/results.tap; guest logs: build/check/*.log.
#
# VQCHAR_RUNS (default "host debug stock") picks the runs and
# VQCHAR_VM_TESTS (shell globs, e.g. "vqchar_ioctl lib_*") the guest test
# programs, for a quicker loop while developing; CI always runs everything.
set -uo pipefail
runs=" ${VQCHAR_RUNS:-host debug stock} "

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/harness
out=$root/build/check
results=$out/results.txt
cd "$root"
rm -rf "$out"
mkdir -p "$out"
: > "$results"

say() { echo "check: $*" >&2; }
result() { # STATUS NAME [WHY]
	local line="$1 $2"
	[ -n "${3:-}" ] && line="$line :: $3"
	echo "$line" | tee -a "$results"
}
fatal_summary() {
	python3 "$here/report.py" summary "$results" "$out/results.tap"
	exit 1
}

"$here/deps.sh" || { result FAIL setup/deps "could not install packages"; fatal_summary; }

ksrc_kdir=$("$here/kernel.sh") || { result FAIL setup/debug-kernel "kernel build failed"; fatal_summary; }
ksrc=$(ls -d "${VQCHAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vqchar}"/src/linux-source-* | head -1)

stock_kver=$("$here/stock-kernel.sh")

# --- builds -------------------------------------------------------------
build_module() { # NAME KDIR
	local name=$1 kdir=$2 dir=$out/kmod-$1
	mkdir -p "$dir"
	rsync -a --delete --exclude build --exclude .git --exclude '*.o' --exclude '*.ko' \
		--exclude '*.mod' --exclude '*.mod.c' --exclude '.*.cmd' --exclude modules.order \
		--exclude Module.symvers \
		Kbuild kmod common include tests "$dir/"
	if make -C "$kdir" M="$dir" W=1 modules > "$out/build-$name.log" 2>&1; then
		if grep -qi 'warning' "$out/build-$name.log"; then
			result FAIL "build/$name/module-W=1-clean" "$(grep -m1 -i 'warning' "$out/build-$name.log")"
		else
			result PASS "build/$name/module-W=1-clean"
		fi
		result PASS "build/$name/module"
		return 0
	fi
	result FAIL "build/$name/module" "see $out/build-$name.log"
	tail -20 "$out/build-$name.log" >&2
	return 1
}

# The three builds are independent: run them at once.
build_module debug "$ksrc_kdir" > "$out/status-debug" &
b1=$!
if [ -n "$stock_kver" ]; then
	build_module stock "/usr/src/linux-headers-$stock_kver" > "$out/status-stock" &
	b2=$!
else
	result FAIL build/stock/module "no distribution kernel with headers installed"
	b2=
fi
jobs=$(nproc)
if make -s -j"$jobs" WERROR=1 lib > "$out/build-lib.log" 2>&1 &&
	make -s -j"$jobs" vm-tests > "$out/build-tests.log" 2>&1; then
	result PASS build/lib-and-tests
else
	result FAIL build/lib-and-tests "see $out/build-lib.log, $out/build-tests.log"
	cat "$out/build-lib.log" "$out/build-tests.log" | tail -30 >&2
fi
debug_ok=0
stock_ok=0
wait $b1 && debug_ok=1
cat "$out/status-debug"
if [ -n "$b2" ]; then
	wait "$b2" && stock_ok=1
	cat "$out/status-stock"
fi

# --- host tests and guests, side by side ---------------------------------
# The three runs are independent; they run at once and are reported in a
# fixed order once all have ended.
pids=()
if [[ $runs == *" host "* ]]; then
	say "host tests (plain, ASan+UBSan, valgrind)"
	( nice -n 10 make -s -C lib WERROR=1 check > "$out/host.log" 2>&1; echo $? > "$out/host.rc" ) &
	pids+=($!)
fi

vm_tests=()
for t in build/tests/vm/*; do
	[ -x "$t" ] || [ "${t%.sh}" != "$t" ] || continue
	if [ -n "${VQCHAR_VM_TESTS:-}" ]; then
		keep=0
		for g in $VQCHAR_VM_TESTS; do
			# shellcheck disable=SC2254
			case ${t##*/} in $g) keep=1 ;; esac
		done
		[ $keep = 1 ] || continue
	fi
	vm_tests+=("$t")
done
guest_bins=()
for b in build/tools/* build/examples/*; do
	[ -f "$b" ] && guest_bins+=(--bin "$b")
done

guest_start() { # RUN KERNEL INITRD TIMEOUT NICENESS
	say "booting the $1 kernel"
	nice -n "$5" "$here/boot.sh" "$2" "$3" "$out/$1" "$4" &
	pids+=($!)
}

guests=()
if [ $debug_ok = 1 ] && [[ $runs == *" debug "* ]]; then
	"$here/initramfs.sh" "$out/debug.cpio" "$out/kmod-debug" "${guest_bins[@]}" "${vm_tests[@]}"
	guest_start debug "$ksrc_kdir/arch/x86/boot/bzImage" "$out/debug.cpio" "${VQCHAR_DEBUG_TIMEOUT:-1800}" 0
	guests+=(debug)
fi
if [ $stock_ok = 1 ] && [[ $runs == *" stock "* ]]; then
	"$here/initramfs.sh" "$out/stock.cpio" "$out/kmod-stock" --deps "$stock_kver" "${guest_bins[@]}" "${vm_tests[@]}"
	guest_start stock "/boot/vmlinuz-$stock_kver" "$out/stock.cpio" "${VQCHAR_STOCK_TIMEOUT:-900}" 10
	guests+=(stock)
fi
# --- static checks ------------------------------------------------------
# The harness's own verdicts: report.py decides what passed.
python3 "$here/report_test.py" > "$out/report_test.log" 2>&1
python3 "$here/report.py" tap harness/report.py "$out/report_test.log" "$results"
if echo '#include <linux/vqchar.h>' | gcc -std=c90 -pedantic -Werror -Wall -fsyntax-only \
	-Iinclude/uapi -x c - > "$out/uapi.log" 2>&1; then
	result PASS style/uapi-header-c90-standalone
else
	result FAIL style/uapi-header-c90-standalone "$(head -1 "$out/uapi.log")"
fi
# Tracked sources only: an in-tree "make" leaves generated *.mod.c around.
kernel_sources=$(git ls-files -- kmod common include/uapi tests/kunit tests/harness/canary 2>/dev/null | grep -E '\.[ch]$' ||
	ls kmod/*.[ch] common/*.[ch] include/uapi/linux/*.h tests/kunit/*.[ch] tests/harness/canary/*.c | grep -v '\.mod\.c$')
for f in $kernel_sources; do
	[ -f "$f" ] || continue
	if perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse -q -f "$f" > "$out/checkpatch.tmp" 2>&1 &&
		! grep -qE 'ERROR|WARNING|CHECK' "$out/checkpatch.tmp"; then
		result PASS "style/checkpatch/$f"
	else
		result FAIL "style/checkpatch/$f" "$(head -1 "$out/checkpatch.tmp")"
	fi
done

[ ${#pids[@]} -gt 0 ] && wait "${pids[@]}"

if [[ $runs == *" host "* ]]; then
	python3 "$here/report.py" tap host "$out/host.log" "$results"
	host_rc=$(cat "$out/host.rc" 2>/dev/null || echo lost)
	[ "$host_rc" = 0 ] || result FAIL host/make-check "exit status $host_rc, see $out/host.log"
fi
for run in "${guests[@]}"; do
	python3 "$here/report.py" guest "$run" "$out/$run.results.log" \
		"$out/$run.console.log" "$results"
done

python3 "$here/report.py" summary "$results" "$out/results.tap"
