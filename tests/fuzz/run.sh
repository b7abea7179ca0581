#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Run the libFuzzer targets of tests/fuzz and print TAP, one result per
# target, with the executions and the seed in "#" lines.
#
#   run.sh check    a fixed number of executions per target (make check)
#   run.sh fuzz     at nice 19, FUZZ_SECONDS (default 600) per target, and
#                   on until FUZZ_MIN_EXECS (default 1000000) executions
#                   when a loaded machine got fewer (make fuzz); new corpus
#                   entries go to build/fuzz/corpus
#
# Each target first replays its seeds (corpus/<target>) and the inputs
# that once found a defect (regressions/<target>); a crash leaves its
# input in build/fuzz/crash-*; replay it with build/fuzz/<target> FILE.
# VQCHAR_FUZZ_SEED fixes libFuzzer's seed (printed either way).
set -uo pipefail
mode=${1:-check}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/build/fuzz
targets=(fuzz_chain_walk fuzz_lib_used fuzz_lib_dev)
# Executions per target in check mode: a few seconds each on a quiet machine.
declare -A check_runs=([fuzz_chain_walk]=200000 [fuzz_lib_used]=50000 [fuzz_lib_dev]=50000)

mkdir -p "$out"
if ! make -s -C "$here" OUT="$out" > "$out.build.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 build # see $out.build.log"
	sed 's/^/# /' "$out.build.log" | tail -20
	exit 1
fi

echo "1..${#targets[@]}"
n=0
fail=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	seed=${VQCHAR_FUZZ_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}
	work=$out/corpus/$t
	mkdir -p "$work"
	log=$out/$t.log
	regressions=()
	[ -d "$here/regressions/$t" ] && regressions=("$here/regressions/$t")
	if [ "$mode" = fuzz ]; then
		budget=(-max_total_time="${FUZZ_SECONDS:-600}")
		prio=(nice -n 19)
	else
		budget=(-runs="${check_runs[$t]}")
		prio=()
	fi
	# Regression inputs are replayed one by one (a crash stops the target).
	rc=0
	if [ ${#regressions[@]} -gt 0 ]; then
		"$out/$t" -runs=0 "${regressions[@]}"/* > "$log.regressions" 2>&1 || rc=$?
	fi
	execs=0
	secs=0
	: > "$log"
	while [ $rc = 0 ]; do
		"${prio[@]}" "$out/$t" "${budget[@]}" -seed="$seed" -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$out/crash-$t-" -print_final_stats=1 \
			"$work" "$here/corpus/$t" > "$log.part" 2>&1 || rc=$?
		cat "$log.part" >> "$log"
		e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.part" | tail -1)
		s=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log.part" | tail -1)
		execs=$((execs + ${e:-0}))
		secs=$((secs + ${s:-0}))
		min=${FUZZ_MIN_EXECS:-1000000}
		[ "$mode" = fuzz ] && [ "$execs" -lt "$min" ] && [ -n "$e" ] || break
		budget=(-runs=$((min - execs)))
		seed=$((seed + 1))
	done
	cov=$(grep -o 'cov: [0-9]*' "$log" 2>/dev/null | tail -1)
	echo "# $t: ${execs:-0} executions in ${secs:-?} s, ${cov:-cov: ?}, seed $seed," \
		"$(ls "$here/corpus/$t" | wc -l) seeds, $(ls "${regressions[@]:-/nonexistent}" 2>/dev/null | wc -l) regression inputs"
	if [ $rc = 0 ]; then
		echo "# $t: 0 crashes"
		echo "ok $n $t"
	else
		fail=1
		echo "# $t: crash (exit $rc), input in $out/crash-$t-*, log $log"
		grep -E 'invariant broken|ERROR:|SUMMARY|runtime error' "$log" "$log.regressions" 2>/dev/null |
			head -5 | sed 's/^/# /'
		echo "not ok $n $t"
	fi
done
exit $fail
