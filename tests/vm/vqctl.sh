#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vqctl (tools/vqctl) against the in-kernel devices of a loaded vqchar
# module.  busybox sh; prints TAP, exits non-zero when a check fails.
VQCTL=${VQCTL:-/bin/vqctl}
tmp=${TMPDIR:-/tmp}/vqctl-test.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"
	[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err" | head -20
	[ -s "$tmp/out" ] && sed 's/^/# stdout: /' "$tmp/out" | head -20
}
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
# check NAME EXPECTED_STATUS COMMAND...: run, keep stdout/stderr, compare status.
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
# json_num FILE KEY: the number after "KEY": in a one-line JSON object.
json_num() { sed -n "s/.*\"$2\":\([0-9][0-9.]*\).*/\1/p" "$tmp/$1"; }

echo "TAP version 13"
echo "1..31"

if [ ! -x "$VQCTL" ]; then
	echo "# $VQCTL missing"
	i=0
	while [ $i -lt 31 ]; do not_ok "vqctl present"; i=$((i + 1)); done
	exit 1
fi

# Manual and usage errors.
check "help: --help exits 0" 0 "$VQCTL" --help
has "help: man page sections" out "EXIT STATUS"
check "help: 'vqctl help' exits 0" 0 "$VQCTL" help
has "help: SYNOPSIS shows run" out "vqctl run --device"
check "usage: unknown option exits 2" 2 "$VQCTL" run --device loopback --frobnicate
has "usage: unknown option is named, with usage" err "unknown option '--frobnicate'"
check "usage: unknown device exits 2" 2 "$VQCTL" run --device teapot
check "usage: missing --device exits 2" 2 "$VQCTL" run --chains 10
check "usage: --num not a power of two exits 2" 2 "$VQCTL" run --device sink --num 100
check "usage: unknown command exits 2" 2 "$VQCTL" frobnicate
has "usage: message says usage" err "usage: vqctl run"

# info
if [ ! -c /dev/vqchar ]; then
	echo "# /dev/vqchar missing: the module did not load"
fi
check "info exits 0" 0 "$VQCTL" info
has "info: API version" out "API version:        2"
check "info --json exits 0" 0 "$VQCTL" info --json
has "info --json: api_version" out '"api_version":2'

# Each device, with and without the event index.
for dev in loopback sink source; do
	check "run: $dev" 0 "$VQCTL" run --device $dev --chains 2000 --size 512 --quiet
	check "run: $dev --event-idx" 0 "$VQCTL" run --device $dev --chains 2000 --size 512 \
		--event-idx --quiet
done
check "run: loopback --indirect, 4 KiB" 0 "$VQCTL" run --device loopback --chains 500 \
	--size 4k --indirect --quiet
check "run: loopback 200 KiB chains (multi-segment)" 0 "$VQCTL" run --device loopback \
	--chains 40 --size 200k --num 64 --quiet
check "run: source, ring of 8, batch 1" 0 "$VQCTL" run --device source --chains 300 \
	--size 100 --num 8 --batch 1 --quiet

# JSON: one object on one line, with the counts.
check "json: loopback run exits 0" 0 "$VQCTL" run --device loopback --chains 777 --size 300 --json
lines=$(wc -l < "$tmp/out")
if [ "$lines" = 1 ] && grep -q '^{.*}$' "$tmp/out"; then
	ok "json: one object on one line"
else
	not_ok "json: one object on one line"
fi
has "json: \"chains\":777" out '"chains":777'
v=$(json_num out verified)
f=$(json_num out verify_failures)
if [ "$v" = 777 ] && [ "$f" = 0 ]; then
	ok "json: verified 777 chains, 0 failures"
else
	echo "# verified=$v verify_failures=$f"
	not_ok "json: verified 777 chains, 0 failures"
fi
k=$(json_num out kicks)
c=$(json_num out calls)
if [ -n "$k" ] && [ "$k" -gt 0 ] && [ -n "$c" ] && [ "$c" -gt 0 ]; then
	ok "json: kernel counted kicks ($k) and calls ($c)"
else
	not_ok "json: kernel counted kicks and calls"
fi

# Human output says what was verified.
check "text: source run exits 0" 0 "$VQCTL" run --device source --chains 100 --size 64
has "text: verification line" out "all 100 chains came back as expected"

[ $n = 31 ] || echo "# ran $n checks, planned 31"
[ $failed = 0 ] && [ $n = 31 ]
