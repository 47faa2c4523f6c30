#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the sdp KUnit suites in the guest: load sdp.ko and sdp_kunit.ko (the
# suites run at load and print KTAP on the console, which the host parses),
# then unload both so kmemleak can see anything they left behind.
rc=0
/sdp/load-sdp.sh || exit 1
if [ -f /sdp/sdp_kunit.ko ]; then
	insmod /sdp/sdp_kunit.ko || rc=1
	grep -q '^sdp_kunit ' /proc/modules && { rmmod sdp_kunit || rc=1; }
else
	echo "run-kunit: no sdp_kunit.ko in this image"
fi
rmmod sdp || rc=1
exit $rc
