#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the newest distribution kernel that has both an image and headers
# installed (the stock kernel of the compatibility run and of make bench);
# exit 1 when there is none.
kver=
for d in /lib/modules/*; do
	k=${d##*/}
	[ -f "/boot/vmlinuz-$k" ] && [ -d "/usr/src/linux-headers-$k" ] && kver=$k
done
[ -n "$kver" ] || exit 1
echo "$kver"
