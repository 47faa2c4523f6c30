#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load sdp.ko in the guest: /sdp/load-sdp.sh [module parameters...]
# Does nothing if sdp is already loaded. Exit status: 0 loaded, 1 failed,
# 2 sdp.ko not in the image.
grep -q '^sdp ' /proc/modules && exit 0
if [ ! -f /sdp/sdp.ko ]; then
	echo "load-sdp: /sdp/sdp.ko is not in this image" >&2
	exit 2
fi
insmod /sdp/sdp.ko "$@" || { echo "load-sdp: insmod sdp.ko failed" >&2; exit 1; }
