#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the net bench guest (tests/bench/net_run.sh): "vqctl net" on
# a tun, through libvqchar's net API (vhost-net) and through the tun fd
# (write()/read(), and writev()/read() with IFF_VNET_HDR + TSO), every
# configuration once per round, round after round, so that every one sees
# the same machine noise.  One line per run:
#   BENCH <name> <vqctl's JSON object>
# CHAINS packets per run (64 KiB GSO runs send CHAINS / 16).
VQCTL=${VQCTL:-/bin/vqctl}
ROUNDS=${ROUNDS:-5}
CHAINS=${CHAINS:-50000}
GSO=$((CHAINS / 16))
err=${TMPDIR:-/tmp}/net_bench.err

configs="
tx_64_vhost		tx --via vhost --size 64 --frames $CHAINS
tx_64_vhost_zc		tx --via vhost --size 64 --frames $CHAINS --zero-copy
tx_64_vhost_kernel	tx --via vhost --size 64 --frames $CHAINS --backend kernel
tx_64_write		tx --via fd --size 64 --frames $CHAINS
tx_512_vhost		tx --via vhost --size 512 --frames $CHAINS
tx_512_write		tx --via fd --size 512 --frames $CHAINS
tx_1500_vhost		tx --via vhost --size 1500 --frames $CHAINS
tx_1500_write		tx --via fd --size 1500 --frames $CHAINS
tx_gso_vhost		tx --via vhost --gso --frames $GSO
tx_gso_writev		tx --via fd-vnet --gso --frames $GSO
rx_64_vhost		rx --via vhost --size 64 --frames $CHAINS
rx_64_vhost_kernel	rx --via vhost --size 64 --frames $CHAINS --backend kernel
rx_64_read		rx --via fd --size 64 --frames $CHAINS
rx_512_vhost		rx --via vhost --size 512 --frames $CHAINS
rx_512_read		rx --via fd --size 512 --frames $CHAINS
rx_1500_vhost		rx --via vhost --size 1500 --frames $CHAINS
rx_1500_read		rx --via fd --size 1500 --frames $CHAINS
rx_gso_vhost		rx --via vhost --gso --frames $GSO
rx_gso_read_vnet	rx --via fd-vnet --gso --frames $GSO
"

failed=0
round=1
while [ "$round" -le "$ROUNDS" ]; do
	while read -r name opts; do
		[ -n "$name" ] || continue
		# shellcheck disable=SC2086 # opts is a word list
		if json=$("$VQCTL" net $opts --json 2> "$err"); then
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
