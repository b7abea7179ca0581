# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0
# The round-robin driver of the bench guest scripts (ring_bench.sh,
# net_bench.sh), sourced by them; busybox sh.
#
# bench_rounds: runs each line of $configs ("NAME COMMAND [ARG]...", blank
# lines skipped) once per round, ROUNDS rounds, so that every
# configuration sees the same machine noise.  Prints
#   BENCH-ROUND <n>                 before each round
#   BENCH <name> <the command's standard output, one JSON object>
#   BENCH-FAILED <name> round <n>   (then its standard error, as comments)
# and returns non-zero when a run failed.  COMMAND is split into words,
# not evaluated: expand variables when setting $configs.
# shellcheck disable=SC2154 # configs is the caller's
bench_rounds() {
	_err=${TMPDIR:-/tmp}/bench_rounds.$$
	_failed=0
	_round=1
	while [ "$_round" -le "${ROUNDS:-5}" ]; do
		echo "BENCH-ROUND $_round"
		while read -r _name _cmd; do
			[ -n "$_name" ] || continue
			# stderr apart: on a terminal vqctl draws a progress line there.
			# shellcheck disable=SC2086 # _cmd is a word list
			if _out=$($_cmd 2> "$_err"); then
				echo "BENCH $_name $_out"
			else
				echo "BENCH-FAILED $_name round $_round"
				sed 's/^/# /' "$_err"
				_failed=$((_failed + 1))
			fi
		done <<-EOF
		$configs
		EOF
		_round=$((_round + 1))
	done
	rm -f "$_err"
	[ "$_failed" = 0 ]
}
