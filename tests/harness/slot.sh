#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# slot.sh COMMAND...: run COMMAND once one of VQCHAR_GUEST_SLOTS (default 3)
# guest slots is free.  make check boots up to seven TCG guests; on a small
# machine running them all at once only starves each of them, which makes
# in-guest timeouts and the soft-lockup and RCU-stall detectors fire for
# nothing.  The slots are lock files in VQCHAR_SLOT_DIR; without it the
# command runs at once.
set -u
[ -n "${VQCHAR_SLOT_DIR:-}" ] || exec "$@"
n=${VQCHAR_GUEST_SLOTS:-3}
while :; do
	for i in $(seq 1 "$n"); do
		exec 8>"$VQCHAR_SLOT_DIR/slot.$i"
		if flock -n 8; then
			"$@"
			exit $?
		fi
	done
	sleep 1
done
