#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs INSIDE a guest (installed as /sdp/run-selftests.sh): loads sdp.ko,
# runs every executable in /sdp/selftests/ (in name order), unloads sdp.
#
# The host counts the TAP-like lines on stdout:
#   ok N - name | not ok N - name | ok N - name # SKIP reason
# ("ok N name" without the dash, as kselftest_harness.h prints, counts too).
# This script adds its own lines for loading/unloading the module, a
# "not ok" line for a binary that is killed (timeout, signal) and one for a
# binary that exits non-zero without having reported a failure itself.
#
# Environment from the guest's /init: SDP_ROLE (single|server|client),
# SDP_ADDR, SDP_PEER, SDP_MODE (one|two). In two-guest mode only binaries
# that read SDP_ROLE (the string "SDP_ROLE" occurs in the file) are run:
# the server starts the binary, waits SDP_SYNC_DELAY seconds (default 2)
# and tells the client to start its copy; clients should still retry their
# connect for a few seconds. Other binaries run only in one-guest mode.
# Each binary is killed after SDP_SELFTEST_TIMEOUT seconds (default 300).
dir=${SDP_SELFTEST_DIR:-/sdp/selftests}
tmo=${SDP_SELFTEST_TIMEOUT:-300}
delay=${SDP_SYNC_DELAY:-2}
port=7999
role=${SDP_ROLE:-single}
rc=0

if /sdp/load-sdp.sh; then
	echo "ok 1 - run-selftests: load sdp.ko"
else
	echo "not ok 1 - run-selftests: load sdp.ko"
	exit 1
fi

# two-guest rendezvous over plain TCP (busybox nc)
sync_server() {	# $1 = token; connect to the client until it listens
	i=0
	until echo "$1" | nc -w 2 "$SDP_PEER" $port 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 120 ] || return 1
		sleep 0.5
	done
}
sync_client() {	# $1 = token; wait for the server to send it
	got=$(timeout 300 nc -l -p $port 2>/dev/null)
	[ "$got" = "$1" ] || { echo "# sync: expected '$1', got '$got'"; return 1; }
}

n=0
for b in "$dir"/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	if [ "$SDP_MODE" = two ] && ! grep -q SDP_ROLE "$b"; then
		continue
	fi
	n=$((n + 1))
	name=${b##*/}
	res=/tmp/selftest.$name.out
	echo "# selftest $name (role $role)"
	if [ "$role" = server ]; then
		timeout -s KILL "$tmo" "$b" >"$res" 2>&1 &
		pid=$!
		sleep "$delay"
		sync_server "$name" || echo "# sync with client failed"
		wait $pid
		st=$?
		cat "$res"
	else
		if [ "$role" = client ]; then
			sync_client "$name" || echo "# sync with server failed"
		fi
		{ timeout -s KILL "$tmo" "$b" 2>&1; echo $? >/tmp/.st; } | tee "$res"
		st=$(cat /tmp/.st)
	fi
	if [ "$st" = 137 ]; then
		rc=1
		echo "not ok 2 - run-selftests: $name killed after ${tmo}s (SDP_SELFTEST_TIMEOUT)"
	elif [ "$st" -gt 128 ]; then
		rc=1
		echo "not ok 2 - run-selftests: $name killed by signal $((st - 128))"
	elif [ "$st" != 0 ]; then
		rc=1
		grep -q '^not ok ' "$res" || \
			echo "not ok 2 - run-selftests: $name exited with status $st"
	fi
done
[ $n -gt 0 ] || echo "# no selftest binaries in $dir"

# Connections still closing (or a child still in set-up) hold the module
# for a while, as TCP's would: wait for them, up to SDP_UNLOAD_WAIT seconds.
i=0
until rmmod sdp 2>/dev/null; do
	i=$((i + 1))
	if [ $i = 1 ]; then
		echo "# rmmod sdp: busy; connections now:"
		sed 's/^/#   /' /proc/net/sdp
	fi
	if [ $i -ge "${SDP_UNLOAD_WAIT:-120}" ]; then
		cat /proc/net/sdp
		break
	fi
	sleep 1
done
[ $i -gt 0 ] && echo "# rmmod sdp: waited ${i}s for connections to close"
if ! grep -q '^sdp ' /proc/modules; then
	echo "ok 3 - run-selftests: unload sdp"
else
	echo "not ok 3 - run-selftests: unload sdp"
	rc=1
fi
exit $rc
