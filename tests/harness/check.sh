#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make check": build everything, run the host tests, then boot the debug
# kernel and the stock distribution kernel and run the KUnit suites and the
# userspace tests inside each.  One line per test, then
# "N passed, N failed, N skipped"; exit status 1 on any failure.
# Results: build/check/results.tap; guest logs: build/check/*.log.
#
# VQCHAR_RUNS (default "host debug stock stock612 rt system") picks the runs and
# VQCHAR_VM_TESTS (shell globs, e.g. "vqchar_ioctl lib_*") the guest test
# programs, for a quicker loop while developing; CI always runs everything.
set -uo pipefail
runs=" ${VQCHAR_RUNS:-host debug stock stock612 rt system} "

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/harness
out=$root/build/check
results=$out/results.txt
cd "$root"
rm -rf "$out"
mkdir -p "$out"
# Guests wait for a free slot (slot.sh) so they do not starve each other.
# Runs side by side (several checkouts) share slots by exporting one
# VQCHAR_SLOT_DIR for all of them.
export VQCHAR_SLOT_DIR=${VQCHAR_SLOT_DIR:-$out/slots}
mkdir -p "$VQCHAR_SLOT_DIR"
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
	# VQCHAR_CANARY=1: the harness, and only it, wants the leak canary.
	if make -C "$kdir" M="$dir" W=1 VQCHAR_CANARY=1 modules > "$out/build-$name.log" 2>&1; then
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

# --- kmod: Debian's 6.12 kernel and its PREEMPT_RT flavour -----------------
# Guests "stock612" and "rt" beside the 6.1 "stock" one: the module built
# with W=1 against each one's headers, the same userspace suite inside.
extra_guests=()
for flavour in 6.12:stock612 6.12-rt:rt; do
	run=${flavour#*:}
	[[ $runs == *" $run "* ]] || continue
	if ! kver=$("$here/stock-kernel.sh" "${flavour%%:*}"); then
		result FAIL "build/$run/module" "no ${flavour%%:*} kernel with headers installed"
		continue
	fi
	build_module "$run" "/usr/src/linux-headers-$kver" > "$out/status-$run" &&
		extra_guests+=("$run:$kver")
	cat "$out/status-$run"
done
# --- end kmod: 6.12 builds ------------------------------------------------

# --- host tests and guests, side by side ---------------------------------
# The three runs are independent; they run at once and are reported in a
# fixed order once all have ended.
pids=()
if [[ $runs == *" host "* ]]; then
	say "host tests (plain, ASan+UBSan, valgrind)"
	( nice -n 10 make -s -C lib WERROR=1 check > "$out/host.log" 2>&1; echo $? > "$out/host.rc" ) &
	pids+=($!)
fi

# Fuzzing the validators, a fixed budget (tests/fuzz/run.sh).
if [[ $runs == *" host "* ]]; then
	say "fuzz targets (tests/fuzz)"
	( nice -n 10 tests/fuzz/run.sh check > "$out/fuzz.log" 2>&1 ) &
	pids+=($!)
fi

# The packages on a booted Debian 12 system (tests/harness/system.sh).
if [[ $runs == *" system "* ]]; then
	say "booted-system test (Debian packages in Debian 12 guests)"
	( nice -n 10 "$here/system.sh" "$out" > "$out/system.results" 2> "$out/system.log" ) &
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

# VQCHAR_GUEST_ENV ("NAME=value ...") goes on the guests' kernel command
# line, which hands it to guest-init as environment (e.g. a long stress:
# "VQCHAR_STRESS_SECONDS=3600 VQ_TIMEOUT=3700", with VQCHAR_*_TIMEOUT).
guest_start() { # RUN KERNEL INITRD TIMEOUT NICENESS
	say "booting the $1 kernel"
	# shellcheck disable=SC2086
	nice -n "$5" "$here/slot.sh" "$here/boot.sh" "$2" "$3" "$out/$1" "$4" ${VQCHAR_GUEST_ENV:-} &
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
# --- kmod: 6.12 guests ------------------------------------------------------
for g in "${extra_guests[@]}"; do
	run=${g%%:*}
	kver=${g#*:}
	"$here/initramfs.sh" "$out/$run.cpio" "$out/kmod-$run" --deps "$kver" "${guest_bins[@]}" "${vm_tests[@]}"
	guest_start "$run" "/boot/vmlinuz-$kver" "$out/$run.cpio" "${VQCHAR_STOCK_TIMEOUT:-1500}" 10
	guests+=("$run")
done
# --- end kmod: 6.12 guests --------------------------------------------------
# --- static checks ------------------------------------------------------
# --- kmod: sparse (make C=2) on the module, against each kernel built -----
sparse_module() { # NAME KDIR
	local name=$1 kdir=$2 dir=$out/sparse-$1 log=$out/sparse-$1.log
	mkdir -p "$dir"
	rsync -a --delete Kbuild kmod common include tests "$dir/" --exclude build --exclude '*.o'
	if ! make -C "$kdir" M="$dir" C=2 modules > "$log" 2>&1; then
		result FAIL "style/sparse/$name" "see $log"
	elif grep -qE '(warning|error):' "$log"; then
		result FAIL "style/sparse/$name" "$(grep -m1 -E '(warning|error):' "$log")"
	else
		result PASS "style/sparse/$name"
	fi
}
if [ $debug_ok = 1 ]; then
	sparse_module debug "$ksrc_kdir"
	# That build is a plain one, as a user's make on a kmemleak kernel.
	if [ -e "$out/sparse-debug/tests/harness/canary/vqchar_leak_canary.ko" ]; then
		result FAIL build/debug/no-leak-canary-unless-asked "a plain build made the canary"
	else
		result PASS build/debug/no-leak-canary-unless-asked
	fi
fi
[ $stock_ok = 1 ] && sparse_module stock "/usr/src/linux-headers-$stock_kver"
# --- end kmod: sparse -----------------------------------------------------
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
[[ $runs == *" host "* ]] && python3 "$here/report.py" tap fuzz "$out/fuzz.log" "$results"
for run in "${guests[@]}"; do
	python3 "$here/report.py" guest "$run" "$out/$run.results.log" \
		"$out/$run.console.log" "$results"
done
[[ $runs == *" system "* ]] && tee -a "$results" < "$out/system.results"

python3 "$here/report.py" summary "$results" "$out/results.tap"
