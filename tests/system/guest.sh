#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The booted-system test, inside the Debian 12 guest (tests/harness/system.sh
# boots it).  Run as root by the image's vqchar-systest.service from the
# test disk, which holds this script as run.sh, app.c and debs/*.deb.
#
# usage: run.sh RESULT_TTY
# Writes one "PASS|FAIL|SKIP step[ :: why]" line per step to RESULT_TTY,
# then "#VQ DONE".  Users "member" and "outsider" come with the image.
here=$(dirname "$0")
tty=$1
work=/run/vqsys
mkdir -p "$work"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

result() { # STATUS STEP [WHY]
	if [ -n "${3:-}" ]; then
		echo "$1 $2 :: $(printf '%s' "$3" | tr '\n' ' ' | cut -c1-300)" > "$tty"
	else
		echo "$1 $2" > "$tty"
	fi
	echo "systest: $1 $2 ${3:-}"
}
check() { # STEP WHY-ON-FAILURE COMMAND...
	step=$1 why=$2 log=$work/$(echo "$1" | tr / -).log
	shift 2
	t=$(date +%s)
	if "$@" > "$log" 2>&1; then
		result PASS "$step"
	else
		result FAIL "$step" "$why: $(grep -m3 -iE 'error|fail|denied' "$log" || tail -3 "$log")"
		sed "s|^|$step: |" "$log"
	fi
	echo "# $step took $(($(date +%s) - t)) s" > "$tty"
}
# Every file outside the pseudo filesystems and the package manager's and
# logs' own state: what the packages must give back on purge.
file_list() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
		-o -path /var/tmp -o -path /var/log -o -path /var/cache -o -path /var/lib/apt \
		-o -path /var/lib/dpkg -o -path /var/lib/systemd -o -path /var/lib/man-db \) \
		-prune -o -print | sort
}
vqchar_modules() { find /lib/modules -name 'vqchar.ko*'; }

echo "#VQ START $(uname -r)" > "$tty"
file_list > "$work/before"

debs=$(ls "$here"/debs/*.deb | grep -v -- '-dbgsym_')
echo "# booted and ready after $(cut -d' ' -f1 /proc/uptime) s" > "$tty"
check install "apt install of the four packages failed" apt-get install -y $debs

kver=$(uname -r)
if [ -n "$(find "/lib/modules/$kver" -name 'vqchar.ko*')" ]; then
	result PASS dkms/running-kernel
else
	result FAIL dkms/running-kernel "no vqchar.ko under /lib/modules/$kver: $(dkms status 2>&1 | tr '\n' ' ')"
fi
for k in $(dkms status vqchar 2>/dev/null | sed -n 's/^vqchar[^,]*, \([^,]*\),.*installed.*/\1/p'); do
	echo "# dkms installed vqchar for $k" > "$tty"
done

check modprobe "modprobe vqchar failed" modprobe vqchar
check modprobe/from-dkms "modprobe did not load the DKMS module" \
	sh -c 'modinfo -n vqchar | grep -q /updates/dkms/'

udevadm settle
perm=$(stat -c '%U:%G %a' /dev/vqchar 2>&1)
if [ "$perm" = "root:vqchar 660" ]; then
	result PASS udev/dev-vqchar-root-vqchar-0660
else
	result FAIL udev/dev-vqchar-root-vqchar-0660 "/dev/vqchar is $perm"
fi

usermod -a -G vqchar member
check member/vqctl-run "vqctl run as a group member failed" \
	runuser -u member -- vqctl run --device loopback --chains 1000
# /run is noexec: the program lives in /tmp (outside the file list).
app=/tmp/vqsys-app
mkdir -p "$app" && cp "$here/app.c" "$app/" && chown -R member "$app"
check member/cc-pkg-config "cc \$(pkg-config --cflags --libs libvqchar) failed" \
	runuser -u member -- sh -c "cd $app && cc -Wall -Werror -o app app.c \$(pkg-config --cflags --libs libvqchar)"
check member/app "the program built against libvqchar-dev failed" \
	runuser -u member -- "$app/app"
check member/app-uses-libvqchar1 "the program is not linked to the packaged libvqchar.so.1" \
	sh -c "ldd $app/app | grep -q '/libvqchar.so.1 '"

if runuser -u outsider -- vqctl run --device loopback --chains 10 > "$work/outsider.log" 2>&1; then
	result FAIL outsider/permission-error "vqctl run worked for a user outside the group"
elif grep -q 'permission denied' "$work/outsider.log"; then
	result PASS outsider/permission-error
else
	result FAIL outsider/permission-error "no clear message: $(head -2 "$work/outsider.log")"
fi

# Every manual page the packages ship renders without a warning.
pages=$(dpkg -L vqchar-dkms libvqchar1 libvqchar-dev vqchar-utils | grep '^/usr/share/man/man./.')
for want in man1/vqctl.1 man7/libvqchar.7 man4/vqchar.4; do
	echo "$pages" | grep -q "/$want" || result SKIP "man/${want#*/}" "not shipped: not in man/ of this tree"
done
echo "$pages" | grep -q '/man3/' || result SKIP man/section-3 "no section 3 pages in man/ of this tree"
for f in $pages; do
	[ -f "$f" ] || continue
	page=${f##*/}
	page=${page%.gz}
	name=${page%.*}
	sec=${page##*.}
	if MANWIDTH=80 man --warnings "$sec" "$name" > "$work/man.out" 2> "$work/man.err" &&
		[ ! -s "$work/man.err" ] && grep -qi "$name" "$work/man.out"; then
		result PASS "man/$page"
	else
		result FAIL "man/$page" "$(head -2 "$work/man.err")"
	fi
done

check rmmod "rmmod vqchar failed" rmmod vqchar
check purge "apt purge failed" apt-get purge -y vqchar-dkms libvqchar1 libvqchar-dev vqchar-utils
left=$(vqchar_modules)
if [ -z "$left" ]; then
	result PASS purge/module-gone-from-every-kernel
else
	result FAIL purge/module-gone-from-every-kernel "$left"
fi
file_list > "$work/after"
if cmp -s "$work/before" "$work/after"; then
	result PASS purge/no-file-left-behind
else
	result FAIL purge/no-file-left-behind "$(diff "$work/before" "$work/after" | grep '^[<>]' | head -5)"
fi
echo "#VQ DONE" > "$tty"
# The unit powers the guest off too; this does not depend on systemd.
sync
echo 1 > /proc/sys/kernel/sysrq
echo o > /proc/sysrq-trigger
