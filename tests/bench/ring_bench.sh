#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the bench guest (tests/harness/bench.sh), every configuration
# once per round, round after round (bench_rounds.sh), so that every
# configuration sees the same machine noise.  One line per run:
#   BENCH <name> <JSON object>
# tests/harness/bench.py turns them into medians and per-round ratios.
#
#   vqctl run, eight configurations (throughput and signalling);
#   rt_*     tools/virtio/ringtest's virtio_ring_0_9, when present;
#   lib_*    its equivalent on libvqchar's anonymous backend (lib_ringbench);
#   kern_*   the same driver loop on the in-kernel loopback device;
#   rtt_*    one chain in flight, beside an eventfd ping-pong;
#   vqctl_*  vqctl run with the settings of a kern_* loop.
# The ring loops are timed from outside (lib_ringbench --time), process
# start and exit included, ringtest and the library alike.
#
# ROUNDS, CHAINS (vqctl and ring loops) and RTT (round trips, default
# CHAINS / 50 + 1: a notified round trip under emulation can take a
# scheduler tick) size the run; POLL is the polling queues' poll_usecs.
here=$(dirname "$0")
VQCTL=${VQCTL:-/bin/vqctl}
RB=${RB:-$here/lib_ringbench}
RT=${RT:-$here/virtio_ring_0_9}
ROUNDS=${ROUNDS:-5}
CHAINS=${CHAINS:-100000}
RTT=${RTT:-$((CHAINS / 50 + 1))}
POLL=${POLL:-10000}
# shellcheck source=tests/bench/bench_rounds.sh
. "${BENCH_ROUNDS_SH:-$here/bench_rounds.sh}"

T="$RB --time"
# The two threads of ringtest and of the anonymous backend on CPUs 0 and
# 1, where the scheduler would place them differently run by run.  The
# kernel backend's device is the module's worker: unpinned, as vqctl is.
PIN_RT="--guest-affinity 0 --host-affinity 1"
PIN="--driver-cpu 0 --device-cpu 1"
C="--run-cycles $CHAINS"
K="$RB --kernel --size 16 --event-idx $C"
V="$VQCTL run --json --device loopback --size 16 --event-idx --chains $CHAINS"
# The first is the baseline of the vqctl table.
configs="
base		$VQCTL run --json --chains $CHAINS --device loopback --size 256 --batch 32
event_idx	$VQCTL run --json --chains $CHAINS --device loopback --size 256 --batch 32 --event-idx
batch_1		$VQCTL run --json --chains $CHAINS --device loopback --size 256 --batch 1
batch_1_event_idx	$VQCTL run --json --chains $CHAINS --device loopback --size 256 --batch 1 --event-idx
indirect	$VQCTL run --json --chains $CHAINS --device loopback --size 256 --batch 32 --indirect
size_4k		$VQCTL run --json --chains $CHAINS --device loopback --size 4k --batch 32
sink		$VQCTL run --json --chains $CHAINS --device sink --size 256 --batch 32
source		$VQCTL run --json --chains $CHAINS --device source --size 256 --batch 32
rt_busy_1	$T $RT $PIN_RT $C --batch 1
lib_busy_1	$T $RB $PIN $C --batch 1 --event-idx
rt_busy_32	$T $RT $PIN_RT $C --batch 32
lib_busy_32	$T $RB $PIN $C --batch 32 --event-idx
rt_sleep_1	$T $RT $PIN_RT $C --batch 1 --sleep
lib_sleep_1	$T $RB $PIN $C --batch 1 --sleep --event-idx
rt_sleep_32	$T $RT $PIN_RT $C --batch 32 --sleep
lib_sleep_32	$T $RB $PIN $C --batch 32 --sleep --event-idx
lib_sleep_64	$T $RB $PIN $C --batch 64 --sleep --event-idx
kern_sleep_1	$T $K --batch 1 --sleep
kern_sleep_32	$T $K --batch 32 --sleep
kern_sleep_64	$T $K --batch 64 --sleep
kern_poll_32	$T $K --batch 32 --poll-usecs $POLL
kern_sleep_poll_32	$T $K --batch 32 --sleep --poll-usecs $POLL
vqctl_sleep_32	$T $V --batch 32
vqctl_poll_32	$T $V --batch 32 --poll-usecs $POLL
vqctl_64	$T $V --batch 64
pingpong	$RB $PIN --pingpong --run-cycles $RTT
rtt_anon	$RB $PIN --rtt --sleep --event-idx --run-cycles $RTT
rtt_kernel	$RB --kernel --rtt --sleep --event-idx --run-cycles $RTT
"
# ringtest (rt_*) only when it was built.
if [ ! -x "$RT" ]; then
	echo "# ring_bench: no $RT; the ringtest comparisons are left out"
	configs=$(echo "$configs" | grep -v '^rt_')
fi
bench_rounds
