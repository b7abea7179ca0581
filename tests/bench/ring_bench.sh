#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the bench guest (tests/harness/bench.sh): each configuration
# of "vqctl run" once per round, round after round, so that every
# configuration sees the same machine noise.  One line per run:
#   BENCH <name> <vqctl's JSON object>
VQCTL=${VQCTL:-/bin/vqctl}
ROUNDS=${ROUNDS:-5}
CHAINS=${CHAINS:-100000}
err=${TMPDIR:-/tmp}/ring_bench.err

# name and vqctl options; the first is the baseline of the ratios.
configs='
base		--device loopback --size 256 --batch 32
event_idx	--device loopback --size 256 --batch 32 --event-idx
batch_1		--device loopback --size 256 --batch 1
batch_1_event_idx	--device loopback --size 256 --batch 1 --event-idx
indirect	--device loopback --size 256 --batch 32 --indirect
size_4k		--device loopback --size 4k --batch 32
sink		--device sink --size 256 --batch 32
source		--device source --size 256 --batch 32
'

failed=0
round=1
while [ "$round" -le "$ROUNDS" ]; do
	while read -r name opts; do
		[ -n "$name" ] || continue
		# stderr apart: on a terminal vqctl draws a progress line there.
		# shellcheck disable=SC2086 # opts is a word list
		if json=$("$VQCTL" run --json --chains "$CHAINS" $opts 2> "$err"); then
			echo "BENCH $name $json"
		else
			echo "BENCH-FAILED $name round $round"
			sed 's/^/# /' "$err"
			failed=$((failed + 1))
		fi
	done <<-EOF
	$configs
	EOF
	round=$((round + 1))
done
rm -f "$err"
[ "$failed" = 0 ]
