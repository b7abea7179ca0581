# SPDX-License-Identifier: GPL-2.0
#
# Packaging targets, included by the top Makefile.
#
#   make deb            the four Debian packages, in build/deb/ (checked by lintian)
#   make dkms-install   register this checkout's module with DKMS and build it
#                       for the running kernel, or for KVER=... (root)
#   make dkms-remove    unregister it and remove its source from /usr/src
#
# VERSION is the one place the version is written: lib/Makefile,
# debian/rules (which refuses a debian/changelog that disagrees) and the
# DKMS source directory all read it.

VQCHAR_VERSION := $(shell cat $(dir $(lastword $(MAKEFILE_LIST)))VERSION)
# What DKMS needs to build kmod/vqchar.ko, nothing more.
DKMS_SOURCES := Kbuild $(wildcard kmod/*.[ch] common/*.[ch]) include/uapi/linux/vqchar.h
DKMS_DIR = $(DESTDIR)/usr/src/vqchar-$(VQCHAR_VERSION)
DEB_DIR := $(BUILD)/deb

.PHONY: deb deb-build dkms-source dkms-install dkms-remove

# The module source under $(DESTDIR)/usr/src (debian/rules uses it too).
dkms-source:
	for f in $(DKMS_SOURCES); do install -D -m 644 $$f $(DKMS_DIR)/$$f || exit 1; done

dkms-install: dkms-source
	sed 's/#MODULE_VERSION#/$(VQCHAR_VERSION)/' dkms.conf > $(DKMS_DIR)/dkms.conf
	if [ -n "$$(dkms status vqchar/$(VQCHAR_VERSION))" ]; then \
		dkms remove vqchar/$(VQCHAR_VERSION) --all; fi
	dkms add vqchar/$(VQCHAR_VERSION)
	dkms install vqchar/$(VQCHAR_VERSION) $(if $(KVER),-k $(KVER))

dkms-remove:
	if [ -n "$$(dkms status vqchar/$(VQCHAR_VERSION))" ]; then \
		dkms remove vqchar/$(VQCHAR_VERSION) --all; fi
	rm -rf $(DKMS_DIR)

# Built from a copy of the tracked files, so the checkout stays clean and
# untracked build products never reach a package.
deb: deb-build
	lintian --fail-on error,warning $(DEB_DIR)/vqchar_$(VQCHAR_VERSION)_*.changes

deb-build:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/vqchar-$(VQCHAR_VERSION)
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then \
		git ls-files --cached --others --exclude-standard > $(DEB_DIR)/files && \
		rsync -a --files-from=$(DEB_DIR)/files --ignore-missing-args ./ $(DEB_DIR)/vqchar-$(VQCHAR_VERSION)/; \
	else \
		rsync -a --exclude /build --exclude .git ./ $(DEB_DIR)/vqchar-$(VQCHAR_VERSION)/; \
	fi
	cd $(DEB_DIR)/vqchar-$(VQCHAR_VERSION) && dpkg-buildpackage -b --no-sign
