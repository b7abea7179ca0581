#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vqctl run's checks (tools/vqctl): cheap, and still able to fail.  A byte
# flipped by VQCTL_TEST_CORRUPT must be caught wherever it is; the loop
# makes no read/write system calls per chain beyond kicks and waits.  What
# the checks cost next to the bare library loop is a ratio of make bench
# (tests/bench/ring_bench.sh), not a timed test.  busybox sh; prints TAP.
VQCTL=${VQCTL:-/bin/vqctl}
tmp=${TMPDIR:-/tmp}/vqctl-verify.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"
	[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err" | head -10
	[ -s "$tmp/out" ] && sed 's/^/# stdout: /' "$tmp/out" | head -10
}
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
# check NAME EXPECTED_STATUS COMMAND...
check() {
	name=$1 want=$2
	shift 2
	"$@" > "$tmp/out" 2> "$tmp/err"
	st=$?
	if [ "$st" = "$want" ]; then ok "$name"; return 0; fi
	echo "# '$*' exited $st, expected $want"
	not_ok "$name"
	return 1
}
# has NAME FILE PATTERN: FILE contains PATTERN (fixed string).
has() {
	if grep -qF -- "$3" "$tmp/$2"; then ok "$1"; else echo "# no '$3' in $2"; not_ok "$1"; fi
}
# json NAME KEY: the number after "KEY": in $tmp/NAME.
json() { sed -n "s/.*\"$2\":\(-*[0-9][0-9.]*\).*/\1/p" "$tmp/$1"; }

echo "TAP version 13"
echo "1..15"

# A flipped byte is caught: in the chain's number, its body, the last
# byte of a multi-segment chain, the source's pattern.
check "corrupt: clean loopback run passes" 0 "$VQCTL" run --device loopback --chains 200 \
	--size 4k --quiet
check "corrupt: a body byte fails the run (exit 1)" 1 \
	env VQCTL_TEST_CORRUPT=5:100 "$VQCTL" run --device loopback --chains 200 --size 4k --quiet
has "corrupt: the report names chain and byte" err "chain 5: byte 100 is"
check "corrupt: the chain's number fails the run" 1 \
	env VQCTL_TEST_CORRUPT=3:0 "$VQCTL" run --device loopback --chains 200 --size 4k --quiet
has "corrupt: byte 0 reported" err "chain 3: byte 0 is"
check "corrupt: last byte of a 200 KiB chain fails the run" 1 \
	env VQCTL_TEST_CORRUPT=7:204799 "$VQCTL" run --device loopback --chains 20 --size 200k --num 64 --quiet
has "corrupt: byte 204799 reported" err "chain 7: byte 204799 is"
check "corrupt: the source's pattern fails the run" 1 \
	env VQCTL_TEST_CORRUPT=9:77 "$VQCTL" run --device source --chains 200 --size 1000 --quiet
has "corrupt: source byte reported" err "chain 9: byte 77 is"
check "corrupt: a bad VQCTL_TEST_CORRUPT is a usage error" 2 \
	env VQCTL_TEST_CORRUPT=junk "$VQCTL" run --device loopback --chains 10 --quiet

# --poll-usecs
check "poll: --poll-usecs 1000 runs" 0 "$VQCTL" run --device loopback --chains 2000 \
	--size 64 --poll-usecs 1000 --json
has "poll: JSON carries poll_usecs" out '"poll_usecs":1000'
check "poll: above the module's max_poll_usecs exits 3" 3 "$VQCTL" run --device loopback \
	--chains 10 --poll-usecs 4000000000
check "poll: not a number exits 2" 2 "$VQCTL" run --device loopback --poll-usecs soon

# No system calls per chain: read/write calls within kicks + 2 per wait.
if "$VQCTL" run --device loopback --chains 20000 --size 64 --batch 32 --event-idx --json \
	> "$tmp/sys" 2> "$tmp/err"; then
	rw=$(json sys rw_syscalls) kicks=$(json sys kicks_sent) waits=$(json sys waits)
	if [ "$rw" = -1 ]; then
		skip "syscalls: none per chain" "no /proc/self/io"
	elif [ "$rw" -le $((kicks + 2 * waits + 16)) ] && [ "$rw" -lt 5000 ]; then
		ok "syscalls: none per chain ($rw read/write for 20000 chains, $kicks kicks, $waits waits)"
	else
		echo "# $rw read/write calls, $kicks kicks, $waits waits for 20000 chains"
		not_ok "syscalls: none per chain"
	fi
else
	not_ok "syscalls: none per chain (run failed)"
fi

[ "$failed" = 0 ]
