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
# shellcheck source=tests/bench/bench_rounds.sh
. "${BENCH_ROUNDS_SH:-$(dirname "$0")/bench_rounds.sh}"

N="$VQCTL net"

configs="
tx_64_vhost	$N tx --via vhost --size 64 --frames $CHAINS --json
tx_64_vhost_zc	$N tx --via vhost --size 64 --frames $CHAINS --zero-copy --json
tx_64_vhost_kernel	$N tx --via vhost --size 64 --frames $CHAINS --backend kernel --json
tx_64_write	$N tx --via fd --size 64 --frames $CHAINS --json
tx_512_vhost	$N tx --via vhost --size 512 --frames $CHAINS --json
tx_512_write	$N tx --via fd --size 512 --frames $CHAINS --json
tx_1500_vhost	$N tx --via vhost --size 1500 --frames $CHAINS --json
tx_1500_write	$N tx --via fd --size 1500 --frames $CHAINS --json
tx_gso_vhost	$N tx --via vhost --gso --frames $GSO --json
tx_gso_writev	$N tx --via fd-vnet --gso --frames $GSO --json
rx_64_vhost	$N rx --via vhost --size 64 --frames $CHAINS --json
rx_64_vhost_kernel	$N rx --via vhost --size 64 --frames $CHAINS --backend kernel --json
rx_64_read	$N rx --via fd --size 64 --frames $CHAINS --json
rx_512_vhost	$N rx --via vhost --size 512 --frames $CHAINS --json
rx_512_read	$N rx --via fd --size 512 --frames $CHAINS --json
rx_1500_vhost	$N rx --via vhost --size 1500 --frames $CHAINS --json
rx_1500_read	$N rx --via fd --size 1500 --frames $CHAINS --json
rx_gso_vhost	$N rx --via vhost --gso --frames $GSO --json
rx_gso_read_vnet	$N rx --via fd-vnet --gso --frames $GSO --json
"
bench_rounds
