#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the newest installed distribution kernel of a flavour that has both
# an image and headers; exit 1 when there is none.
#
# usage: stock-kernel.sh [FLAVOUR]
#   6.1      Debian 12's own kernel (6.1.*-amd64), the default: the stock
#            kernel of the compatibility run and of make bench
#   6.12     Debian 12's 6.12 kernel (6.12.*+deb12-amd64)
#   6.12-rt  the same with PREEMPT_RT (6.12.*+deb12-rt-amd64)
case ${1:-6.1} in
6.1) pattern='6.1.*-amd64' ;;
6.12) pattern='6.12.*+deb12-amd64' ;;
6.12-rt) pattern='6.12.*+deb12-rt-amd64' ;;
*) echo "stock-kernel.sh: unknown flavour $1" >&2; exit 2 ;;
esac
kver=$(
	for d in /lib/modules/$pattern; do
		k=${d##*/}
		# 6.1.* also matches no 6.12, but rt must not pass for plain.
		case $k in *-rt-amd64) [ "${1:-6.1}" = 6.12-rt ] || continue ;; esac
		[ -f "/boot/vmlinuz-$k" ] && [ -d "/usr/src/linux-headers-$k" ] && echo "$k"
	done | sort -V | tail -1
)
[ -n "$kver" ] || exit 1
echo "$kver"
