#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "vqctl net" (tools/vqctl/net.c) in the guest: every path the net bench
# uses, tiny, plus its usage errors.  busybox sh; prints TAP.
VQCTL=${VQCTL:-/bin/vqctl}
tmp=${TMPDIR:-/tmp}/vqctl-net.$$
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
json_num() { sed -n "s/.*\"$1\":\([0-9][0-9.]*\).*/\1/p" "$tmp/out"; }

runs='
tx --via vhost --size 64 --frames 1000
tx --via vhost --size 1500 --frames 1000 --zero-copy
tx --via vhost --size 64 --frames 1000 --backend kernel
tx --via vhost --size 64 --frames 1000 --busy-poll 20
tx --via vhost --gso --frames 20
tx --via fd --size 512 --frames 1000
tx --via fd-vnet --gso --frames 20
rx --via vhost --size 64 --frames 1000
rx --via vhost --size 1500 --frames 1000 --backend kernel
rx --via vhost --gso --frames 20
rx --via fd --size 512 --frames 1000
rx --via fd-vnet --gso --frames 20
'
echo "TAP version 13"
echo "1..16"
if [ ! -e /dev/vhost-net ] || [ ! -e /dev/net/tun ]; then
	i=0
	while [ $i -lt 16 ]; do ok "vqctl net # SKIP no vhost-net or tun"; i=$((i + 1)); done
	exit 0
fi

"$VQCTL" net --help > "$tmp/out" 2> "$tmp/err"
if [ $? = 0 ] && grep -q 'fd-vnet' "$tmp/out"; then ok "net --help"; else not_ok "net --help"; fi
"$VQCTL" net sideways > "$tmp/out" 2> "$tmp/err"
if [ $? = 2 ]; then ok "an unknown direction is a usage error"; else not_ok "an unknown direction is a usage error"; fi
"$VQCTL" net tx --via fd --gso > "$tmp/out" 2> "$tmp/err"
if [ $? = 2 ]; then ok "--gso on a plain fd is a usage error"; else not_ok "--gso on a plain fd is a usage error"; fi
"$VQCTL" net rx --zero-copy > "$tmp/out" 2> "$tmp/err"
if [ $? = 2 ]; then ok "--zero-copy on rx is a usage error"; else not_ok "--zero-copy on rx is a usage error"; fi

while read -r dir opts; do
	[ -n "$dir" ] || continue
	name="net $dir $opts"
	# shellcheck disable=SC2086 # opts is a word list
	"$VQCTL" net $dir $opts --json > "$tmp/out" 2> "$tmp/err"
	st=$?
	pk=$(json_num packets)
	sent=$(json_num sent)
	bytes=$(json_num bytes)
	size=$(json_num size)
	if [ "$st" != 0 ] || [ -z "$pk" ] || [ "$pk" -le 0 ] || [ "$pk" -gt "$sent" ]; then
		echo "# exit $st, packets '$pk' of '$sent'"
		not_ok "$name"
		continue
	fi
	# Transmit counts every packet; receive whole packets of the size sent
	# (a 64 KiB GSO packet arrives as one).
	if [ "$dir" = tx ] && [ "$pk" != "$sent" ]; then
		echo "# $pk of $sent packets"; not_ok "$name"; continue
	fi
	if [ "$dir" = rx ] && [ "$bytes" != $((pk * size)) ]; then
		echo "# $bytes bytes in $pk packets of $size"; not_ok "$name"; continue
	fi
	# Where the time went: this thread's CPU, and the vhost-net worker's
	# (-1, which json_num does not match, when it was not found).
	case "$opts" in *"--via vhost"*) worker=$(json_num vhost_cpu_seconds) ;; *) worker=0 ;; esac
	if [ -z "$(json_num cpu_seconds)" ] || [ -z "$worker" ]; then
		echo "# CPU seconds missing: '$(json_num cpu_seconds)', worker '$worker'"
		not_ok "$name"; continue
	fi
	ok "$name"
done <<-EOF
	$runs
	EOF
[ "$failed" = 0 ]
