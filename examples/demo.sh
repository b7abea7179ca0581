#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What "make demo" shows, inside the test guest once vqchar.ko is loaded:
# the module, a loopback round trip through vqctl, and a vhost-net round
# trip through the vhost_net example when the kernel has vhost-net.
PATH=/bin:$PATH

echo "=== vqchar demo ==="
echo
if [ -c /dev/vqchar ]; then
	echo "1. The vqchar module is loaded: /dev/vqchar is there."
else
	echo "1. /dev/vqchar is missing: the vqchar module did not load (see the kernel log)."
	exit 1
fi
vqctl info | sed 's/^/   /'
echo

echo "2. A loopback round trip: vqctl creates a virtqueue in the kernel, offers"
echo "   1000 chains of 256 bytes, the in-kernel loopback device copies each"
echo "   chain's data into its writable buffer, and vqctl checks every byte."
echo
out=$(vqctl run --device loopback --chains 1000 --size 256 --event-idx 2>&1)
status=$?
echo "$out" | sed 's/^/   /'
echo
if [ $status = 0 ]; then
	echo "   -> All chains came back intact; the counters show how few kicks and"
	echo "      calls the event index needed."
else
	echo "   -> The loopback run FAILED (status $status)."
fi
echo

echo "3. The same kind of ring, driven by the kernel's vhost-net instead of a"
echo "   vqchar device: frames go out through a tap device and come back."
echo
if [ -e /dev/vhost-net ] && [ -e /dev/net/tun ]; then
	out=$(vhost_net --count 3 2>&1)
	echo "$out" | sed 's/^/   /'
else
	echo "   (skipped: this kernel has no /dev/vhost-net or /dev/net/tun)"
fi
echo
echo "=== end of demo ==="
